"""DWARF location expressions, evaluated against a held wasm frame: where a variable's value is.

Only what wasm producers emit is evaluated — `DW_OP_WASM_location` (a wasm local, global or
operand-stack slot), `DW_OP_fbreg` against the function's frame base, addresses, constants,
arithmetic, `DW_OP_deref` and `DW_OP_stack_value` — with a small stack machine of our own
(pyelftools' parser does not know the wasm opcode 0xED). Anything else yields an `Unavailable`
that names the operation, never a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

_MASK32 = 0xFFFFFFFF
MAX_OPS = 256
"""Operations evaluated per expression; a longer one is not a variable's location."""


class FrameState(Protocol):
    """What a stop captured of one frame (every read may say None: not captured, unreadable)."""

    def local(self, index: int) -> int | float | None: ...
    def global_value(self, index: int) -> int | float | None: ...
    def read_memory(self, address: int, size: int) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class InMemory:
    """The value lies in linear memory at `address`."""

    address: int


@dataclass(frozen=True, slots=True)
class Value:
    """The value itself (a wasm local's or global's contents, or a computed one)."""

    value: int | float


@dataclass(frozen=True, slots=True)
class Unavailable:
    """Why the value cannot be had."""

    reason: str


Location = InMemory | Value | Unavailable


class _Stop(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _uleb(code: Sequence[int], pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(code) or shift > 63:
            raise _Stop("truncated location expression")
        byte = code[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def _sleb(code: Sequence[int], pos: int) -> tuple[int, int]:
    start = pos
    value, pos = _uleb(code, pos)
    bits = 7 * (pos - start)
    return (value - (1 << bits) if value & (1 << (bits - 1)) else value), pos


def _fixed(code: Sequence[int], pos: int, size: int, signed: bool = False) -> tuple[int, int]:
    if pos + size > len(code):
        raise _Stop("truncated location expression")
    return int.from_bytes(bytes(code[pos : pos + size]), "little", signed=signed), pos + size


_CONST_SIZES = {0x08: (1, False), 0x09: (1, True), 0x0A: (2, False), 0x0B: (2, True), 0x0C: (4, False), 0x0D: (4, True),
                0x0E: (8, False), 0x0F: (8, True)}  # fmt: skip
_BINARY: dict[int, Callable[[int, int], int]] = {
    0x1A: lambda a, b: a & b, 0x1C: lambda a, b: a - b, 0x1E: lambda a, b: a * b, 0x21: lambda a, b: a | b,
    0x22: lambda a, b: a + b, 0x24: lambda a, b: a << b, 0x25: lambda a, b: a >> b, 0x27: lambda a, b: a ^ b,
}  # fmt: skip
_WASM_KINDS = {0: "wasm local", 1: "wasm global", 2: "the wasm operand stack", 3: "wasm global"}


def evaluate(
    code: Sequence[int], state: FrameState, frame_base: Callable[[], Location] | None = None,
) -> Location:
    """Where the expression `code` puts its value in `state`'s frame.

    `frame_base` gives the function's DW_AT_frame_base, evaluated (for DW_OP_fbreg).
    """
    try:
        return _evaluate(code, state, frame_base)
    except _Stop as stop:
        return Unavailable(stop.reason)


def _evaluate(code: Sequence[int], state: FrameState, frame_base: Callable[[], Location] | None) -> Location:
    stack: list[int | float] = []
    pos, ops, register = 0, 0, False
    if not code:
        return Unavailable("optimized out")
    while pos < len(code):
        ops += 1
        if ops > MAX_OPS:
            raise _Stop("location expression too long")
        op = code[pos]
        pos += 1
        register = False
        if op == 0xED:  # DW_OP_WASM_location kind index
            if pos >= len(code):
                raise _Stop("truncated location expression")
            kind = code[pos]
            pos += 1
            if kind == 3:
                index, pos = _fixed(code, pos, 4)
            else:
                index, pos = _uleb(code, pos)
            if kind == 0:
                value = state.local(index)
            elif kind in (1, 3):
                value = state.global_value(index)
            elif kind == 2:
                raise _Stop("on the wasm operand stack, which cannot be read")
            else:
                raise _Stop(f"unsupported DW_OP_WASM_location kind {kind}")
            if value is None:
                raise _Stop(f"in {_WASM_KINDS[kind]} {index}, not captured")
            stack.append(value)
            register = True
        elif op == 0x03:  # DW_OP_addr
            value, pos = _fixed(code, pos, 4)
            stack.append(value)
        elif op in _CONST_SIZES:
            size, signed = _CONST_SIZES[op]
            value, pos = _fixed(code, pos, size, signed)
            stack.append(value)
        elif op == 0x10:  # DW_OP_constu
            value, pos = _uleb(code, pos)
            stack.append(value)
        elif op == 0x11:  # DW_OP_consts
            value, pos = _sleb(code, pos)
            stack.append(value)
        elif 0x30 <= op <= 0x4F:  # DW_OP_lit0..31
            stack.append(op - 0x30)
        elif op == 0x91:  # DW_OP_fbreg
            offset, pos = _sleb(code, pos)
            base = frame_base() if frame_base is not None else Unavailable("no frame base")
            if isinstance(base, Unavailable):
                raise _Stop(f"frame base {base.reason}")
            address = base.address if isinstance(base, InMemory) else base.value
            stack.append((int(address) + offset) & _MASK32)
        elif op == 0x23:  # DW_OP_plus_uconst
            value, pos = _uleb(code, pos)
            stack.append((_int(stack.pop() if stack else None) + value) & _MASK32)
        elif op in _BINARY:
            if len(stack) < 2:
                raise _Stop("malformed location expression")
            b, a = _int(stack.pop()), _int(stack.pop())
            stack.append(_BINARY[op](a, b) & 0xFFFFFFFFFFFFFFFF)
        elif op == 0x12:  # DW_OP_dup
            if not stack:
                raise _Stop("malformed location expression")
            stack.append(stack[-1])
        elif op == 0x06:  # DW_OP_deref
            address = _int(stack.pop() if stack else None) & _MASK32
            raw = state.read_memory(address, 4)
            if raw is None:
                raise _Stop(f"memory at {address:#x} unreadable")
            stack.append(int.from_bytes(raw, "little"))
        elif op == 0x9F:  # DW_OP_stack_value
            if not stack:
                raise _Stop("malformed location expression")
            return Value(stack[-1])
        elif op == 0x93:  # DW_OP_piece: a value in parts, not assembled here
            raise _Stop("split into pieces (DW_OP_piece), not shown")
        elif op == 0x9E:  # DW_OP_implicit_value
            raise _Stop("an implicit value (DW_OP_implicit_value), not shown")
        else:
            raise _Stop(f"unsupported location expression (opcode {op:#04x})")
    if not stack:
        raise _Stop("malformed location expression")
    if register:  # a lone register-like location: the value is the local's contents
        return Value(stack[-1])
    return InMemory(_int(stack[-1]) & _MASK32)


def _int(value: int | float | None) -> int:
    if value is None or isinstance(value, float):
        raise _Stop("malformed location expression")
    return value

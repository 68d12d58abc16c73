"""Instruction decoding: function bodies and constant expressions into `Instruction` tuples.

Decoding follows wasmparser's binary reader with every feature enabled (multi-memory memargs, u64 memarg
offsets, LEB128 table indices, ...), so the instructions and their offsets are those `wasm-tools print
--print-offsets` shows. Block structure is tracked only as far as parsing needs it: `else` must follow an
`if`, `catch`/`catch_all` a legacy `try`, `delegate` closes a `try`, and the `end` that closes the function
frame must be the body's last byte. Malformed bytes raise `WasmFormatError` and nothing else.

The per-kind layout of `Instruction.immediates` is documented in `wasmdbg.wasm.opcodes`.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from wasmdbg.errors import WasmFormatError
from wasmdbg.wasm import opcodes as K
from wasmdbg.wasm.opcodes import OPCODES, PREFIXED, Op
from wasmdbg.wasm.reader import Reader
from wasmdbg.wasm.immediates import EMPTY as _EMPTY
from wasmdbg.wasm.immediates import IMMEDIATE_READERS, ImmediateReader
from wasmdbg.wasm.immediates import SMALL as _SMALL
from wasmdbg.wasm.immediates import read_block as _block
from wasmdbg.wasm.immediates import read_try_table as _try_table
from wasmdbg.wasm.immediates import read_u32 as _u32


class Instruction(NamedTuple):
    """One decoded instruction."""

    offset: int
    """Module offset of the instruction's first byte (its opcode, or its prefix byte)."""
    mnemonic: str
    """The text-format name as `wasm-tools print` spells it, e.g. `"i32.load"`, `"br_table"`."""
    immediates: tuple[Any, ...]
    """Decoded immediates as plain values; the layout per immediate kind is in `wasmdbg.wasm.opcodes`."""


_new = tuple.__new__

END = 0x0B
_I32_CONST = 0x41
EXACT = 0x62
"""Prefix of an exact heap type `(exact $t)` (custom descriptors)."""

# Frame kinds: what the innermost open block is, as far as `else`/`catch`/`delegate` care.
_BLOCK, _IF, _ELSE, _TRY, _CATCH, _CATCH_ALL, _ANY = range(7)
# _ANY stands for an unknown enclosing block when decoding a single instruction out of context.
_ELSE_OPENS = frozenset({_IF, _ANY})
_CATCH_OPENS = frozenset({_TRY, _CATCH, _ANY})
_DELEGATE_OPENS = frozenset({_TRY, _ANY})


# -- per-opcode handlers: (reader at the immediates, opcode offset, open frames) -> Instruction -------

Handler = Callable[[Reader, int, list[int]], Instruction]


def _simple_handler(name: str, read: ImmediateReader) -> Handler:
    def handle(r: Reader, pos: int, frames: list[int]) -> Instruction:
        return _new(Instruction, (pos, name, read(r)))

    return handle


def _block_handler(name: str, frame: int) -> Handler:
    def handle(r: Reader, pos: int, frames: list[int]) -> Instruction:
        immediates = _block(r)
        frames.append(frame)
        return _new(Instruction, (pos, name, immediates))

    return handle


def _try_table_handler(r: Reader, pos: int, frames: list[int]) -> Instruction:
    immediates = _try_table(r)
    frames.append(_BLOCK)
    return _new(Instruction, (pos, "try_table", immediates))


def _else_handler(r: Reader, pos: int, frames: list[int]) -> Instruction:
    if not frames or frames[-1] not in _ELSE_OPENS:
        raise r.error("`else` found outside an `if` block", pos)
    frames[-1] = _ELSE
    return _new(Instruction, (pos, "else", _EMPTY))


def _catch_handler(r: Reader, pos: int, frames: list[int]) -> Instruction:
    if not frames or frames[-1] not in _CATCH_OPENS:
        raise r.error("`catch` found outside a `try` block", pos)
    immediates = _u32(r)
    frames[-1] = _CATCH
    return _new(Instruction, (pos, "catch", immediates))


def _catch_all_handler(r: Reader, pos: int, frames: list[int]) -> Instruction:
    if not frames or frames[-1] not in _CATCH_OPENS:
        raise r.error("`catch_all` found outside a `try` block", pos)
    frames[-1] = _CATCH_ALL
    return _new(Instruction, (pos, "catch_all", _EMPTY))


def _delegate_handler(r: Reader, pos: int, frames: list[int]) -> Instruction:
    if not frames or frames[-1] not in _DELEGATE_OPENS:
        raise r.error("`delegate` found outside a `try` block", pos)
    immediates = _u32(r)
    frames.pop()
    return _new(Instruction, (pos, "delegate", immediates))


def _prefixed_handler(prefix: int, table: dict[int, Op]) -> Handler:
    entries = {sub: (op.mnemonic, IMMEDIATE_READERS[op.kind]) for sub, op in table.items()}
    get = entries.get

    def handle(r: Reader, pos: int, frames: list[int]) -> Instruction:
        sub = r.u32()
        entry = get(sub)
        if entry is None:
            raise r.error(f"illegal opcode 0x{prefix:02x} 0x{sub:x}: unknown 0x{prefix:02x} sub-opcode", pos)
        name, read = entry
        return _new(Instruction, (pos, name, _EMPTY if read is None else read(r)))

    return handle


_CONTROL_HANDLERS: dict[int, Handler] = {
    0x02: _block_handler("block", _BLOCK),
    0x03: _block_handler("loop", _BLOCK),
    0x04: _block_handler("if", _IF),
    0x05: _else_handler,
    0x06: _block_handler("try", _TRY),
    0x07: _catch_handler,
    0x18: _delegate_handler,
    0x19: _catch_all_handler,
    0x1F: _try_table_handler,
}

_U32_KINDS = frozenset({K.LABEL, K.FUNC, K.LOCAL, K.GLOBAL, K.TABLE, K.MEMORY, K.TYPE, K.TAG})

# Dispatch by first byte. An opcode is in exactly one of: _NO_IMMEDIATES (mnemonic), _ONE_U32
# (mnemonic; one u32 immediate, decoded inline), `end` (handled inline), or _HANDLERS.
_NO_IMMEDIATES: list[str | None] = [None] * 256
_ONE_U32: list[str | None] = [None] * 256
_HANDLERS: list[Handler | None] = [None] * 256
for _opcode, _op in OPCODES.items():
    if _opcode == END:
        continue
    if _opcode in _CONTROL_HANDLERS:
        _HANDLERS[_opcode] = _CONTROL_HANDLERS[_opcode]
    elif _op.kind == K.NONE:
        _NO_IMMEDIATES[_opcode] = _op.mnemonic
    elif _op.kind in _U32_KINDS:
        _ONE_U32[_opcode] = _op.mnemonic
    else:
        _read = IMMEDIATE_READERS[_op.kind]
        assert _read is not None
        _HANDLERS[_opcode] = _simple_handler(_op.mnemonic, _read)
for _prefix, _table in PREFIXED.items():
    _HANDLERS[_prefix] = _prefixed_handler(_prefix, _table)
del _opcode, _op, _prefix, _table, _read

# -- decoding -------------------------------------------------------------------------------------


def _decode(data: bytes, start: int, end: int, exact: bool, frames: list[int]) -> Iterator[Instruction]:
    """Yield instructions from `start` until the `end` that closes the outermost frame.

    With `exact`, that `end` must be the last byte before `end` (a function body); otherwise decoding
    stops after it (a constant expression). `frames` holds the frames open around `start`.
    """
    if not 0 <= start <= end <= len(data):
        raise WasmFormatError(start, f"instruction range {start:#x}..{end:#x} is outside the module")
    r = Reader(data, start, end)
    no_immediates = _NO_IMMEDIATES
    one_u32 = _ONE_U32
    handlers = _HANDLERS
    small = _SMALL
    empty = _EMPTY
    new = _new
    instruction = Instruction  # local aliases: faster lookups in the loop
    pos = start
    while pos < end:
        op = data[pos]
        name = one_u32[op]
        if name is not None:
            nxt = pos + 1
            if nxt < end:
                b = data[nxt]
                if b < 0x80:
                    yield new(instruction, (pos, name, small[b]))
                    pos = nxt + 1
                    continue
            r.pos = nxt
            value = r.u32()
            yield new(instruction, (pos, name, small[value] if value < 256 else (value,)))
            pos = r.pos
            continue
        name = no_immediates[op]
        if name is not None:
            yield new(instruction, (pos, name, empty))
            pos += 1
            continue
        if op == _I32_CONST:
            nxt = pos + 1
            if nxt < end:
                b = data[nxt]
                if b < 0x40:
                    yield new(instruction, (pos, "i32.const", small[b]))
                    pos = nxt + 1
                    continue
                if b < 0x80:
                    yield new(instruction, (pos, "i32.const", (b - 0x80,)))
                    pos = nxt + 1
                    continue
        elif op == END:
            yield new(instruction, (pos, "end", empty))
            pos += 1
            if frames:
                frames.pop()
                continue
            if exact and pos != end:
                raise WasmFormatError(pos, f"operators remaining after end of function body ({end - pos} bytes)")
            return
        handler = handlers[op]
        if handler is None:
            raise WasmFormatError(pos, f"illegal opcode 0x{op:02x}")
        r.pos = pos + 1
        yield handler(r, pos, frames)
        pos = r.pos
    raise WasmFormatError(end, f"END opcode expected: {len(frames) + 1} block(s) still open at the end")


def iter_instructions(data: bytes, start: int, end: int) -> Iterator[Instruction]:
    """Decode a function body's instructions.

    Args:
        data: the whole module, so that offsets are module offsets.
        start: offset of the first instruction (after the local declarations).
        end: offset one past the body; the body's final `end` must be its last byte.

    Yields:
        Each instruction in order, the final `end` included.

    Raises:
        WasmFormatError: an illegal opcode, truncated or malformed immediates, `else`/`catch`/`delegate`
            outside their block, bytes after the final `end`, or no final `end`.
    """
    return _decode(data, start, end, True, [])


def read_const_expr(r: Reader) -> tuple[Instruction, ...]:
    """Read a constant expression (global init, segment offsets, element items) up to and including its `end`.

    Args:
        r: a reader positioned at the expression; it is left just past the expression's `end`.

    Returns:
        The expression's instructions, the final `end` included.

    Raises:
        WasmFormatError: malformed instructions, or no `end` before the reader's end.
    """
    instructions = tuple(_decode(r.data, r.pos, r.end, False, []))
    r.pos = instructions[-1].offset + 1
    return instructions


def decode_instruction(data: bytes, offset: int, end: int) -> Instruction:
    """Decode the single instruction at `offset`, out of context (block structure is not checked).

    Raises:
        WasmFormatError: the bytes at `offset` are not an instruction ending before `end`.
    """
    return next(_decode(data, offset, end, False, [_ANY]))


def instruction_offsets(data: bytes, start: int, end: int) -> array[int]:
    """The offset of every instruction of a function body, in order (see `iter_instructions`)."""
    return array("Q", [instruction.offset for instruction in _decode(data, start, end, True, [])])


def instruction_at(data: bytes, start: int, end: int, offset: int) -> Instruction | None:
    """The instruction of a function body whose bytes include `offset`, or None if none does.

    Decodes from `start` up to `offset`; build an `InstructionIndex` for repeated lookups.
    """
    if not start <= offset < end:
        return None
    previous = None
    for instruction in _decode(data, start, end, True, []):
        if instruction.offset > offset:
            break
        previous = instruction
    return previous


class InstructionIndex:
    """Instruction boundaries of one function body, decoded once; lookups by module offset are bisections."""

    __slots__ = ("data", "start", "end", "offsets")

    def __init__(self, data: bytes, start: int, end: int) -> None:
        """Decode the body `data[start:end]` (raises `WasmFormatError` if it is malformed)."""
        self.data = data
        self.start = start
        self.end = end
        self.offsets = instruction_offsets(data, start, end)
        """Offset of each instruction's first byte, ascending."""

    def __len__(self) -> int:
        return len(self.offsets)

    def is_boundary(self, offset: int) -> bool:
        """True when an instruction starts exactly at `offset`."""
        i = bisect_right(self.offsets, offset) - 1
        return i >= 0 and self.offsets[i] == offset

    def index_of(self, offset: int) -> int | None:
        """Position in the body of the instruction whose bytes include `offset`, or None outside the body."""
        if not self.start <= offset < self.end:
            return None
        return bisect_right(self.offsets, offset) - 1

    def instruction_at(self, offset: int) -> Instruction | None:
        """The instruction whose bytes include `offset`, or None outside the body."""
        i = self.index_of(offset)
        if i is None or i < 0:
            return None
        return decode_instruction(self.data, self.offsets[i], self.end)

    def extent(self, i: int) -> tuple[int, int]:
        """(first byte, one past the last byte) of the `i`-th instruction."""
        start = self.offsets[i]
        return start, self.offsets[i + 1] if i + 1 < len(self.offsets) else self.end

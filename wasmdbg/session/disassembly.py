"""A function's instructions as a debugger shows them: module offset, mnemonic, operands in the text format."""

from __future__ import annotations

from dataclasses import dataclass

from wasmdbg.errors import WasmdbgError, WasmFormatError
from wasmdbg.symbols.demangle import demangle
from wasmdbg.wasm.instructions import Instruction, iter_instructions
from wasmdbg.wasm.module import WasmModule

MAX_INSTRUCTIONS = 200_000
"""A body longer than this is cut (the disassembly says so): a view never waits on a giant function."""

_CALLS = frozenset({"call", "return_call", "ref.func"})


@dataclass(frozen=True, slots=True)
class DisassembledInstruction:
    """One instruction of a disassembly."""

    offset: int
    """Module offset of its first byte (what runtimes print for a frame)."""
    mnemonic: str
    operands: str
    """Immediates as text (a called function by name); untrusted names, escaped only when shown."""


@dataclass(frozen=True, slots=True)
class Disassembly:
    """A defined function's body, decoded."""

    func_index: int
    name: str | None
    """The function's name from the name section or an export, demangled."""
    instructions: tuple[DisassembledInstruction, ...]
    truncated: bool = False

    def index_of(self, offset: int) -> int | None:
        """The instruction that starts at or contains `offset` (a frame's offset), if any."""
        found = None
        for i, instruction in enumerate(self.instructions):
            if instruction.offset > offset:
                break
            found = i
        return found


def _function_name(module: WasmModule, func_index: int) -> str | None:
    names = module.names.functions if module.names else {}
    raw = names.get(func_index) or module.export_names.get(("func", func_index))
    return demangle(raw) if raw else None


def _operands(module: WasmModule, instruction: Instruction) -> str:
    immediates = instruction.immediates
    if instruction.mnemonic in _CALLS and immediates:
        name = _function_name(module, int(immediates[0]))
        return f"{immediates[0]}" + (f" <{name}>" if name else "")
    if len(immediates) >= 3 and ("load" in instruction.mnemonic or "store" in instruction.mnemonic):
        align, offset, memory = immediates[:3]
        text = f"offset={offset} align={1 << int(align)}"
        return text + (f" memory={memory}" if memory else "")
    return " ".join(str(i) for i in immediates)


def disassemble(module: WasmModule, func_index: int) -> Disassembly:
    """Decode a defined function's body.

    Raises:
        WasmdbgError: no defined function has that index, or its body is malformed.
    """
    body = module.body(func_index)
    if body is None:
        raise WasmdbgError(f"function {func_index} is not defined in this module (imported or out of range)")
    out: list[DisassembledInstruction] = []
    truncated = False
    try:
        for instruction in iter_instructions(module.data, body.code_offset, body.end):
            if len(out) >= MAX_INSTRUCTIONS:
                truncated = True
                break
            out.append(DisassembledInstruction(instruction.offset, instruction.mnemonic, _operands(module, instruction)))
    except WasmFormatError as error:
        raise WasmdbgError(f"function {func_index}'s body cannot be decoded: {error.message}") from None
    return Disassembly(func_index, _function_name(module, func_index), tuple(out), truncated)

"""The instruction a trap stopped at, read from the module's own code section."""

from __future__ import annotations

from collections.abc import Sequence

from wasmdbg.errors import WasmFormatError
from wasmdbg.symbols.stack import StackFrame
from wasmdbg.wasm.instructions import Instruction, instruction_at, iter_instructions
from wasmdbg.wasm.module import WasmModule


def faulting_instruction(stack: Sequence[StackFrame], module: WasmModule) -> Instruction | None:
    """The instruction at the innermost frame's offset; None without one or where the body cannot be read."""
    if not stack or stack[0].module_offset is None:
        return None
    offset = stack[0].module_offset
    body = module.function_at(offset)
    if body is None:
        return None
    try:
        return instruction_at(module.data, body.code_offset, body.end, offset)
    except WasmFormatError:  # a malformed body only costs the detail, never the explanation
        return None


ACCESS_WINDOW = 8
"""Instructions looked back from a reported non-access for the access the engine folded into it."""


def touches_memory(mnemonic: str) -> bool:
    """Whether an instruction can read or write linear memory (a load, a store, a bulk or atomic memory op)."""
    return ".load" in mnemonic or ".store" in mnemonic or ".atomic." in mnemonic or mnemonic in (
        "memory.fill", "memory.copy", "memory.init",
    )  # fmt: skip


def memory_access(stack: Sequence[StackFrame], module: WasmModule) -> tuple[Instruction | None, Instruction | None]:
    """(the access that faulted, the instruction the engine reported when that is another one).

    An optimizing engine folds a load into the instruction that uses its value (x86's `imul r, [m]`)
    and may report the fault at the user's offset: an `i32.mul` cannot touch memory, so the access
    is the nearest load or store before it in the same function, within ACCESS_WINDOW
    instructions. Without one, the reported instruction is all there is.
    """
    reported = faulting_instruction(stack, module)
    if reported is None or touches_memory(reported.mnemonic):
        return reported, None
    body = module.function_at(reported.offset)
    if body is None:
        return reported, None
    window: list[Instruction] = []
    try:
        for instruction in iter_instructions(module.data, body.code_offset, body.end):
            if instruction.offset >= reported.offset:
                break
            window = [*window[-(ACCESS_WINDOW - 1) :], instruction]
    except WasmFormatError:
        return reported, None
    access = next((i for i in reversed(window) if touches_memory(i.mnemonic)), None)
    return (access, reported) if access is not None else (reported, None)

"""The instruction a trap stopped at, read from the module's own code section."""

from __future__ import annotations

from collections.abc import Sequence

from wasmdbg.errors import WasmFormatError
from wasmdbg.symbols.stack import StackFrame
from wasmdbg.wasm.instructions import Instruction, instruction_at
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

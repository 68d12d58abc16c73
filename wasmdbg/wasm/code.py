"""Function bodies of the code section, located by module offsets."""

from __future__ import annotations

from dataclasses import dataclass

from wasmdbg.wasm.reader import Reader
from wasmdbg.wasm.types import read_val_type

MAX_LOCALS = 0xFFFFFFFF
"""The spec bounds a function's locals by 2**32 - 1; more is malformed."""


@dataclass(frozen=True, slots=True)
class FunctionBody:
    """Where one defined function's body lies in the module."""

    func_index: int
    """Index in the function index space (imported functions come first)."""
    type_index: int
    offset: int
    """Offset of the body's size field: where the function's entry in the code section begins."""
    locals_offset: int
    """Offset of the local declarations, just after the size field."""
    code_offset: int
    """Offset of the first instruction."""
    end: int
    """Offset one past the body's final `end` opcode."""
    locals: tuple[tuple[int, str], ...]
    """(count, value type) runs as declared."""

    def __contains__(self, offset: int) -> bool:
        return self.offset <= offset < self.end


def read_function_body(r: Reader, func_index: int, type_index: int) -> FunctionBody:
    """Read one code-section entry: its size, local declarations, and the extent of its code."""
    offset = r.pos
    size = r.u32()
    body = r.sub(size, f"body of function {func_index}")
    locals_offset = body.pos
    runs = []
    total = 0
    for _ in range(body.count("local declaration", 2)):
        count_at = body.pos
        count = body.u32()
        total += count
        if total > MAX_LOCALS:
            raise body.error(f"too many locals in function {func_index}", count_at)
        runs.append((count, read_val_type(body)))
    if body.at_end():
        raise body.error(f"unexpected end of section or function: body of function {func_index} has no code")
    return FunctionBody(func_index, type_index, offset, locals_offset, body.pos, body.end, tuple(runs))

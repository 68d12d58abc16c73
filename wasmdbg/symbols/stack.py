"""A guest's stack symbolized: each physical frame wasmtime reported with the source frames it stands for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wasmdbg.addresses import ModuleOffset
from wasmdbg.runner.protocol import GuestFrame
from wasmdbg.symbols.demangle import demangle
from wasmdbg.symbols.frames import SourceFrame
from wasmdbg.symbols.symbolizer import Symbolizer


@dataclass(frozen=True, slots=True)
class StackFrame:
    """One physical frame of the guest's stack: wasmtime's raw data and its source frames, innermost first."""

    func_index: int | None
    module_offset: ModuleOffset | None
    """None where wasmtime could not place the frame (e.g. the stack-overflow probe)."""
    sources: tuple[SourceFrame, ...]
    """Never empty: the inlined frames first, then the function the code belongs to."""

    @property
    def function(self) -> SourceFrame:
        """The function the frame executes (the outermost source frame; the rest are inlined into it)."""
        return self.sources[-1]


def symbolize_stack(frames: Sequence[GuestFrame], symbolizer: Symbolizer | None) -> tuple[StackFrame, ...]:
    """Each of wasmtime's frames with its source frames; without a symbolizer, wasmtime's own names."""
    stack = []
    for frame in frames:
        offset = None if frame.module_offset is None else ModuleOffset(frame.module_offset)
        sources: tuple[SourceFrame, ...] = ()
        if symbolizer is not None:
            if offset is not None:
                sources = symbolizer.symbolize(offset).frames
            if not sources:
                sources = (symbolizer.function_name(frame.func_index),)
        if not sources:
            shown = demangle(frame.func_name) if frame.func_name else f"<wasm function {frame.func_index}>"
            sources = (SourceFrame(shown, frame.func_name if shown != frame.func_name else None),)
        stack.append(StackFrame(frame.func_index, offset, sources))
    return tuple(stack)

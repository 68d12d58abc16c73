"""What the guest said about where it failed, put on the stack where the module's debug info has nothing to say.

AssemblyScript's `abort(message, file, line, column)` names the place of the failed check: that
is where the frame that called abort was, and the innermost frame gets it when it has no line
of its own.


Go emits no DWARF for wasm, so a Go module's wasm frames have names only, and a panic that
exited with code 2 has no wasm frames at all. Go itself printed where it was: the first
goroutine's traceback on stderr. That text comes from the guest, so it is not taken on trust:
a frame of it is used only where the module has a function of that name, and on a wasm stack
only where it falls on that function's frame in the traceback's order. Its frames' `source` is
TRACEBACK, so every front end can say where the line came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from wasmdbg.backtrace.formats import go as go_format
from wasmdbg.backtrace.lines import split_lines
from wasmdbg.backtrace.model import RawFrame
from wasmdbg.explanation.languages import TAIL_CHARS
from wasmdbg.runner.protocol import AbortCall
from wasmdbg.symbols.frames import TRACEBACK, SourceFrame
from wasmdbg.symbols.go import GoFunctions, is_go_module
from wasmdbg.symbols.stack import StackFrame
from wasmdbg.wasm.module import WasmModule

def with_go_traceback(stack: Sequence[StackFrame], stderr: str, module: WasmModule) -> tuple[StackFrame, ...]:
    """`stack` with the files and lines of Go's traceback on stderr, or the traceback as the stack when it has none.

    Args:
        stack: the symbolized wasm stack, innermost first (empty for a run that exited).
        stderr: what the guest wrote to stderr.
        module: the module that ran; not a Go module means `stack` unchanged.

    Returns:
        The stack; frames of a traceback that does not fit the module are never used.
    """
    if not is_go_module(module) or "goroutine " not in stderr:
        return tuple(stack)
    first = go_format.failing_goroutine(split_lines(stderr[-TAIL_CHARS:]))  # the traceback is the last thing Go printed
    if first is None:
        return tuple(stack)
    functions = GoFunctions(module)
    groups = _physical_groups(first.frames, functions)
    if groups is None:
        return tuple(stack)
    return _enriched(stack, groups) if stack else tuple(_as_frame(index, sources) for index, sources in groups)


def _physical_groups(frames: Sequence[RawFrame], functions: GoFunctions) -> list[tuple[int, tuple[SourceFrame, ...]]] | None:
    """(function index, source frames) per frame that is a function of its own, inlined ones before it; None if one is not the module's."""
    groups: list[tuple[int, tuple[SourceFrame, ...]]] = []
    inlined: list[SourceFrame] = []
    for raw in frames:
        name = raw.func_name or ""
        frame = SourceFrame(
            name, linkage_name=functions.spelled(name), file=raw.file, line=raw.line, inlined=raw.inlined, source=TRACEBACK
        )  # fmt: skip
        if raw.inlined:
            inlined.append(frame)
            continue
        index = functions.index(name)
        if index is None:
            return None  # another build's traceback, or not Go's: none of it is used
        groups.append((index, (*inlined, frame)))
        inlined = []
    return groups


def _as_frame(func_index: int, sources: tuple[SourceFrame, ...]) -> StackFrame:
    return StackFrame(func_index, None, sources)


def _enriched(stack: Sequence[StackFrame], groups: list[tuple[int, tuple[SourceFrame, ...]]]) -> tuple[StackFrame, ...]:
    """The wasm stack, each frame the traceback has (matched in order by function) given the traceback's sources."""
    out: list[StackFrame] = []
    at = 0
    for frame in stack:
        match = next((n for n in range(at, len(groups)) if groups[n][0] == frame.func_index), None)
        if match is None or frame.function.file:
            out.append(frame)  # not in the traceback, or DWARF already places it
            continue
        at = match + 1
        out.append(StackFrame(frame.func_index, frame.module_offset, groups[match][1]))
    return tuple(out)


def with_abort_position(stack: Sequence[StackFrame], abort: AbortCall | None) -> tuple[StackFrame, ...]:
    """`stack` with an AssemblyScript abort's file, line and column on the frame that called abort (when it has none)."""
    if abort is None or abort.file is None or not stack or stack[0].function.file or len(stack[0].sources) != 1:
        return tuple(stack)
    inner = stack[0]
    placed = replace(inner.sources[0], file=abort.file, line=abort.line or None, column=abort.column or None, source=TRACEBACK)
    return (StackFrame(inner.func_index, inner.module_offset, (placed,)), *stack[1:])

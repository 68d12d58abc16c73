"""Pasted backtraces symbolized: each recognised wasm frame matched against the module and resolved.

A frame that does not fit the module (function index out of range, offset outside the printed
function or not on an instruction, a printed name the module contradicts) is not symbolized: a
plausible source line for another build's address would be worse than none. It keeps its reasons
in `warnings` and has no `frames`. A trace is judged as a whole: once one of its frames does not
fit, the others are not symbolized either (another build can share code at the same offsets, such
as its libc), and each says which frame gave the trace away.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from wasmdbg.backtrace.matching import NOT_THIS_BINARY, match_frame, module_offset, trace_warnings
from wasmdbg.backtrace.model import RawFrame, Trace
from wasmdbg.backtrace.formats.go import RUNTIME as GO
from wasmdbg.findings import IN_HEADER, MISMATCH, NO_OFFSET, NO_CODE_SECTION, NOT_BOUNDARY, NOT_IN_BODY, OUTSIDE_CODE, Finding
from wasmdbg.symbols.demangle import demangle
from wasmdbg.symbols.frames import INDEX, TRACEBACK, SourceFrame
from wasmdbg.symbols.go import GoFunctions
from wasmdbg.symbols.symbolizer import Symbolizer
from wasmdbg.addresses import ModuleOffset

MISFITS = frozenset({MISMATCH, NOT_BOUNDARY, IN_HEADER, OUTSIDE_CODE, NOT_IN_BODY, NO_CODE_SECTION})
"""Finding kinds that mean a frame does not fit the module, so it is not symbolized."""


@dataclass(frozen=True, slots=True)
class PastedFrame:
    """One recognised wasm frame of a pasted trace and what wasmdbg makes of it."""

    raw: RawFrame
    """The frame as the runtime printed it."""
    trace: Trace
    """The trace it belongs to."""
    module_offset: int | None
    """The offset from the module's first byte, when the printed offset could be converted."""
    func_index: int | None
    """The function it lies in (from the offset when that fits, else as printed)."""
    frames: tuple[SourceFrame, ...]
    """Innermost first; empty without a module, and when the frame does not fit it."""
    warnings: tuple[Finding, ...]
    """About the whole trace (`TRUNCATED`), then this frame; a kind in `MISFITS` says why it does not fit."""

    @property
    def fits(self) -> bool:
        """False when a warning says the frame does not belong to the module (a kind in `MISFITS`)."""
        return not any(w.kind in MISFITS for w in self.warnings)

    def to_json(self, describe: Callable[[Finding], str] = str) -> dict[str, object]:
        """The object `symbolize --format json` prints per recognised frame (a contract: extend only).

        Args:
            describe: how a warning reads as a string (a front end may add its hints).
        """
        raw = self.raw
        return {
            "line_no": raw.line_no,
            "runtime": raw.runtime,
            "index": raw.index,
            "func_index": self.func_index,
            "func_name": raw.func_name,
            "module": raw.module,
            "offset": raw.offset,
            "offset_kind": raw.offset_kind,
            "module_offset": self.module_offset,
            "file": raw.file,
            "line": raw.line,
            "column": raw.column,
            "inlined": raw.inlined,
            "trap_reason": self.trace.trap_reason,
            "frames": [frame.to_json() for frame in self.frames],
            "warnings": [describe(w) for w in self.warnings],
        }


def symbolize_traces(traces: Sequence[Trace], symbolizer: Symbolizer | None) -> list[PastedFrame]:
    """Every wasm frame of `traces`, resolved against the symbolizer's module when there is one.

    Args:
        traces: as `backtrace.detect.parse_text` finds them.
        symbolizer: the module's; None to report the frames as parsed, without symbolization.

    Returns:
        One PastedFrame per wasm frame, in trace order.
    """
    out: list[PastedFrame] = []
    go: GoFunctions | None = None
    for trace in traces:
        whole = trace_warnings(trace)
        if symbolizer is None:
            out.extend(
                PastedFrame(raw, trace, module_offset(raw, None), raw.func_index, (), whole) for raw in trace.frames
            )
        elif trace.runtime == GO:
            go = go or GoFunctions(symbolizer.module)
            out.extend(_judged_together([_resolve_go(raw, trace, go, whole) for raw in trace.frames]))
        else:
            out.extend(_judged_together([_resolve(raw, trace, symbolizer, whole) for raw in trace.frames]))
    return out


def _resolve_go(raw: RawFrame, trace: Trace, go: GoFunctions, whole: tuple[Finding, ...]) -> PastedFrame:
    """A frame of Go's own traceback: found in the module by its name, placed where Go said it was.

    Go's PCs are not code offsets and Go emits no DWARF for wasm, so the function's name is the
    check that the trace belongs to the module, and the file and line are Go's.
    """
    warnings = list(whole)
    func_index = go.index(raw.func_name or "")
    if func_index is None and raw.inlined:
        warnings.append(Finding(NO_OFFSET, "inlined by Go's compiler: it has no function of its own in the module"))
    elif func_index is None:
        warnings.append(Finding(MISMATCH, f"this module has no function {raw.func_name!r}: {NOT_THIS_BINARY}"))
        return PastedFrame(raw, trace, None, None, (), tuple(warnings))
    frame = SourceFrame(
        raw.func_name, linkage_name=go.spelled(raw.func_name or ""), file=raw.file, line=raw.line, inlined=raw.inlined,
        source=TRACEBACK,
    )  # fmt: skip
    return PastedFrame(raw, trace, None, func_index, (frame,), tuple(warnings))


def _judged_together(frames: list[PastedFrame]) -> list[PastedFrame]:
    """One trace's frames; if any does not fit, the ones that seemed to fit lose their frames too."""
    misfit = next((frame for frame in frames if not frame.fits), None)
    if misfit is None:
        return frames
    reason = Finding(
        MISMATCH,
        f"another frame of this trace (line {misfit.raw.line_no}) does not fit this module: {NOT_THIS_BINARY}",
    )
    return [
        replace(frame, frames=(), warnings=(*frame.warnings, reason)) if frame.fits else frame for frame in frames
    ]


def _resolve(raw: RawFrame, trace: Trace, symbolizer: Symbolizer, whole: tuple[Finding, ...]) -> PastedFrame:
    matched = match_frame(raw, symbolizer.module)
    warnings = [*whole, *matched.warnings]
    frames: tuple[SourceFrame, ...] = ()
    if not any(w.kind in MISFITS for w in matched.warnings):
        if matched.module_offset is not None:
            result = symbolizer.symbolize(ModuleOffset(matched.module_offset))
            frames = result.frames
            warnings += result.warnings  # not on an instruction: a misfit too
        elif matched.func_index is not None:
            frames = (symbolizer.function_name(matched.func_index),)  # no offset printed: the function only
    contradiction = _name_contradiction(raw, matched.func_index, frames, symbolizer)
    if contradiction is not None:
        warnings.append(contradiction)
    if any(w.kind in MISFITS for w in warnings):
        frames = ()  # no plausible wrong lines for a frame of another binary
    return PastedFrame(raw, trace, matched.module_offset, matched.func_index, frames, tuple(warnings))


def _name_contradiction(
    raw: RawFrame, func_index: int | None, frames: tuple[SourceFrame, ...], symbolizer: Symbolizer
) -> Finding | None:
    """A MISMATCH when the printed name denotes another function than the module's `func_index`."""
    if raw.func_name and func_index is not None:
        known = symbolizer.function_name(func_index)
        module_name = symbolizer.module.names.module if symbolizer.module.names else None
        printed = raw.func_name
        if module_name and printed.startswith(module_name + "."):
            printed = printed[len(module_name) + 1 :]  # V8 prefixes a named module's functions: `demo.divide`
        # Runtimes name a frame from the name section or, with DWARF, as DWARF does (inlined callees too).
        candidates = [known, *frames]
        if known.source != INDEX and known.function and not any(
            names_agree(printed, candidate, func_index) for candidate in candidates
        ):
            return Finding(
                MISMATCH,
                f"the trace names function {func_index} {raw.func_name!r}, this module {known.function!r}: "
                f"{NOT_THIS_BINARY}",
            )
    return None


def names_agree(printed: str, known: SourceFrame, func_index: int) -> bool:
    """Whether a printed name denotes the function the module names `known` (raw or demangled)."""
    generic = {f"wasm-function[{func_index}]", f"$func{func_index}", f"func{func_index}", f"<wasm function {func_index}>"}
    if printed in generic:
        return True  # the runtime named it by index: less informative, not a contradiction
    forms = {known.function, known.linkage_name} - {None}
    forms |= {demangle(f) for f in forms if f}
    printed_forms = {printed, printed.lstrip("$"), demangle(printed), demangle(printed.lstrip("$"))}
    if printed_forms & forms:
        return True
    # Engines abbreviate (`name (wasm://…)` cut at the first space) or add signatures (`.name(i32,i32)`).
    return any(p and f and (f.startswith(p) or p.startswith(f)) for p in printed_forms for f in forms if f)

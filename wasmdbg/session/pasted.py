"""Pasted backtraces symbolized: each recognised wasm frame matched against the module and resolved."""

from __future__ import annotations

from dataclasses import dataclass

from wasmdbg.backtrace.matching import MISMATCH, match_frame, module_offset, trace_warnings
from wasmdbg.backtrace.model import RawFrame, Trace
from wasmdbg.symbols.demangle import demangle
from wasmdbg.symbols.frames import INDEX, SourceFrame
from wasmdbg.symbols.symbolizer import Symbolizer


@dataclass(frozen=True, slots=True)
class PastedFrame:
    """One recognised wasm frame of a pasted trace and what wasmdbg makes of it."""

    raw: RawFrame
    trace: Trace
    module_offset: int | None
    func_index: int | None
    frames: tuple[SourceFrame, ...]
    warnings: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        """The object `symbolize --format json` prints per recognised frame (a contract: extend only)."""
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
            "warnings": list(self.warnings),
        }


def symbolize_traces(traces: list[Trace], symbolizer: Symbolizer | None) -> list[PastedFrame]:
    """Every wasm frame of `traces`, resolved against the symbolizer's module when there is one."""
    out = []
    for trace in traces:
        whole = trace_warnings(trace)
        for raw in trace.frames:
            if symbolizer is None:
                out.append(PastedFrame(raw, trace, module_offset(raw, None), raw.func_index, (), whole))
            else:
                out.append(_resolve(raw, trace, symbolizer, whole))
    return out


def _resolve(raw: RawFrame, trace: Trace, symbolizer: Symbolizer, whole: tuple[str, ...]) -> PastedFrame:
    matched = match_frame(raw, symbolizer.module)
    warnings = list(whole) + list(matched.warnings)
    frames: tuple[SourceFrame, ...] = ()
    if matched.module_offset is not None and not any(MISMATCH in w for w in matched.warnings):
        result = symbolizer.symbolize(matched.module_offset)
        frames = result.frames
        warnings += [w for w in result.warnings if "--code-offsets" not in w]
    elif matched.func_index is not None:
        frames = (symbolizer.function_name(matched.func_index),)
    if raw.func_name and matched.func_index is not None:
        known = symbolizer.function_name(matched.func_index)
        module_name = symbolizer.module.names.module if symbolizer.module.names else None
        printed = raw.func_name
        if module_name and printed.startswith(module_name + "."):
            printed = printed[len(module_name) + 1 :]  # V8 prefixes a named module's functions: `demo.divide`
        # Runtimes name a frame from the name section or, with DWARF, as DWARF does (inlined callees too).
        candidates = [known, *frames]
        if known.source != INDEX and known.function and not any(
            names_agree(printed, candidate, matched.func_index) for candidate in candidates
        ):
            warnings.append(
                f"the trace names function {matched.func_index} {raw.func_name!r}, this module {known.function!r}: "
                f"{MISMATCH}"
            )
    return PastedFrame(raw, trace, matched.module_offset, matched.func_index, frames, tuple(warnings))


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

"""Matching a parsed trace against a module: offsets normalized, and the trace checked against the binary.

A trace pasted from production and a module from a build directory often do not belong together.
Rather than print plausible wrong lines, every frame is checked: the function index must exist, the
offset must lie inside that function's body and on an instruction boundary, and a printed name must
agree with the name section. Each disagreement is reported on the frame it concerns.
"""

from __future__ import annotations

from dataclasses import dataclass

from wasmdbg.backtrace.model import CODE, FUNCTION, MODULE, RawFrame, Trace
from wasmdbg.facts import WASMTIME_FRAME_LIMIT
from wasmdbg.findings import MISMATCH, NO_OFFSET, TRUNCATED, Finding
from wasmdbg.wasm.module import WasmModule

NOT_THIS_BINARY = "this trace does not come from this binary"
"""How every `MISMATCH` finding ends, so a reader of the output sees the conclusion."""


@dataclass(frozen=True, slots=True)
class MatchedFrame:
    """A raw frame with its module offset resolved against a module, and what does not fit."""

    raw: RawFrame
    module_offset: int | None
    func_index: int | None
    warnings: tuple[Finding, ...]
    """What does not fit (kind `MISMATCH`) or is unknown (`NO_OFFSET`)."""


def module_offset(frame: RawFrame, module: WasmModule | None) -> int | None:
    """The frame's module offset: printed as such, or converted with the module's layout."""
    if frame.module_offset is not None:
        return frame.module_offset
    if frame.offset is None or module is None:
        return None
    if frame.offset_kind == MODULE:
        return frame.offset
    if frame.offset_kind == CODE and module.code_section is not None:
        return frame.offset + module.code_section.offset
    if frame.offset_kind == FUNCTION and frame.func_index is not None:
        body = module.body(frame.func_index)
        if body is not None:
            # V8 counts function offsets from the body's first byte after its size field.
            return body.locals_offset + frame.offset
    return None


def trace_warnings(trace: Trace) -> tuple[Finding, ...]:
    """What is true of the trace as a whole, e.g. that the runtime cut it short."""
    if trace.runtime == "wasmtime" and len([f for f in trace.frames if not f.inlined]) >= WASMTIME_FRAME_LIMIT:
        return (
            Finding(
                TRUNCATED,
                f"wasmtime keeps at most {WASMTIME_FRAME_LIMIT} frames: this trace is probably truncated "
                "(the outermost callers are missing)",
            ),
        )
    return ()


def match_frame(frame: RawFrame, module: WasmModule) -> MatchedFrame:
    """Resolve one frame's offset against `module` and check its function index and offset.

    Names are checked by the caller, which knows how wasmdbg names (and demangles) functions.
    """
    warnings: list[Finding] = []
    offset = module_offset(frame, module)
    func_index = frame.func_index
    if func_index is not None and not 0 <= func_index < module.function_count:
        warnings.append(
            Finding(
                MISMATCH,
                f"function index {func_index} is out of range (the module has {module.function_count}): "
                f"{NOT_THIS_BINARY}",
            )
        )
        func_index = None
    if offset is not None:
        body = module.function_at(offset)
        if body is None:
            warnings.append(
                Finding(MISMATCH, f"offset 0x{offset:x} is in no function body of this module: {NOT_THIS_BINARY}")
            )
        elif func_index is not None and body.func_index != func_index:
            warnings.append(
                Finding(
                    MISMATCH,
                    f"offset 0x{offset:x} lies in function {body.func_index}, not in the printed function "
                    f"{func_index}: {NOT_THIS_BINARY}",
                )
            )
        else:
            func_index = body.func_index
    elif frame.offset is None and frame.func_index is not None:
        warnings.append(Finding(NO_OFFSET, "the runtime printed no offset: only the function is known"))
    return MatchedFrame(frame, offset, func_index, tuple(warnings))

"""WAVM's `Runtime exception: ...` / `Call stack:` dumps.

Format (Lib/Runtime: `Runtime::describeCallStack`, `describeInstructionPointer`): after
`Call stack:`, one frame per line, innermost first: `  wasm!{module debug name}!{function}+{op}`
for wasm code, `  host!...` for native code, `  thnk!...` for WAVM's invoke thunks and
`  <unknown function>` when nothing is known. The function is the name section's name or
`<function #N>`, where N counts *defined* functions only (imports excluded), so it is not a
function index. `+{op}` is not a byte offset: describeInstructionPointer maps the native pc
through `offsetToOpIndexMap` to the index of the wasm operator within the function. It is kept
as the printed offset with offset_kind "unknown"; converting it needs the module's code.

Envoy's WAVM host (proxy-wasm-cpp-host `getFailMessage`, PR #84) prints the same frames numbered
from 1 under a misspelt header: `WAVM message: {reason}`, `wasm backrace:`, `  1: wasm!m!f+7`.
The printed number is kept as the frame's index. Its 2019 form printed `Caught exception "{reason}`
before `Call stack:`, and a module without a debug name shows as `wasm!!{function}+{op}`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from wasmdbg.backtrace.formats._common import clean_reason, dec_int, make_trace, placeholder
from wasmdbg.backtrace.model import UNKNOWN, Line, RawFrame, Trace

RUNTIME = "wavm"

_HEADER = re.compile(r"(?:Call stack|wasm backrace):\s*$")
_HOST = re.compile(r"(?:^|\s)(?:host|thnk)!\S|<unknown function>")
_DEFINED = re.compile(r"<function #(?P<n>\d{1,40})>")
_REASON = re.compile(r"(?:(?:[Rr]untime exception|WAVM message):\s|Caught exception \")(?P<reason>.+)")
_INDEX = re.compile(r"\s*(?P<index>\d{1,9}):\s")
_OP_NOTE = "WAVM's +N is the index of the operator within the function, not a byte offset"
_DEFINED_NOTE = "WAVM's <function #N> counts defined functions only; add the number of imported functions"


def parse(lines: Sequence[Line]) -> list[Trace]:
    """Every `Call stack:` block in `lines` that holds at least one wasm frame."""
    traces: list[Trace] = []
    i = 0
    while i < len(lines):
        if not _HEADER.search(lines[i].text):
            i += 1
            continue
        header = i
        frames: list[RawFrame] = []
        used = [lines[header].no]
        host = 0
        notes: list[str] = []
        i += 1
        while i < len(lines):
            text = lines[i].text
            if (wasm := _wasm_part(text)) is not None:
                frame = _wasm_frame(lines[i], wasm, notes)
                if frame is None:
                    break
                frames.append(frame)
            elif _HOST.search(text):
                host += 1
            else:
                break
            used.append(lines[i].no)
            i += 1
        reason = None
        for j in (header, header - 1):
            if j >= 0 and (r := _REASON.search(lines[j].text)) is not None:
                reason = clean_reason(r["reason"])
                used.append(lines[j].no)
                break
        trace = make_trace(RUNTIME, frames, used, reason=reason, host_frames=host, notes=notes)
        if trace is not None:
            traces.append(trace)
    return traces


def _wasm_part(text: str) -> str | None:
    """What follows `wasm!` on a frame line (the first one, preceded by blank or nothing)."""
    at = text.find("wasm!")
    if at < 0 or (at > 0 and not text[at - 1].isspace()):
        return None
    return text[at + len("wasm!") :].rstrip()


def _wasm_frame(line: Line, rest: str, notes: list[str]) -> RawFrame | None:
    """`module!function+op`; the module is a path, so the function follows its last `!`."""
    body, plus, digits = rest.rpartition("+")
    op = dec_int(digits) if plus else None
    if op is None or not body:
        return None
    bang = body.rfind("!")
    module, name = (body[:bang], body[bang + 1 :]) if bang >= 0 else (None, body)  # `wasm!!f+1`: no module name
    if _DEFINED.fullmatch(name):
        notes.append(_DEFINED_NOTE)
        name = ""
    notes.append(_OP_NOTE)
    numbered = _INDEX.match(line.text)
    return RawFrame(
        line_no=line.no,
        runtime=RUNTIME,
        index=int(numbered["index"]) if numbered else None,
        func_name=placeholder(name),
        module=placeholder(module),
        offset=op,
        offset_kind=UNKNOWN,
    )

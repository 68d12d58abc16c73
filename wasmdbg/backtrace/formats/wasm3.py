"""wasm3's `==== wasm backtrace:` blocks and the `Error: [trap] ...` line after them.

Format (platforms/app/main.c and the Python binding, `print_backtrace`): `==== wasm backtrace:`,
then `  {i}: 0x{moduleOffset:06x} - {module}!{function}` per frame, innermost first, and
`  (truncated)` when wasm3 ran out of memory recording frames. The module name is
`m3_GetModuleName` (`.unnamed` when the module has none) and the function `m3_GetFunctionName`
(`<unnamed>` without a name). `moduleOffset` comes from `MapPCToOffset`, which maps the
compiled code back to the wasm opcode's position relative to the module's start (`wasmStart`),
so it is a module offset.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from wasmdbg.backtrace.formats._common import clean_reason, dec_int, hex_int, make_trace, placeholder
from wasmdbg.backtrace.model import MODULE, Line, RawFrame, Trace

RUNTIME = "wasm3"

_HEADER = "==== wasm backtrace:"
_FRAME = re.compile(r"(?:^|\s)(?P<index>\d{1,9}): 0x(?P<offset>[0-9a-fA-F]{1,40}) - (?P<name>\S.*)")
_MODULE = re.compile(r"[^\s!]{1,512}")
_TRUNCATED = "(truncated)"
_TRAP = re.compile(r"\[trap\]\s(?P<reason>.+)")
_ERROR = re.compile(r"Error:\s(?P<reason>.+)")


def parse(lines: Sequence[Line]) -> list[Trace]:
    """Every `==== wasm backtrace:` block in `lines`."""
    traces: list[Trace] = []
    i = 0
    while i < len(lines):
        if _HEADER not in lines[i].text:
            i += 1
            continue
        used = [lines[i].no]
        frames: list[RawFrame] = []
        notes: list[str] = []
        i += 1
        while i < len(lines):
            text = lines[i].text
            m = _FRAME.search(text)
            if m is not None and dec_int(m["index"]) == len(frames) and (frame := _frame(lines[i], m)) is not None:
                frames.append(frame)
            elif frames and text.strip().endswith(_TRUNCATED):
                notes.append("wasm3 cut this backtrace short (it could not record more frames)")
            else:
                break
            used.append(lines[i].no)
            i += 1
        reason = None
        for j in range(i, min(i + 3, len(lines))):
            text = lines[j].text
            if (m := _TRAP.search(text) or _ERROR.search(text)) is not None:
                reason = clean_reason(m["reason"])
                used.append(lines[j].no)
                break
            if text.strip():
                break
        trace = make_trace(RUNTIME, frames, used, reason=reason, notes=notes)
        if trace is not None:
            traces.append(trace)
    return traces


def _frame(line: Line, m: re.Match[str]) -> RawFrame | None:
    offset = hex_int(m["offset"])
    if offset is None:
        return None
    text = m["name"].rstrip()
    bang = text.find("!")
    module, name = (text[:bang], text[bang + 1 :]) if bang > 0 and _MODULE.fullmatch(text[:bang]) else (None, text)
    return RawFrame(
        line_no=line.no,
        runtime=RUNTIME,
        index=dec_int(m["index"]),
        func_name=placeholder(name, "<unnamed>"),
        module=placeholder(module, ".unnamed"),
        offset=offset,
        offset_kind=MODULE,
        module_offset=offset,
    )

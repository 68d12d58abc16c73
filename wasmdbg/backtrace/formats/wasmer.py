"""wasmer's RuntimeError backtraces, alone or inside the CLI's `│ N:` / `╰─▶ N:` error chains.

Format (lib/api/src/errors.rs, `Display for RuntimeError`): `RuntimeError: {message}`, then one
`    at {name|<unnamed>} ({module}[{func_index}]:0x{module_offset:x})` line per frame, innermost
first. The module is `ModuleInfo::name()`: the name the embedder or CLI gave (the file name for
`wasmer run`) or `<module>`. The number is `FrameInfo::module_offset()`, the SourceLoc of the
instruction, which is "an offset of bytes from the front of the file"; wasmer prints
SourceLoc's default, 0xffffffff, when it has no location (LLVM backend, wasmer #1523).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from wasmdbg.backtrace.formats._common import clean_reason, dec_int, expand_escaped, hex_int, make_trace, placeholder
from wasmdbg.backtrace.model import MODULE, UNKNOWN, Line, RawFrame, Trace

RUNTIME = "wasmer"

_NO_LOCATION = 0xFFFFFFFF
"""SourceLoc::default(): wasmer had no wasm location for this frame."""

_AT = re.compile(r"(?:^|\s\s)at\s(?P<name>\S.*)")
"""wasmer indents `at` by four spaces (more in the CLI chain); two keep a log prefix's ` at ` out."""
_HEX = re.compile(r"[0-9a-fA-F]{1,40}")
_REASON = re.compile(r"RuntimeError:\s(?P<reason>.+)")
_ESCAPED = ("RuntimeError: ",)
_NO_LOCATION_NOTE = "wasmer printed 0xffffffff: it had no wasm location for that frame"


def parse(lines: Sequence[Line]) -> list[Trace]:
    """Every run of wasmer frame lines in `lines`, with the RuntimeError line before it."""
    lines = expand_escaped(lines, _ESCAPED)
    traces: list[Trace] = []
    i = 0
    while i < len(lines):
        if _frame(lines[i]) is None:
            i += 1
            continue
        start = i
        frames: list[RawFrame] = []
        while i < len(lines) and (frame := _frame(lines[i])) is not None:
            frames.append(frame)
            i += 1
        used = [f.line_no for f in frames]
        reason = None
        if start > 0 and (m := _REASON.search(lines[start - 1].text)) is not None:
            reason = clean_reason(m["reason"])
            used.append(lines[start - 1].no)
        notes = [_NO_LOCATION_NOTE] if any(f.offset == _NO_LOCATION for f in frames) else []
        trace = make_trace(RUNTIME, frames, used, reason=reason, notes=notes)
        if trace is not None:
            traces.append(trace)
    return traces


def _opening(text: str, end: int) -> int:
    """The `(` that opens the location ending at `end`, skipping balanced parentheses in the
    module name (`m (1).wasm`); -1 if there is none."""
    depth = 0
    for i in range(end - 1, -1, -1):
        ch = text[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            if depth == 0:
                return i
            depth -= 1
    return -1


def _frame(line: Line) -> RawFrame | None:
    """`at name (module[index]:0xoffset)`, read from the right so names may hold anything."""
    text = line.text.rstrip()
    if not text.endswith(")"):
        return None
    colon = text.rfind("]:0x")
    bracket = text.rfind("[", 0, colon) if colon > 0 else -1
    paren = _opening(text, bracket)
    if paren < 1 or text[paren - 1] != " " or not _HEX.fullmatch(text[colon + 4 : -1]):
        return None
    module = text[paren + 1 : bracket]
    if "wasm-function" in module:
        return None  # V8's `(url:wasm-function[8]:0x1f4)` is not wasmer's
    at = _AT.search(text, 0, paren - 1)
    func_index = dec_int(text[bracket + 1 : colon])
    offset = hex_int(text[colon + 4 : -1])
    if at is None or func_index is None or offset is None:
        return None
    known = offset != _NO_LOCATION
    return RawFrame(
        line_no=line.no,
        runtime=RUNTIME,
        func_index=func_index,
        func_name=placeholder(at["name"], "<unnamed>"),
        module=placeholder(module, "<module>"),
        offset=offset,
        offset_kind=MODULE if known else UNKNOWN,
        module_offset=offset if known else None,
    )

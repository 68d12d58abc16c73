"""wazero's `wasm stack trace:` errors, and the Go goroutine dumps printed around them.

Format (internal/wasmdebug/debug.go, `stackTrace.FromRecovered` and `AddFrame`): the error
(`wasm error: integer divide by zero`, or `... (recovered by wazero)` for a host panic), then
`wasm stack trace:` and one `\t{module}.{name}({params}) {results}` line per frame, innermost
first; the module is the instance name (often empty: `.main()`), and a function without a name
is `$index`. With DWARF (internal/wasmdebug/dwarf.go, `DWARFLines.Line`) each frame is followed
by `\t\t0x{offset:x}: {file}:{line}:{col}` and, for inlined code, further `(inlined)` lines
whose last entry (without the marker) is the call site in the physical function. The offset is
"an offset in the code section of the original Wasm binary" (CODE).

Frames of host modules (`env`, `wasi_snapshot_preview1`, ...) are Go functions the guest
imported, and Go's own frames (`goroutine 1 [running]:`, `Go runtime stack trace:`) are host
frames: both are counted, not reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from wasmdbg.backtrace.formats._common import clean_reason, dec_int, expand_escaped, hex_int, location, make_trace
from wasmdbg.backtrace.model import CODE, UNKNOWN, Line, RawFrame, Trace

RUNTIME = "wazero"

HOST_MODULES = frozenset({"env", "wasi_snapshot_preview1", "wasi_unstable", "wasi", "gojs", "go"})
"""Module names wazero's host modules use; a frame in one is Go code the guest called."""

_HEADER = re.compile(r"wasm stack trace:\s*$")
_INDENT = re.compile(r"\t|\s{4}")
"""Frame lines are indented with tabs (or, pasted, spaces); the first run ends any log prefix."""
_SOURCE = re.compile(r"0x(?P<offset>[0-9a-fA-F]{1,40}): (?P<loc>\S.*)")
_VALUE_TYPES = frozenset({"i32", "i64", "f32", "f64", "v128", "funcref", "externref", "unknown"})
"""What api.ValueTypeName prints in a signature."""
_INLINED = " (inlined)"
_CALL_SITE = re.compile(r".{1,4000}?:\d{1,10}(?::\d{1,10})?(?: \(inlined\))?")
_GO_LOG_TIME = re.compile(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d{1,9})? ")
_REASON = re.compile(r"wasm error:\s(?P<reason>.+)")
_RECOVERED = re.compile(r"(?P<reason>\S.*) \(recovered by wazero\)\s*$")
_GO_HEADER = re.compile(r"goroutine \d{1,20} \[|Go runtime stack trace:")
_GO_FRAME = re.compile(r"\.go:\d{1,10}(?: \+0x[0-9a-fA-F]{1,40})?\s*$")
_GO_CALL = re.compile(r"\)\s*$|^\s*created by |\.\.\.additional frames elided\.\.\.")
_ESCAPED = ("wasm stack trace:\\n",)


def parse(lines: Sequence[Line]) -> list[Trace]:
    """Every `wasm stack trace:` block in `lines`, with its error and any Go dump after it."""
    lines = expand_escaped(lines, _ESCAPED)
    traces: list[Trace] = []
    i = 0
    while i < len(lines):
        if not _HEADER.search(lines[i].text):
            i += 1
            continue
        trace, i = _parse_block(lines, i)
        if trace is not None:
            traces.append(trace)
    return traces


def _parse_block(lines: Sequence[Line], header: int) -> tuple[Trace | None, int]:
    frames: list[RawFrame] = []
    used = [lines[header].no]
    host = 0
    function: tuple[Line, str | None, str | None, int | None] | None = None
    sources: list[tuple[Line, int | None, str]] = []

    def flush() -> None:
        nonlocal host
        if function is None:
            return
        line, module, name, func_index = function
        if module in HOST_MODULES:
            host += 1
            return
        frames.extend(_frames(line, module, name, func_index, sources))

    i = header + 1
    while i < len(lines):
        m = _INDENT.search(lines[i].text)
        rest = lines[i].text[m.start() :].strip() if m is not None else ""
        if not rest:
            break
        if function is not None and (src := _SOURCE.match(rest)) is not None:
            sources.append((lines[i], hex_int(src["offset"]), src["loc"].rstrip()))
        elif sources and sources[-1][2].endswith(_INLINED) and _CALL_SITE.fullmatch(rest):
            sources.append((lines[i], sources[-1][1], rest))  # the inlined chain's next call site
        elif (signature := _signature(rest)) is not None:
            flush()
            function, sources = (lines[i], *signature), []
        else:
            break
        used.append(lines[i].no)
        i += 1
    flush()
    reason, reason_line = _reason(lines, header)
    if reason_line is not None:
        used.append(reason_line)
    go_frames, go_lines, i = _go_dump(lines, i)
    return make_trace(RUNTIME, frames, used + go_lines, reason=reason, host_frames=host + go_frames), i


def _signature(text: str) -> tuple[str | None, str | None, int | None] | None:
    """(module, name, function index) from `module.name(params) results`, or None if not one."""
    if text.endswith(")"):
        # `(i32,i32)` after a space is a multi-value result; the parameters come before it.
        open_ = text.rfind("(")
        if open_ > 1 and text[open_ - 1] == " " and text[open_ - 2] == ")" and _types(text[open_ + 1 : -1]):
            text = text[: open_ - 1]
    else:
        space = text.rfind(" ")
        if space < 0 or not _types(text[space + 1 :]):
            return None
        text = text[:space]
    open_ = text.rfind("(")
    if open_ < 1 or not text.endswith(")") or not _types(text[open_ + 1 : -1]):
        return None
    module, dot, name = text[:open_].partition(".")
    if not dot or not name or " " in module:
        return None
    if name.startswith("$") and (index := dec_int(name[1:])) is not None:
        return module or None, None, index
    return module or None, name, None


def _types(text: str) -> bool:
    """A comma-separated list of value type names, or nothing."""
    return not text or all(t in _VALUE_TYPES for t in text.split(",", 1000))


def _frames(
    line: Line, module: str | None, name: str | None, func_index: int | None, sources: list[tuple[Line, int | None, str]]
) -> list[RawFrame]:
    """The physical frame and, before it, the inlined frames its DWARF lines describe."""
    out = []
    physical: tuple[int | None, str] | None = None
    for src_line, offset, loc in sources:
        if loc.endswith(_INLINED):
            file, line_no, column = location(loc[: -len(_INLINED)])
            out.append(_raw(src_line.no, None, None, None, offset, file, line_no, column, inlined=True))
        elif physical is None:
            physical = (offset, loc)
    offset = physical[0] if physical else (sources[0][1] if sources else None)
    file, line_no, column = location(physical[1]) if physical else (None, None, None)
    out.append(_raw(line.no, module, name, func_index, offset, file, line_no, column, inlined=False))
    return out


def _raw(
    no: int,
    module: str | None,
    name: str | None,
    func_index: int | None,
    offset: int | None,
    file: str | None,
    line: int | None,
    column: int | None,
    *,
    inlined: bool,
) -> RawFrame:
    return RawFrame(
        line_no=no,
        runtime=RUNTIME,
        func_index=func_index,
        func_name=name,
        module=module,
        offset=offset,
        offset_kind=CODE if offset is not None else UNKNOWN,
        file=file,
        line=line,
        column=column,
        inlined=inlined,
    )


def _reason(lines: Sequence[Line], header: int) -> tuple[str | None, int | None]:
    """The error wazero put before `wasm stack trace:`, on the header's line or the one before."""
    for j in (header, header - 1):
        if j < 0:
            continue
        text = lines[j].text
        if j == header:
            text = text[: text.rfind("wasm stack trace:")]
        if (m := _REASON.search(text)) is not None or (m := _RECOVERED.search(text)) is not None:
            reason = m["reason"]
            if (stamp := _GO_LOG_TIME.match(reason)) is not None:
                reason = reason[stamp.end() :]  # log.Printf's timestamp is not part of the error
            return clean_reason(reason), lines[j].no
    return None, None


def _go_dump(lines: Sequence[Line], start: int) -> tuple[int, list[int], int]:
    """Go frames of the goroutine dump right after the trace: (count, lines read, next line)."""
    i = start
    while i < len(lines) and i < start + 3 and not _GO_HEADER.search(lines[i].text):
        if lines[i].text.strip():
            return 0, [], start
        i += 1
    if i >= len(lines) or not _GO_HEADER.search(lines[i].text):
        return 0, [], start
    used = [lines[i].no]
    count = 0
    i += 1
    while i < len(lines):
        text = lines[i].text
        if _GO_FRAME.search(text):
            count += 1  # each Go frame has exactly one `\t/path/file.go:12 +0x1d` line
        elif not (_GO_CALL.search(text) or _GO_HEADER.search(text)):
            break  # `exit status 2`, a blank line: the dump is over
        used.append(lines[i].no)
        i += 1
    return count, used, i

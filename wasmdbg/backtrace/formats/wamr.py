"""WAMR (iwasm, wasm-micro-runtime) call-stack dumps and its `Exception: ...` line.

Formats (core/iwasm/interpreter/wasm_runtime.c `wasm_interp_dump_call_stack`, and
core/iwasm/aot/aot_runtime.c `aot_dump_call_stack`):

- since WAMR 1.3.2 (PR #2996): `#%02u: 0x%04x - %s`, or `- $f%u` (the function index) when the
  function has no name; one frame per line, innermost first.
- before, and for Fast JIT / multi-tier JIT still: `#%02u %s` / `#%02u $f%u`, no offset.

What the number is, from the source: the interpreter stores `frame.func_offset =
cur_frame->ip - module->load_addr` (classic interpreter), `load_addr` being the first byte of
the wasm binary, so it is a module offset; WAMR's own test-tools/addr2line/addr2line.py
subtracts the code section start from it, and PR #3199 says "address values in call stack dump
are relative to file beginning". `cur_frame->ip` is the ip WAMR committed: for the trapping
frame the interpreter has already fetched the opcode (and any immediates read before the check),
for a caller it is past the call instruction. One less than the printed value therefore lies
inside the instruction that trapped or made the call, which is the byte a line table lookup
needs: module_offset = offset - 1. AOT frames (with AOT stack frames enabled) commit
`frame_ip - load_addr` the same way (aot_emit_exception.c). A printed 0 is WAMR's "no ip".
The fast interpreter (the default `iwasm` build) stores `ip - func_code_base`, an offset into
its own translated code that no module maps (PR #3199); the text does not say which
interpreter ran, so every trace with offsets carries a note saying so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from wasmdbg.backtrace.formats._common import (
    clean_reason,
    dec_int,
    hex_int,
    make_trace,
    peel,
    placeholder,
    prefix_pattern,
)
from wasmdbg.backtrace.model import MODULE, UNKNOWN, Line, RawFrame, Trace

RUNTIME = "wamr"

_NEW = re.compile(r"(?:^|[\s:])#(?P<index>\d{2,9}): 0x(?P<offset>[0-9a-fA-F]{1,40}) - (?P<name>\S.*)")
_OLD = re.compile(r"(?:^|[\s:])#(?P<index>\d{2,9}) (?P<name>\S.*)")
_INDEX_NAME = re.compile(r"\$f(?P<index>\d{1,40})")
_ANDROID_TOMBSTONE = re.compile(r"pc [0-9a-fA-F]{4,}\b")
_EXCEPTION = re.compile(r"(?<![\w.$])Exception:\s(?P<reason>.+)")
"""iwasm's `Exception: ...`, not the tail of a Java `RuntimeException: ...`."""
_LINE_BUFFER = 255
"""WAMR prints a frame into a 256-byte buffer; an overlong one ends `...` at exactly this length."""
_FAST_INTERP_NOTE = (
    "WAMR offsets are module offsets from the classic interpreter and AOT; the fast interpreter "
    "(iwasm's default build) prints offsets into its own translated code instead"
)


def parse(lines: Sequence[Line]) -> list[Trace]:
    """Every `#00 ...` call-stack dump in `lines`, with a nearby `Exception:` line."""
    traces: list[Trace] = []
    i = 0
    while i < len(lines):
        first = _frame(lines[i], 0)
        if first is None:
            i += 1
            continue
        start = i
        frames = [first]
        i += 1
        while i < len(lines) and (frame := _frame(lines[i], len(frames))) is not None:
            frames.append(frame)
            i += 1
        used = [f.line_no for f in frames]
        hash_at = lines[start].text.find("#00")
        prefix = prefix_pattern(lines[start].text[:hash_at]) if hash_at > 0 else None
        reason, reason_line = _reason(lines, start, i, prefix)
        if reason_line is not None:
            used.append(reason_line)
        notes = []
        if any(f.offset for f in frames):
            notes.append(_FAST_INTERP_NOTE)
        if any(_cut(lines[n]) for n in range(start, i)):
            notes.append("WAMR cut a long function name to fit its 256-byte line buffer")
        trace = make_trace(RUNTIME, frames, used, reason=reason, notes=notes)
        if trace is not None:
            traces.append(trace)
    return traces


def _cut(line: Line) -> bool:
    """The frame line filled WAMR's line buffer, so its name was cut and ends with `...`."""
    text = line.text.rstrip()
    at = text.find("#")
    return at >= 0 and len(text) - at == _LINE_BUFFER and text.endswith("...")


def _frame(line: Line, expected: int) -> RawFrame | None:
    """The frame numbered `expected` on this line, in either format."""
    text = line.text
    m = _NEW.search(text)
    offset: int | None = None
    if m is not None:
        offset = hex_int(m["offset"])
        if offset is None:
            return None
    else:
        m = _OLD.search(text)
        if m is None or _ANDROID_TOMBSTONE.match(m["name"]) or m["name"].startswith("0x"):
            return None
    if dec_int(m["index"]) != expected:
        return None
    name = m["name"].rstrip()
    by_index = _INDEX_NAME.fullmatch(name)
    known = bool(offset)  # 0 is WAMR's "no ip"
    return RawFrame(
        line_no=line.no,
        runtime=RUNTIME,
        index=expected,
        func_index=dec_int(by_index["index"]) if by_index else None,
        func_name=None if by_index else placeholder(name),
        offset=offset,
        offset_kind=MODULE if known else UNKNOWN,
        module_offset=offset - 1 if offset else None,
    )


def _reason(
    lines: Sequence[Line], start: int, end: int, prefix: re.Pattern[str] | None
) -> tuple[str | None, int | None]:
    """iwasm prints `Exception: ...` after the dump (past a blank line); an embedder may log it before."""
    for j in range(end, min(end + 3, len(lines))):
        if (m := _EXCEPTION.search(lines[j].text)) is not None:
            return clean_reason(m["reason"]), lines[j].no
        if peel(lines[j].text, prefix).strip():
            break  # only blank lines separate the dump from the exception after it
    for j in range(start - 1, max(start - 3, -1), -1):
        if (m := _EXCEPTION.search(lines[j].text)) is not None:
            return clean_reason(m["reason"]), lines[j].no
    return None, None

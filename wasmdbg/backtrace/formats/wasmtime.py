"""wasmtime backtraces of every era, from the CLI, embedders and the Python bindings.

Formats (crates/wasmtime/src/trap.rs, later runtime/trap.rs, `Display for WasmBacktrace`):

- 2020-22: the trap message, then `wasm backtrace:` and `  {i}: {offset:#6x} - {module}!{func}`;
  early 2020 (PR #831) printed bare names (`  0: __rust_start_panic`).
- 3.0 and later: `error while executing at wasm backtrace:` then `  {i:>3}: {offset:#6x} - ...`,
  the trap in an anyhow `Caused by:` chain after it. The offset is left out when the module has
  no address map (`    0: <unknown>!walk_tree`).
- WASMTIME_BACKTRACE_DETAILS=1: a frame's DWARF symbols replace `module!func`; each further
  symbol is an inlined caller on a `- name` continuation line, each followed by `at file:l:c`.
- 0.x: the Debug form on one line, `Trap { message: "...", wasm_trace: [FrameInfo { ... }] }`.

Pastes also lose the header: a chunk cut from the middle of a trace (`   7: 0x5a10 - m!f`). A run of
two or more frame lines with an offset and consecutive indices, from any index, is read as a
headerless trace; one such line alone is not. Rust's native `stack backtrace:` prints the same
`N: 0x... - name` shape, so headerless frames must have an offset below 2**32 (wasm module offsets
are 32-bit, native addresses are not) and a name without a Rust symbol hash (`::h0123...`), and no
run is read inside a native block (after `stack backtrace:` or after a frame line only native code
prints, until a line that is neither a frame nor an `at` line), wasm3's `==== wasm backtrace:` or
Proxy-Wasm's V8 block.
A DETAILS `at` line pasted without its frame line (the chunk's first line) is skipped.

Offsets are module offsets (`FrameInfo::module_offset`: "from the beginning of the original
wasm module to the instruction"), so module_offset is the printed number. For a component the
"module" is the component binary: its core modules' offsets count from the component's first
byte (checked with wasmtime 50 and `wasm-tools print --print-offsets`), which a note says. wasmtime keeps at most
20 frames; that truncation is flagged by wasmdbg.backtrace.matching, not here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from wasmdbg.backtrace.formats._common import (
    clean_reason,
    dec_int,
    expand_escaped,
    hex_int,
    location,
    make_trace,
    peel,
    placeholder,
    prefix_pattern,
)
from wasmdbg.backtrace.model import MODULE, Line, RawFrame, Trace

RUNTIME = "wasmtime"

_HEADER = re.compile(r"(?<!==== )wasm backtrace:\s*$")
"""wasmtime's header; `==== wasm backtrace:` is wasm3's."""
_FRAME_START = re.compile(r"(?:^|\s)\d{1,9}:\s")
_FRAME = re.compile(
    r"\s*(?P<index>\d{1,9}):\s{1,40}"
    r"(?:0x(?P<offset>[0-9a-fA-F]{1,40})\s{1,8}-\s{1,8})?(?P<name>\S.*)"
)
_MAX_CANDIDATES = 8
"""Places per line where a frame may start; a log prefix can hold `N: ` too, but not many times."""
_BAD_NUMBER = re.compile(r"0x[0-9a-fA-F]")
_INLINED = re.compile(r"\s{4,}-\s(?P<name>\S.*)")
_AT = re.compile(r"(?:^|\s{4})at\s(?P<loc>\S.*)")
_GLUED = re.compile(r"(?P<loc>\S.*?)\s{4,}-\s(?P<name>\S.*)")
"""An `at` location with the next inlined symbol's `- name` joined onto its line (a re-wrapped paste)."""
_FOREIGN_HEADER = re.compile(r"(?:^|\s)(?:stack backtrace:|==== wasm backtrace:|Proxy-Wasm plugin in-VM backtrace:)\s*$")
"""Blocks whose `N: 0x... - name` lines are not wasmtime's: Rust's native backtrace, wasm3, Envoy's V8."""
_NUMBERED = re.compile(r"\s*(?:\d{1,9}:\s|at\s)")
_HEADERLESS_MAX = 1 << 32
_RUST_HASH = re.compile(r"::h[0-9a-f]{16}\s*$")
_MODULE = re.compile(r"[^\s<>(){}\[\],!]{1,512}")
_WASM_FUNCTION = re.compile(r"<wasm function (?P<index>\d{1,40})>")
_WASM_TRAP = re.compile(r"wasm trap:\s(?P<reason>.+)")
_SOURCE_LOCATION = re.compile(r",\s*source location:\s*@(?P<loc>[0-9a-fA-F]{1,40})\s*$")
_CAUSE = re.compile(r"\s*(?:\d{1,4}:\s+)?(?P<text>\S.*)")
_NOTE = "note: using the `WASMTIME_BACKTRACE_DETAILS=1`"
_DETAILS_HINT = "wasmtime found DWARF it did not use: WASMTIME_BACKTRACE_DETAILS=1 shows source lines"
_COMPONENT_NOTE = (
    "a component's core modules (`wit-component:...`): wasmtime counts these offsets from the "
    "component's first byte, not the core module's"
)
_ESCAPED = ("wasm backtrace:\\n", "Caused by:\\n", "wasm_trace: [")

_DEBUG_FRAME = "FrameInfo {"
_DEBUG_MESSAGE = re.compile(r'(?:message: |reason: Message\()"(?P<text>(?:[^"\\]|\\.){0,4000})"')
_DEBUG_MODULE = re.compile(r'module_name: (?:None|Some\("(?P<text>(?:[^"\\]|\\.){0,4000})"\))')
_DEBUG_INDEX = re.compile(r"func_index: (?P<index>\d{1,40})")
_DEBUG_NAME = re.compile(r'func_name: (?:None|Some\("(?P<text>(?:[^"\\]|\\.){0,4000})(?P<end>"\))?)')
_DEBUG_INSTR = re.compile(r"instr: (?:Some\()?(?:SourceLoc|FilePos)\((?P<offset>\d{1,40})\)")


def parse(lines: Sequence[Line]) -> list[Trace]:
    """Every wasmtime backtrace in `lines`: Display blocks and 0.x Debug reprs."""
    lines = expand_escaped(lines, _ESCAPED)
    traces: list[Trace] = []
    foreign = False  # inside a native Rust, wasm3 or V8 block
    i = 0
    while i < len(lines):
        text = lines[i].text
        if _HEADER.search(text):
            trace, i = _parse_block(lines, i)
            if trace is not None:
                traces.append(trace)
            foreign = False
            continue
        if _FOREIGN_HEADER.search(text) or _native_frame(text):
            foreign = True  # and the frame lines after it are native too, numbered on from it
        elif foreign and not _NUMBERED.match(text):
            foreign = False
        if "wasm_trace: [" in text and _DEBUG_FRAME in text:
            trace = _parse_debug(lines[i])
            if trace is not None:
                traces.append(trace)
        elif not foreign and (first := _headerless_frame(text)) is not None:
            trace, end = _parse_block(lines, i, first=first)
            if trace is not None:
                traces.append(trace)
                i = end
                continue
        i += 1
    return traces


def _headerless_frame(text: str) -> int | None:
    """The index of a frame line that can open a headerless run: `N: 0x... - name`, wasm-sized."""
    m = _FRAME.match(text)
    if m is None or not m["offset"] or not _headerless_ok(m):
        return None
    return int(m["index"])


def _native_frame(text: str) -> bool:
    """A `N: 0x... - name` line that only native code prints: a 64-bit address or a Rust symbol hash."""
    m = _FRAME.match(text)
    return m is not None and m["offset"] is not None and not _headerless_ok(m)


def _headerless_ok(m: re.Match[str]) -> bool:
    """A frame that wasm code, not native Rust code, printed: a 32-bit offset and no symbol hash."""
    offset = hex_int(m["offset"]) if m["offset"] else None
    return offset is not None and offset < _HEADERLESS_MAX and _RUST_HASH.search(m["name"]) is None


@dataclass
class _Symbol:
    """One name printed for a frame: the frame line itself or a `- name` inlined continuation."""

    line_no: int
    text: str
    file: str | None = None
    line: int | None = None
    column: int | None = None


@dataclass
class _Frame:
    line_no: int
    index: int
    offset: int | None
    symbols: list[_Symbol] = field(default_factory=list)


def _parse_block(lines: Sequence[Line], header: int, *, first: int | None = None) -> tuple[Trace | None, int]:
    """The frames after a `wasm backtrace:` header; returns the trace and the next line to read.

    With `first`, `header` is the first frame line of a headerless run whose index is `first`;
    such a run needs two frames or more, each with a wasm-sized offset.
    """
    frames: list[_Frame] = []
    headerless = first is not None
    used = [] if headerless else [lines[header].no]
    layout: tuple[int, int] | None = None  # the first frame's indentation and colon column
    prefixes = [None if headerless else _prefix(lines[header].text)]
    i = header if headerless else header + 1
    while i < len(lines):
        text = _peel(lines[i].text, prefixes)
        m = _frame_match(text, frames, layout, first or 0)
        if m is not None and headerless and not _headerless_ok(m):
            break
        if m is not None:
            offset = hex_int(m["offset"]) if m["offset"] else None
            name = m["name"].rstrip()
            if (m["offset"] and offset is None) or (offset is None and _BAD_NUMBER.match(name)):
                break  # a number no module has: stop rather than guess
            if layout is None:
                layout = (_indent(text, m), m.end("index"))
                # pytest's `E   ` or a logger's prefix on the frame lines, for the lines after them
                prefixes.append(prefix_pattern(text[: m.start("index")].rstrip()))
            frame = _Frame(lines[i].no, int(m["index"]), offset)
            frame.symbols.append(_Symbol(lines[i].no, name))
            frames.append(frame)
        elif frames and (at := _AT.search(text)) is not None and frames[-1].symbols[-1].file is None:
            symbol = frames[-1].symbols[-1]
            loc = at["loc"]
            glued = _GLUED.fullmatch(loc)
            if glued is not None:
                loc = glued["loc"]
            symbol.file, symbol.line, symbol.column = location(loc)
            if glued is not None:
                frames[-1].symbols.append(_Symbol(lines[i].no, glued["name"].rstrip()))
        elif frames and (inl := _INLINED.match(text)) is not None:
            frames[-1].symbols.append(_Symbol(lines[i].no, inl["name"].rstrip()))
        else:
            break
        used.append(lines[i].no)
        i += 1
    if headerless and len(frames) < 2:
        return None, header + 1
    raw = [r for f in frames for r in _raw_frames(f)]
    notes: list[str] = []
    if any(f.module and ":" in f.module for f in raw):
        notes.append(_COMPONENT_NOTE)
    reason, reason_lines, i = _reason_after(lines, i, notes, prefixes)
    if reason is None and not headerless:
        reason, reason_lines = _reason_before(lines, header, notes)
    return make_trace(RUNTIME, raw, used + reason_lines, reason=reason, notes=notes), i


def _frame_match(
    text: str, frames: list[_Frame], layout: tuple[int, int] | None, first: int = 0
) -> re.Match[str] | None:
    """The frame that continues the block on this line: the next index, at the block's indentation."""
    expected = frames[-1].index + 1 if frames else first
    for n, start in enumerate(_FRAME_START.finditer(text)):
        if n == _MAX_CANDIDATES:
            break
        m = _FRAME.match(text, start.start())
        if m is None or m["name"].startswith("wasm trap:") or int(m["index"]) != expected:
            continue
        # anyhow numbers its causes too (`    2: wasm trap: ...`); frames sit deeper, so a line
        # whose index is neither indented like the first frame's nor right-aligned with it is not one.
        if layout is None or _indent(text, m) == layout[0] or m.end("index") == layout[1]:
            return m
    return None


def _indent(text: str, m: re.Match[str]) -> int:
    """The run of blanks before a frame's index."""
    before = text[: m.start("index")]
    return len(before) - len(before.rstrip())


def _peel(text: str, prefixes: list[re.Pattern[str] | None]) -> str:
    for prefix in prefixes:
        text = peel(text, prefix)
    return text


def _raw_frames(frame: _Frame) -> list[RawFrame]:
    """One RawFrame per printed symbol; every symbol but the last is inlined into the next."""
    out = []
    last = len(frame.symbols) - 1
    for n, symbol in enumerate(frame.symbols):
        details = last > 0 or any(s.file is not None for s in frame.symbols)
        module, name, func_index = _split_name(symbol.text, details=details)
        out.append(
            RawFrame(
                line_no=symbol.line_no,
                runtime=RUNTIME,
                index=frame.index,
                func_index=func_index,
                func_name=name,
                module=module,
                offset=frame.offset,
                offset_kind=MODULE if frame.offset is not None else "unknown",
                module_offset=frame.offset,
                file=symbol.file,
                line=symbol.line,
                column=symbol.column,
                inlined=n < last,
            )
        )
    return out


def _split_name(text: str, *, details: bool) -> tuple[str | None, str | None, int | None]:
    """(module, function name, function index) from `module!func`, `<wasm function N>` or a symbol.

    A frame with DWARF symbols (details mode) prints the symbol without its module, and Rust
    symbols may hold a `!` type (`foo<..., !>`), so only a plain module-name shape before the
    first `!` is split off, and never from a symbol.
    """
    module: str | None = None
    name = text
    bang = text.find("!")
    if text.startswith("<unknown>!"):
        name = text[len("<unknown>!") :]
    elif bang > 0 and not details and _MODULE.fullmatch(text[:bang]):
        module, name = text[:bang], text[bang + 1 :]
    wasm_function = _WASM_FUNCTION.fullmatch(name)
    if wasm_function is not None:
        return module, None, dec_int(wasm_function["index"])
    return module, placeholder(name, "<inlined function>"), None


def _prefix(header: str) -> re.Pattern[str] | None:
    """The log prefix before the header's own text, to peel off the lines that follow."""
    at = header.find("error while executing at wasm backtrace:")
    return prefix_pattern(header[: at if at >= 0 else header.rfind("wasm backtrace:")])


def _reason_after(
    lines: Sequence[Line], start: int, notes: list[str], prefixes: list[re.Pattern[str] | None]
) -> tuple[str | None, list[int], int]:
    """The trap message after the frames: the `note:` line and an anyhow `Caused by:` chain.

    Returns the reason, the lines read for it and the next line to read.
    """
    used: list[int] = []
    causes: list[str] = []
    in_chain = False
    i = start
    while i < len(lines) and i < start + 16:
        text = _peel(lines[i].text, prefixes)
        stripped = text.strip()
        if _HEADER.search(text):
            break
        if not stripped:
            if causes:
                break
            i += 1
            continue
        if _NOTE in text:
            notes.append(_DETAILS_HINT)
        elif stripped.endswith("Caused by:"):
            in_chain = True
        elif (trap := _WASM_TRAP.search(text)) is not None:
            causes.append(trap["reason"])  # the root of the chain
            used.append(lines[i].no)
            i += 1
            break
        elif in_chain and (cause := _CAUSE.match(text)) is not None:
            causes.append(cause["text"])
        else:
            break
        used.append(lines[i].no)
        i += 1
    if not causes:
        return None, used, i
    for text in causes[:-1]:
        if (cleaned := clean_reason(text)) is not None:
            notes.append(cleaned)
    return _reason_text(causes[-1], notes), used, i


def _reason_before(lines: Sequence[Line], header: int, notes: list[str]) -> tuple[str | None, list[int]]:
    """2020-22 printed the trap message on the line before `wasm backtrace:`."""
    for j in (header, header - 1):
        if j < 0:
            continue
        text = lines[j].text
        if j == header:
            text = text[: _HEADER.search(text).start()]  # type: ignore[union-attr]
        m = _WASM_TRAP.search(text)
        if m is not None:
            return _reason_text(m["reason"], notes), [lines[j].no]
    return None, []


def _reason_text(text: str, notes: list[str]) -> str | None:
    """`wasm trap: X` without its prefix; 0.x's `, source location: @6cea` becomes a note."""
    m = _WASM_TRAP.search(text)
    if m is not None:
        text = m["reason"]
    loc = _SOURCE_LOCATION.search(text)
    if loc is not None:
        notes.append(f"source location: @{loc['loc']} (the trapping instruction's module offset)")
        text = text[: loc.start()]
    return clean_reason(text)


def _parse_debug(line: Line) -> Trace | None:
    """The 0.x Debug repr: all frames on one line, innermost first, no frame numbers printed."""
    text = line.text
    frames = []
    pieces = text.split(_DEBUG_FRAME)
    for piece in pieces[1:]:
        index = _DEBUG_INDEX.search(piece)
        func_index = dec_int(index["index"]) if index else None
        if index is not None and func_index is None:
            continue  # an index beyond 64 bits: not a real frame
        module = _DEBUG_MODULE.search(piece)
        name = _DEBUG_NAME.search(piece)
        instr = _DEBUG_INSTR.search(piece)
        offset = dec_int(instr["offset"]) if instr else None
        func_name = None
        if name is not None and name["text"] is not None and name["end"]:
            func_name = _rust_unescape(name["text"])  # an unterminated string is a cut-off paste
        frames.append(
            RawFrame(
                line_no=line.no,
                runtime=RUNTIME,
                func_index=func_index,
                func_name=func_name,
                module=placeholder(_rust_unescape(module["text"]) if module and module["text"] else None),
                offset=offset,
                offset_kind=MODULE if offset is not None else "unknown",
                module_offset=offset,
            )
        )
    notes: list[str] = []
    message = _DEBUG_MESSAGE.search(pieces[0])
    reason = _reason_text(_rust_unescape(message["text"]), notes) if message else None
    return make_trace(RUNTIME, frames, [line.no], reason=reason, notes=notes)


def _rust_unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\\\", "\\")

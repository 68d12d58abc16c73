"""Pieces every non-JavaScript runtime parser shares: bounded numbers, escaped pastes, trace spans.

Conventions the parsers follow (and the fixtures under tests/fixtures/backtraces/ encode):

- A trace is returned only when it holds at least one wasm frame; a bare "wasm trap: ..." with
  no frames is not a trace.
- `first_line`/`last_line` span every input line the parser read as part of the trace: the
  header, the trap reason, frame lines, source-location lines and trailers such as wasmtime's
  `note:` line or Go's goroutine dump.
- Numbers are read with bounded patterns and converted here; anything of 64 bits or more is
  rejected, and the frame that carried it is dropped rather than kept with a wrong value.
- Placeholders (`<unknown>`, `<unnamed>`, `<module>`, wasm3's `.unnamed`) become None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from wasmdbg.backtrace.model import Line, RawFrame, Trace

LIMIT = 1 << 64
"""Printed numbers at or beyond this are not offsets or indices any runtime can print."""

MAX_DIGITS = 40
"""Patterns accept at most this many digits; `hex_int` and `dec_int` then apply LIMIT."""

LOCATION = re.compile(r"(?P<file>.*?):(?P<line>\d{1,10})(?::(?P<col>\d{1,10}))?")
"""`file:line[:col]` with the numbers taken from the right, so `C:\\src\\a.rs:3:1` keeps its drive."""


def hex_int(digits: str) -> int | None:
    """`digits` (hex, no 0x) as an int, or None when empty, too long or 64 bits or more."""
    if not digits or len(digits) > MAX_DIGITS:
        return None
    try:
        value = int(digits, 16)
    except ValueError:
        return None
    return value if value < LIMIT else None


def dec_int(digits: str) -> int | None:
    """`digits` (decimal) as an int, or None when empty, too long or 64 bits or more."""
    if not digits or len(digits) > MAX_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    value = int(digits)
    return value if value < LIMIT else None


def location(text: str) -> tuple[str | None, int | None, int | None]:
    """Split `file:line[:col]` (or a bare file) as runtimes print it; numbers beyond LIMIT are dropped."""
    text = text.strip()
    if not text:
        return None, None, None
    m = LOCATION.fullmatch(text)
    if m is None or not m["file"]:
        return text, None, None
    column = dec_int(m["col"]) if m["col"] else None
    return m["file"], dec_int(m["line"]), column


_QUOTE_TAIL = re.compile(r"""(?P<q>["'])[\s,;)}\]]{0,8}$""")


_ESCAPES = {"n": "\n", "t": "\t", "r": "", '"': '"', "'": "'", "\\": "\\"}


def unescape(text: str) -> str:
    """Undo one level of string escaping (Python repr, JSON, Go %q) in a single linear pass."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in _ESCAPES:
            out.append(_ESCAPES[text[i + 1]])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def expand_escaped(lines: Sequence[Line], markers: Iterable[str]) -> list[Line]:
    """Lines with an escaped multi-line trace (a JSON log field, a Python repr) split into lines.

    Production logs often hold the whole trace in one line with literal `\\n`. Only lines holding
    one of `markers` are split, so Windows paths elsewhere are left alone; the pieces keep the
    physical line's number, which is what a reader of the paste can find.
    """
    wanted = tuple(markers)
    out: list[Line] = []
    for line in lines:
        text = line.text
        if "\\n" in text and any(m in text for m in wanted):
            pieces = unescape(text).split("\n")
            tail = _QUOTE_TAIL.search(pieces[-1])
            if tail is not None and tail["q"] in pieces[0]:  # the string's closing quote
                pieces[-1] = pieces[-1][: tail.start()]
            out.extend(Line(line.no, piece) for piece in pieces)
        else:
            out.append(line)
    return out


_DIGITS = re.compile(r"(\d+)")


def prefix_pattern(prefix: str) -> re.Pattern[str] | None:
    """A pattern for the log prefix a header line shows, its digits free to change line by line.

    Loggers put `2024-05-01T12:00:00Z ERROR worker: ` before every line of a trace; the text
    before a trace's header tells what to peel off the lines after it. None when there is none.
    """
    if not prefix.strip() or len(prefix) > 256:
        return None
    parts = _DIGITS.split(prefix)
    return re.compile("".join(r"\d{1,20}" if p.isdigit() else re.escape(p) for p in parts if p))


def peel(text: str, pattern: re.Pattern[str] | None) -> str:
    """`text` without the log prefix `pattern` describes, when it starts with one."""
    if pattern is None:
        return text
    m = pattern.match(text)
    return text[m.end() :] if m is not None else text


def span(numbers: Iterable[int]) -> tuple[int, int]:
    """(first, last) of the line numbers a trace was read from."""
    nums = list(numbers)
    return min(nums), max(nums)


def make_trace(
    runtime: str,
    frames: Sequence[RawFrame],
    used: Iterable[int],
    *,
    reason: str | None = None,
    host_frames: int = 0,
    notes: Iterable[str] = (),
) -> Trace | None:
    """A Trace spanning `used` and the frames' lines, or None when no wasm frame was found."""
    if not frames:
        return None
    first, last = span([*used, *(f.line_no for f in frames)])
    return Trace(
        runtime=runtime,
        frames=tuple(frames),
        first_line=first,
        last_line=last,
        trap_reason=reason,
        host_frames=host_frames,
        notes=tuple(dict.fromkeys(notes)),
    )


_PANIC_LOCATION = re.compile(r"""['"]\s*,\s*\S{1,512}:\d{1,10}:\d{1,10}\s*$""")


def clean_reason(text: str) -> str | None:
    """A trap message without the quoting a log or panic wrapped around it; None when empty."""
    text = _PANIC_LOCATION.sub("", text.strip())  # Rust: `...', src/main.rs:12:5`
    m = _QUOTE_TAIL.search(text)
    if m is not None and text.count(m["q"]) % 2 == 1:  # the closing half of a quote we cut off
        text = text[: m.start()]
    text = text.strip()
    return text or None


def placeholder(name: str | None, *placeholders: str) -> str | None:
    """None for an empty name or one of the runtime's placeholders, else the name as printed."""
    if name is None:
        return None
    name = name.strip()
    return None if not name or name in placeholders else name

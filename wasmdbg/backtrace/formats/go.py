"""Go's own tracebacks, as a Go program compiled to wasm (`GOOS=wasip1`, `GOOS=js`) prints them.

A Go panic is not a trap: the runtime prints the panic's value, then a traceback of each goroutine
it shows, and exits with status 2 (runtime/panic.go `fatalpanic`, runtime/traceback.go)::

    panic: runtime error: index out of range [7] with length 3

    goroutine 1 [running]:
    main.(*inventory).pick(0x23ae98, 0x7)
    \t/src/app/main.go:15 +0x6
    main.restock(...)
    \t/src/app/main.go:21
    main.main()
    \t/src/app/main.go:27 +0x3

One frame is two lines: the function with its arguments (`(...)` for a call the compiler
inlined), then a tab, `file:line` and, unless inlined, `+0x<pc offset>`. With GOTRACEBACK=crash
or higher each goroutine header has `gp= m=` fields, each frame line ends with `fp= sp= pc=` and
every goroutine is listed, the runtime's own frames too; a fatal error (`fatal error: ...`) prints
the same blocks. `created by F in goroutine N` ends a goroutine that another one started.

Go's wasm PCs are `PC_F << 16 | PC_B` (the function's index in Go's table and a resume point), not
code offsets: frames are reported by name, file and line, and matched to the module by name
(the name section spells them with every character other than a letter, digit, `_` or `.` as `_`:
`main.__inventory_.pick`; see `name_section_spelling`). A native Go program's traceback looks the
same; where it sits right after a runtime's `wasm stack trace:` (wazero) it is that host's, and
the runtime's parser has claimed it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from wasmdbg.backtrace.formats._common import clean_reason, dec_int, make_trace
from wasmdbg.backtrace.model import UNKNOWN, Line, RawFrame, Trace

RUNTIME = "go"
SECONDARY = True
"""Go's dump yields to a runtime trace it overlaps (see `backtrace.detect.parse_lines`)."""

_HEADER = re.compile(r"^\s*goroutine (?P<id>\d{1,20})(?: gp=\S+)?(?: m=\S+)?(?: mp=\S+)? \[(?P<state>[^\]]{1,200})\]:\s*$")
_CALL = re.compile(r"^(?P<name>[^\s()]\S{0,4000})\((?P<args>[^()\n]{0,2000})\)\s*$")
"""`pkg.func(args)`: the name has no spaces and may itself hold parentheses (`main.(*T).m`); the
arguments (hex words, `...`, `{...}` for a struct) never do, so they are the last `(...)`."""
_PLACE = re.compile(
    r"^\t(?P<file>[^\t]{1,4000}?):(?P<line>\d{1,10})(?: \+0x(?P<pcoff>[0-9a-fA-F]{1,16}))?"
    r"(?: fp=0x[0-9a-fA-F]{1,16} sp=0x[0-9a-fA-F]{1,16} pc=0x(?P<pc>[0-9a-fA-F]{1,16}))?\s*$"
)
_CREATED = re.compile(r"^created by \S+(?: in goroutine \d{1,20})?\s*$")
_ELIDED = re.compile(r"^\.\.\.(?:additional frames elided|\d{1,10} frames elided)\.\.\.\s*$")
_REASON = re.compile(r"^(?:panic|fatal error): (?P<reason>.+)$")
_NAME_CHAR = re.compile(r"[^0-9A-Za-z_.]")
_PEEK_BACK = 40
"""Lines looked back from a goroutine header for the `panic:` line (a panic value can span lines)."""


_PRINTED_AS = {"panic": "runtime.gopanic"}
"""Functions Go's traceback prints under another name (runtime/traceback.go prints gopanic as `panic`)."""


def name_section_spelling(name: str) -> str:
    """How Go's wasm linker spells a function in the name section (cmd/link/internal/wasm `nameRegexp`)."""
    return _NAME_CHAR.sub("_", _PRINTED_AS.get(name, name))


def parse(lines: Sequence[Line]) -> list[Trace]:
    """Every goroutine block of every Go traceback in `lines`, the first with the panic's message."""
    traces: list[Trace] = []
    i = 0
    while i < len(lines):
        if _HEADER.match(lines[i].text) is None:
            i += 1
            continue
        trace, i = _parse_goroutine(lines, i, _reason(lines, i))
        if trace is not None:
            traces.append(trace)
    return traces


def _reason(lines: Sequence[Line], header: int) -> tuple[str | None, int | None]:
    """The `panic: ...` or `fatal error: ...` line printed before this goroutine block, if any."""
    for j in range(header - 1, max(-1, header - 1 - _PEEK_BACK), -1):
        text = lines[j].text
        if _HEADER.match(text) or _PLACE.match(text):
            return None, None  # the previous block's end: this one has no message of its own
        m = _REASON.match(text.strip())
        if m is not None:
            value = m["reason"].removesuffix(" [recovered]").strip()
            return clean_reason(value), lines[j].no
    return None, None


def _parse_goroutine(lines: Sequence[Line], header: int, reason: tuple[str | None, int | None]) -> tuple[Trace | None, int]:
    frames: list[RawFrame] = []
    used = [lines[header].no]
    if reason[1] is not None:
        used.append(reason[1])
    i = header + 1
    while i < len(lines):
        text = lines[i].text
        call = _CALL.match(text)
        if call is not None and i + 1 < len(lines) and (place := _PLACE.match(lines[i + 1].text)) is not None:
            inlined = call["args"] == "..." and place["pcoff"] is None
            frames.append(
                RawFrame(
                    line_no=lines[i].no,
                    runtime=RUNTIME,
                    index=len(frames),
                    func_name=call["name"],
                    offset_kind=UNKNOWN,
                    file=place["file"],
                    line=dec_int(place["line"]),
                    inlined=inlined,
                )
            )
            used += [lines[i].no, lines[i + 1].no]
            i += 2
        elif _CREATED.match(text) and i + 1 < len(lines) and _PLACE.match(lines[i + 1].text):
            used += [lines[i].no, lines[i + 1].no]  # where another goroutine started this one: not a frame
            i += 2
        elif _ELIDED.match(text):
            used.append(lines[i].no)
            i += 1
        else:
            break  # a blank line, the next goroutine, `exit status 2`: this block is over
    state = _HEADER.match(lines[header].text)
    notes = [f"goroutine {state['id']} [{state['state']}]"] if state is not None else []
    return make_trace(RUNTIME, frames, used, reason=reason[0], notes=notes), i


def failing_goroutine(lines: Sequence[Line]) -> Trace | None:
    """The goroutine a Go program printed after its `panic:` / `fatal error:` line (else its first), or None."""
    traces = parse(lines)
    return next((t for t in traces if t.trap_reason is not None), traces[0] if traces else None)

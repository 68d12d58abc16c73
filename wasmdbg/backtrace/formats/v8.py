"""V8 stacks (Chrome, Node, Deno, Cloudflare Workers, d8) and Chrome DevTools copies of them.

V8 prints each frame as `    at [name (]location[)]` (src/objects/call-site-info.cc,
`SerializeWasmStackFrame`), where a wasm location is one of:

- `url:wasm-function[N]:0xOFF` (V8 >= 8.x; `<anonymous>` when the module has no URL): N is the
  function index, OFF the module offset in hex (`GetColumnNumber - 1`, and the column is the module
  offset + 1);
- `wasm-function[N]:0xOFF` (V8 7.x, 2019: no URL, same numbers);
- `wasm-function[N]:DEC` (V8 up to 2018, Node <= 10): DEC relative to the function body;
- `wasm://wasm/<hash>:1:COL` (a CallSite printed as line:column by Deno 1.x, vitest and
  source-map-support): COL is the module offset + 1;
- `<script>:0xOFF` in DevTools, which replaces the location with its own link text.

The name is the name section's, prefixed by the module name and a dot when the module has one
(`demo.divide`); it may contain spaces and parentheses, so the location is the text in the last
` (`...`)` pair that parses as one. DevTools' own copy format is `name @ location`, one per line.

Placeholders are no names: `<anonymous>`, DevTools' `(anonymous)`, a bare `wasm-function[N]` and
DevTools' default `$funcN` (the last two still give the function index N). A stack DevTools has
already symbolized with the C/C++ DWARF extension prints `at name (file.c:LINE[:COL])`: a wasm frame
with a source location and no offset. It is told from a JavaScript frame by the file's extension
alone (`_SOURCE_SUFFIXES`, none of which a script loaded by V8 has), not by the surrounding stack.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from wasmdbg.backtrace.formats._js import (
    HOST,
    MESSAGE,
    OTHER,
    WASM,
    Classified,
    Location,
    any_location,
    collect,
    error_reason,
    frame,
    function_name,
    named,
    number,
    strip_prefix,
)
from wasmdbg.backtrace.model import Line, RawFrame, Trace

RUNTIME = "v8"

_AT = re.compile(r"(?:^|\s)at\s")
_JS_LINE = re.compile(r":\d{1,9}$")


_SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".c++", ".h", ".hh", ".hpp", ".hxx", ".inl", ".rs")
"""C, C++ and Rust sources: the files the DWARF extension puts in a symbolized wasm frame."""


@dataclass(frozen=True, slots=True)
class _Source:
    file: str
    line: int
    column: int | None


def _source_location(text: str) -> _Source | None:
    """`file.c:LINE` or `file.c:LINE:COL` with a C/C++/Rust file, as the DWARF extension prints it."""
    parts = text.rsplit(":", 2)
    column = None
    if len(parts) == 3 and parts[2].isdigit() and parts[1].isdigit():
        path, line_text, column = parts[0], parts[1], number(parts[2], 10)
        if column is None:
            return None
    else:
        parts = text.rsplit(":", 1)
        if len(parts) != 2 or not parts[1].isdigit():
            return None
        path, line_text = parts
    line = number(line_text, 10)
    if line is None or not path.lower().endswith(_SOURCE_SUFFIXES) or any(ch.isspace() for ch in path):
        return None
    return _Source(path, line, column)


def _at_location(rest: str) -> tuple[str | None, Location] | None:
    """(name as printed, location) of an `at` frame's text after `at `, or None when it is not wasm."""
    if rest.endswith(")"):
        open_at = rest.rfind(" (")
        if open_at >= 0:
            location = any_location(rest[open_at + 2 : -1])
            if location is not None:
                return rest[:open_at], location
    location = any_location(rest)
    return None if location is None else (None, location)


def _symbolized(line: Line, rest: str) -> RawFrame | None:
    """`name (file.c:LINE[:COL])`, a frame DevTools' DWARF extension has already symbolized."""
    if not rest.endswith(")"):
        return None
    open_at = rest.rfind(" (")
    if open_at <= 0:
        return None
    source = _source_location(rest[open_at + 2 : -1])
    if source is None:
        return None
    return RawFrame(
        line_no=line.no,
        runtime=RUNTIME,
        func_name=function_name(rest[:open_at]),
        file=source.file,
        line=source.line,
        column=source.column,
    )


def classify(line: Line) -> Classified:
    """What `line` is in a V8 stack."""
    text = line.text
    if not text.strip():
        return Classified(OTHER)
    body = strip_prefix(text)
    at = _AT.search(text)
    if at is not None:
        rest = text[at.end() :].strip()
        found = _at_location(rest)
        if found is not None:
            name, location = named(found[0], found[1], default_names=True)
            return Classified(WASM, frame(line, RUNTIME, name, location))
        symbolized = _symbolized(line, rest)
        if symbolized is not None:
            return Classified(WASM, symbolized)
        if body.startswith("at "):
            return Classified(HOST)
    sep = body.rfind(" @ ")
    if sep > 0:
        where = body[sep + 3 :].strip()
        # SpiderMonkey's and JSC's `name@url` frames never put blanks around the `@`; refusing an
        # `@` in the location keeps a name that contains " @ " from turning one of theirs into ours.
        if where and "@" not in where and not any(ch.isspace() for ch in where):
            printed = any_location(where)
            if printed is not None:
                name, location = named(body[:sep], printed, default_names=True)
                return Classified(WASM, frame(line, RUNTIME, name, location))
            if _JS_LINE.search(where):
                return Classified(HOST)
    reason = error_reason(text)
    if reason is not None:
        return Classified(MESSAGE, reason=reason, text=body)
    return Classified(OTHER)


_DENO_INDEX_NOTE = (
    "Deno prints wasm-function[0] for every wasm frame (the CallSite line number minus one), so the "
    "printed function index was dropped; the module offsets are V8's."
)


def _finish(trace: Trace, header: str, opaque: int) -> Trace | None:
    if not trace.frames:
        return None
    # Deno 2's `error: Uncaught ...` stacks print wasm-function[0] whatever the function (seen with
    # Deno 2.9.6): the number is not an index, but the hex offset after it is the module offset.
    if header.startswith("error: Uncaught") and any(f.func_index == 0 for f in trace.frames):
        frames = tuple(replace(f, func_index=None) if f.func_index == 0 else f for f in trace.frames)
        return replace(trace, frames=frames, notes=(*trace.notes, _DENO_INDEX_NOTE))
    return trace


def parse(lines: Sequence[Line]) -> list[Trace]:
    """Every V8 or DevTools stack with at least one wasm frame, in input order."""
    return collect(lines, RUNTIME, classify, _finish)

"""A pasted text line by line, each line with the symbolized frames to show under it.

This is what `wasmdbg symbolize` prints as a log filter and what a paste screen shows: every input
line unchanged and in order, and under a line that holds a recognised wasm frame, that frame. A
runtime that prints a frame's inlined callees on continuation lines of their own (wasmtime with
WASMTIME_BACKTRACE_DETAILS=1) gives several parsed frames the same address; the frame is shown
once, under the first of those lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from wasmdbg.backtrace.detect import parse_text
from wasmdbg.findings import Finding
from wasmdbg.session.pasted import PastedFrame, symbolize_traces
from wasmdbg.symbols.symbolizer import Symbolizer


_INDEXED = re.compile(r"[ \t]*#?\d{1,6}[:.)]?[ \t]+(?=\S)")
"""A frame line led by its index (`    0:  0x29d - f`, `#3 0x1f`, `  1: wasm!m!f+12`)."""


@dataclass(frozen=True, slots=True)
class AnnotatedLine:
    """One input line and the frames to show under it."""

    no: int
    """1-based line number in the input, as `RawFrame.line_no` counts."""
    text: str
    """The line exactly as pasted, without its newline (a CRLF input's CR and any ANSI colour kept)."""
    frames: tuple[PastedFrame, ...] = ()
    """The recognised frames of this line, minus those already shown under an earlier line."""
    newline: bool = True
    """Whether a newline followed the line in the input (False only for a last line without one)."""

    @property
    def indent(self) -> str:
        """The line's leading spaces and tabs, to indent its annotations as the frame is."""
        return self.text[: len(self.text) - len(self.text.lstrip(" \t"))]

    @property
    def frame_indent(self) -> str:
        """Where annotations start: under the frame's text after its index (`  12: ` or `#3 `), so they
        align whatever the index's width; without an index, four columns in from the line's indent."""
        found = _INDEXED.match(self.text)
        if found:
            return self.indent + " " * (found.end() - len(self.indent))
        return self.indent + "    "


@dataclass(frozen=True, slots=True)
class PastedText:
    """A paste parsed, symbolized and annotated: everything a front end needs to show it."""

    lines: tuple[AnnotatedLine, ...]
    """Every input line, in order."""
    frames: tuple[PastedFrame, ...]
    """Every recognised wasm frame, in trace order (`--format json` prints these)."""
    notes: tuple[Finding, ...] = ()
    """The symbolizer's notes on the module's debug information (unused DWARF, debug file)."""


def annotate(text: str, frames: Sequence[PastedFrame]) -> tuple[AnnotatedLine, ...]:
    """Split `text` into lines and give each the frames to show under it.

    Args:
        text: the paste, as given to `parse_text`.
        frames: its recognised frames (`symbolize_traces`), numbered by line as `parse_text` numbers them.

    Returns:
        Every line of `text`. Writing each line's `text`, plus a newline where `newline` says so,
        gives back `text` exactly.
    """
    by_line: dict[int, list[PastedFrame]] = {}
    for frame in frames:
        by_line.setdefault(frame.raw.line_no, []).append(frame)
    pieces = text.split("\n")
    ends_with_newline = pieces[-1] == ""
    if ends_with_newline:
        pieces.pop()  # the empty piece after the final newline is not a line
    shown: set[tuple[int, int | None, int | None]] = set()
    lines = []
    for no, piece in enumerate(pieces, start=1):
        kept = []
        for frame in by_line.get(no, ()):
            # A runtime's own inline continuation lines share the frame's address: annotate it once.
            group = (frame.trace.first_line, frame.raw.index, frame.module_offset)
            if frame.module_offset is not None and group in shown:
                continue
            shown.add(group)
            kept.append(frame)
        lines.append(AnnotatedLine(no, piece, tuple(kept), ends_with_newline or no < len(pieces)))
    return tuple(lines)


def symbolize_text(text: str, symbolizer: Symbolizer | None) -> PastedText:
    """Find every backtrace in a paste, symbolize its wasm frames and annotate its lines.

    Args:
        text: any pasted text or log (`backtrace.lines.decode_input` turns bytes into it).
        symbolizer: the module's; None to show the frames as parsed, without symbolization.

    Returns:
        The annotated lines, the frames, and the symbolizer's notes.
    """
    frames = tuple(symbolize_traces(parse_text(text), symbolizer))
    notes = symbolizer.notes if symbolizer is not None else ()
    return PastedText(annotate(text, frames), frames, notes)

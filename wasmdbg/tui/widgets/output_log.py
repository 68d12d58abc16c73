"""The guest's stdout and stderr as they stream, in one bounded log.

The app's timer hands over raw chunks in the order they came; this decodes them incrementally
(a UTF-8 sequence split across chunks stays whole), cuts lines, escapes control characters so
the guest cannot drive the terminal, and keeps at most MAX_LINES.
"""

from __future__ import annotations

import codecs

from rich.text import Text
from textual.widgets import RichLog

from wasmdbg.runner import protocol as p
from wasmdbg.text import printable

MAX_LINES = 5_000
MAX_LINE_CHARS = 2_000
"""A longer line is cut where it is shown (the report keeps every byte)."""


class OutputLog(RichLog):
    """Guest output; stderr lines in their own colour."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(max_lines=MAX_LINES, wrap=False, markup=False, highlight=False, id=id, classes=classes)
        self._decoders = {s: codecs.getincrementaldecoder("utf-8")("replace") for s in (p.STDOUT, p.STDERR)}
        self._pending = {p.STDOUT: "", p.STDERR: ""}
        self.lines_written = 0

    def reset(self) -> None:
        """Empty it for a new run."""
        self.clear()
        self._decoders = {s: codecs.getincrementaldecoder("utf-8")("replace") for s in (p.STDOUT, p.STDERR)}
        self._pending = {p.STDOUT: "", p.STDERR: ""}
        self.lines_written = 0

    def feed(self, stream: str, data: bytes) -> None:
        """Show the complete lines of `data`; keep a partial last line for the next chunk."""
        text = self._pending[stream] + self._decoders[stream].decode(data)
        *lines, rest = text.split("\n")
        if len(rest) > MAX_LINE_CHARS:  # a guest writing without newlines still shows up
            lines.append(rest)
            rest = ""
        self._pending[stream] = rest
        for line in lines:
            self._write(stream, line)

    def flush_pending(self) -> None:
        """Show partial last lines (the run has ended)."""
        for stream in (p.STDOUT, p.STDERR):
            rest = self._pending[stream] + self._decoders[stream].decode(b"", final=True)
            self._pending[stream] = ""
            if rest:
                self._write(stream, rest)

    def _write(self, stream: str, line: str) -> None:
        shown = printable(line.removesuffix("\r"), one_line=False)
        if len(shown) > MAX_LINE_CHARS:
            shown = shown[:MAX_LINE_CHARS] + f" … ({len(shown) - MAX_LINE_CHARS:,} more characters)"
        self.write(Text(shown, style="red" if stream == p.STDERR else ""))
        self.lines_written += 1

"""The guest's stdout and stderr as they stream, in one bounded log.

The app's timer hands over raw chunks in the order they came; this decodes them incrementally
(a UTF-8 sequence split across chunks stays whole), cuts lines, escapes control characters so
the guest cannot drive the terminal, and keeps at most MAX_LINES.

A flood costs little: a line is kept as its text (escaped and cut), and rendered only when it
is in view, a screenful at a time. Lines fed are escaped only when the log is on screen (a hidden
log does it when shown), and of a batch of chunks only the last MAX_LINES lines: the others would
be pruned at once. (Textual's RichLog, which this replaces, rendered every line it was given, 25,000
writes a tick in a flood, deferred them all while hidden, and kept a rendered strip per line, whose
objects slowed every full garbage collection.) Once lines are pruned, the bottom border says
"the last 5,000 of N lines".
"""

from __future__ import annotations

import codecs
from collections import deque

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from wasmdbg.runner import protocol as p
from wasmdbg.text import describe_bytes, printable

MAX_LINES = 5_000
MAX_LINE_CHARS = 2_000
"""A longer line is cut where it is shown (the run's report keeps it whole)."""
STDERR_STYLE = Style(color="red")


class OutputLog(ScrollView, can_focus=True):
    """Guest output; stderr lines in their own colour.

    `lines_written` counts the lines handed over since the last reset (also those pruned since);
    the log holds the last MAX_LINES of them.
    """

    DEFAULT_CSS = """
    OutputLog {
        background: $surface;
        color: $foreground;
        overflow-y: scroll;
        &:focus {
            background-tint: $foreground 5%;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._held: deque[tuple[str, bool]] = deque(maxlen=MAX_LINES)
        """The lines kept, oldest first: (text as shown, from stderr)."""
        self._raw: deque[tuple[str, bool]] = deque(maxlen=MAX_LINES)
        """Lines fed and not escaped yet (the log was hidden, or the batch is not over), newer than those
        held: (line as written, from stderr)."""
        self._cache: LRUCache[tuple[int, int, int], Strip] = LRUCache(1024)
        self._start()

    def _start(self) -> None:
        self._decoders = {s: codecs.getincrementaldecoder("utf-8")("replace") for s in (p.STDOUT, p.STDERR)}
        self._pending = {p.STDOUT: "", p.STDERR: ""}
        self._held.clear()
        self._raw.clear()
        self._cache.clear()
        self._show_soon = False
        self._first = 0
        """The number (since the reset) of the first line held."""
        self._widest = 0
        self._dropped = 0
        """Bytes the agent did not forward (`show_dropped`)."""
        self.lines_written = 0

    def reset(self) -> None:
        """Empty it for a new run."""
        self._start()
        self.border_subtitle = None
        self.virtual_size = Size(0, 0)
        self.refresh()

    def show_dropped(self, count: int) -> None:
        """Say that `count` bytes of output never reached wasmdbg (past the agent's limit per stream)."""
        self._dropped = count
        self._show_subtitle()

    def _show_subtitle(self) -> None:
        parts = []
        if self._first:
            parts.append(f"the last {len(self._held):,} of {self.lines_written:,} lines")
        if self._dropped:
            parts.append(f"{describe_bytes(self._dropped)} more not forwarded")
        self.border_subtitle = " · ".join(parts) or None

    @property
    def lines_pruned(self) -> int:
        """Lines handed over that the log no longer holds (more came than it keeps)."""
        return self.lines_written - min(MAX_LINES, len(self._held) + len(self._raw))

    @property
    def lines(self) -> list[Strip]:
        """The lines held, as strips (for inspection: drawing renders only those in view)."""
        self._commit()
        return [self._strip(shown, stderr) for shown, stderr in self._held]

    def feed(self, stream: str, data: bytes) -> None:
        """Show the complete lines of `data`; keep a partial last line for the next chunk.

        They are shown by `show_fed()`, or soon after on their own: feed a batch of chunks, then
        call it, and only the lines the log keeps of the whole batch are escaped and drawn.
        """
        text = self._pending[stream] + self._decoders[stream].decode(data)
        *lines, rest = text.split("\n")
        if len(rest) > MAX_LINE_CHARS:  # a guest writing without newlines still shows up
            lines.append(rest)
            rest = ""
        self._pending[stream] = rest
        self._write(stream, lines)

    def flush_pending(self) -> None:
        """Show partial last lines (the run has ended), and all that was fed."""
        for stream in (p.STDOUT, p.STDERR):
            rest = self._pending[stream] + self._decoders[stream].decode(b"", final=True)
            self._pending[stream] = ""
            if rest:
                self._write(stream, [rest])
        self.show_fed()

    def _write(self, stream: str, lines: list[str]) -> None:
        if not lines:
            return
        self.lines_written += len(lines)
        stderr = stream == p.STDERR
        self._raw.extend((line, stderr) for line in lines[-MAX_LINES:])  # the others would be pruned at once
        if not self._show_soon and self.is_attached:
            self._show_soon = True
            self.call_later(self.show_fed)

    def show_fed(self) -> None:
        """Show the lines fed since the last call, if the log is on screen (else once it is shown)."""
        self._show_soon = False
        if self._raw and self.is_on_screen:
            self._commit()

    def on_show(self) -> None:
        self._commit()  # what came while hidden

    def _commit(self) -> None:
        """Escape and hold the lines fed since the last commit (at most MAX_LINES)."""
        raw = self._raw
        if not raw:
            return
        held = self._held
        widest = self._widest
        for line, stderr in raw:
            shown = _shown(line)
            widest = max(widest, cell_len(shown))
            held.append((shown, stderr))
        raw.clear()
        self._widest = widest
        pruned = self.lines_written - len(held)
        if pruned != self._first:
            self._first = pruned
            self._show_subtitle()
            self.refresh()  # what was in view has moved up
        self.virtual_size = Size(widest, len(held))
        self.scroll_end(animate=False, immediate=False, x_axis=False)
        self.refresh()  # the rows in view may be new even where nothing was pruned

    @property
    def lines_shown(self) -> int:
        """How many lines the log holds escaped and drawable (fed lines not yet committed are not counted)."""
        return len(self._held)

    # -- drawing --------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        rich_style = self.rich_style
        if index >= len(self._held):
            return Strip.blank(width, rich_style)
        key = (self._first + index, scroll_x, width)
        line = self._cache.get(key)
        if line is None:
            line = self._strip(*self._held[index]).crop_extend(scroll_x, scroll_x + width, rich_style)
            self._cache[key] = line
        return line.apply_style(rich_style)

    @staticmethod
    def _strip(shown: str, stderr: bool) -> Strip:
        return Strip([Segment(shown, STDERR_STYLE if stderr else None)], cell_len(shown))


def _shown(line: str) -> str:
    """A line as the log shows it: control characters escaped, tabs expanded, cut at MAX_LINE_CHARS."""
    shown = printable(line.removesuffix("\r"), one_line=False)
    if len(shown) > MAX_LINE_CHARS:
        shown = shown[:MAX_LINE_CHARS] + f" … ({len(shown) - MAX_LINE_CHARS:,} more characters)"
    if "\t" in shown:
        text = Text(shown)
        text.expand_tabs()
        shown = text.plain
    return shown

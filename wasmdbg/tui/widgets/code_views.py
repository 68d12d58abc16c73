"""The selected frame's source (syntax coloured, its line highlighted) and its function's disassembly.

The source pane has a line cursor while it has focus (↑/↓, page keys, a click): the app's `b`
sets or clears a breakpoint on that line, and lines with a breakpoint carry a dot in the gutter.
"""

from __future__ import annotations

from pathlib import PurePath

from collections.abc import Set
from dataclasses import dataclass

from rich.style import Style
from rich.syntax import Syntax
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from wasmdbg.session.disassembly import Disassembly
from wasmdbg.symbols.sources import (
    NOT_FOUND,
    OUTSIDE_ROOTS,
    SourceExcerpt,
    SourceMissing,
)
from wasmdbg.text import printable
from wasmdbg.tui.widgets.scrolling import ScrollbarFollowsScroll

SOURCE_CONTEXT = 150
"""Lines shown each side of the frame's line (the pane scrolls)."""
DISASSEMBLY_CONTEXT = 150
"""Instructions shown each side of the frame's instruction in a long function."""


class _ScrolledText(VerticalScroll, ScrollbarFollowsScroll):
    """A scrolling pane of one renderable that can centre a row."""

    TITLE = ""
    settling = False
    """Whether new content is still waiting to be scrolled into place."""

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="body", expand=True)

    def _set(self, renderable: Text | Syntax, title: Text, centre_row: int | None) -> None:
        self.border_title = title
        self.query_one("#body", Static).update(renderable)
        self.settling = True
        self._centre_row = centre_row
        if centre_row is not None:
            self.call_after_refresh(self._centre, centre_row)
        else:
            self.call_after_refresh(self._home)

    _centre_row: int | None = None
    """The row the content asked to have in the middle (kept there when the pane is resized)."""

    def on_resize(self) -> None:
        # Panes above (the outcome's explanation) settle their height after the content came.
        if self._centre_row is not None and not self.settling:
            self._centre(self._centre_row)

    def _home(self) -> None:
        self.scroll_home(animate=False)
        self.settling = False

    def _centre(self, row: int, tries: int = 20) -> None:
        # The new content is laid out a refresh or two after update(): until its height reaches
        # the row, a scroll would be clamped to the top, so wait for it (a few refreshes at most).
        if self.virtual_size.height <= row and tries > 0:
            self.call_after_refresh(self._centre, row, tries - 1)
            return
        self.scroll_to(y=max(0, row - self.scrollable_content_region.height // 2), animate=False)
        self.settling = False

    def show_note(self, note: str) -> None:
        """Show a word instead of code (nothing is selected yet)."""
        self._set(Text(note, style="dim"), Text(self.TITLE), None)

    @property
    def text(self) -> str:
        """What the pane shows, as plain text (for tests and the screen reader in us all)."""
        content = self.query_one("#body", Static).content
        if isinstance(content, Syntax):
            return content.code
        return str(content)


LEXERS_BY_SUFFIX = {
    ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".c++": "cpp", ".C": "cpp",
    ".hh": "cpp", ".hpp": "cpp", ".hxx": "cpp", ".H": "cpp",
    ".rs": "rust", ".zig": "zig", ".go": "go", ".ts": "typescript", ".wat": "wast", ".wast": "wast",
}  # fmt: skip
"""What Pygments' guess answers for these suffixes whatever the code (tests hold the two equal)."""


def lexer_name(path: str, code: str) -> str:
    """The Pygments lexer for a source file, as `Syntax.guess_lexer` would choose it.

    The guess tries every lexer Pygments has: the first call in a process imports ~225 lexer
    modules and compiles ~1,000 patterns, 0.2-0.4 s on the UI thread, the moment a trap is shown.
    The languages wasmdbg shows are known by their suffix; anything else is still guessed.
    """
    return LEXERS_BY_SUFFIX.get(PurePath(path).suffix) or Syntax.guess_lexer(path, code)


BREAKPOINT_MARK = "●"
CURSOR_MARK = "▸"
CURSOR_STYLE = Style(bgcolor="grey35")
"""The cursor line's background, over the syntax colours (both themes)."""


@dataclass(frozen=True, slots=True)
class _Highlighting:
    """What the excerpt's `Syntax` is made from, again for each position of the cursor."""

    code: str
    lexer: str
    theme: str


class SourceView(_ScrolledText):
    """Source around the selected frame's line, or why it is not available and what would help."""

    TITLE = "source"
    DEFAULT_CSS = """
    SourceView #source-rows { height: auto; }
    SourceView #gutter { width: 2; }
    SourceView #body { width: 1fr; }
    """
    BINDINGS = [
        Binding("up", "cursor(-1)", "Line up", show=False),
        Binding("down", "cursor(1)", "Line down", show=False),
        Binding("pageup", "cursor_page(-1)", "Page up", show=False),
        Binding("pagedown", "cursor_page(1)", "Page down", show=False),
        Binding("home", "cursor_to(0)", "First line", show=False),
        Binding("end", "cursor_to(-1)", "Last line", show=False),
    ]

    def __init__(self, *, source_hint: str | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source_hint = source_hint
        self.excerpt: SourceExcerpt | None = None
        """The excerpt shown, if the pane shows source."""
        self.cursor_line: int | None = None
        """The line under the cursor (the frame's line until the cursor moves); None without source."""
        self._marks: frozenset[tuple[str, int]] = frozenset()
        self._syntax: _Highlighting | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="source-rows"):
            yield Static(id="gutter")
            yield Static(id="body", expand=True)

    def show(self, where: str | None, source: SourceExcerpt | SourceMissing | None, *, dark: bool = True) -> None:
        """Show an excerpt (its frame line highlighted), or the reason it is missing."""
        title = Text("source") if where is None else Text("source  ") + Text(printable(where))
        if isinstance(source, SourceExcerpt) and source.lines:
            code = "\n".join(printable(text, one_line=False) for _, text in source.lines)
            first = source.lines[0][0]
            self.excerpt, self.cursor_line = source, source.line
            self._syntax = _Highlighting(code, lexer_name(source.path, code), "monokai" if dark else "default")
            self._set(self._cursor_drawn(), title, source.line - first)
            self._draw_gutter()
            return
        self.excerpt = self.cursor_line = self._syntax = None
        self._draw_gutter()
        if isinstance(source, SourceMissing):
            message = Text("source not available: ", style="bold yellow")
            message.append(printable(source.message))
            if source.kind in (OUTSIDE_ROOTS, NOT_FOUND) and self.source_hint:
                message.append(f"\n\n{self.source_hint}", style="dim")
        elif where is None:
            message = Text(
                "no line information for this frame: the module has no DWARF for it "
                "(build with -g, or give --debug-file); its disassembly is below",
                style="dim",
            )
        else:
            message = Text("no source line for this frame", style="dim")
        self._set(message, title, None)

    def show_note(self, note: str) -> None:
        self.excerpt = self.cursor_line = self._syntax = None
        self._draw_gutter()
        super().show_note(note)

    @property
    def cursor_file(self) -> str | None:
        """The file the cursor is in, as the debug information names it."""
        return None if self.excerpt is None else self.excerpt.file

    def mark(self, lines: Set[tuple[str, int]]) -> None:
        """Put the breakpoint dot on these (file as the debug information names it, line) pairs."""
        self._marks = frozenset(lines)
        self._draw_gutter()

    # -- the cursor ---------------------------------------------------------------------------

    def _row_of(self, line: int) -> int:
        assert self.excerpt is not None
        return line - self.excerpt.lines[0][0]

    def _move_to_row(self, row: int) -> None:
        if self.excerpt is None:
            return
        row = max(0, min(len(self.excerpt.lines) - 1, row))
        self.cursor_line = self.excerpt.lines[row][0]
        body = self.query_one("#body", Static)
        body.update(self._cursor_drawn())
        self._draw_gutter()
        height = self.scrollable_content_region.height
        if row < self.scroll_y:
            self.scroll_to(y=row, animate=False)
        elif row >= self.scroll_y + height:
            self.scroll_to(y=row - height + 1, animate=False)

    def action_cursor(self, step: int) -> None:
        if self.cursor_line is not None:
            self._move_to_row(self._row_of(self.cursor_line) + step)

    def action_cursor_page(self, direction: int) -> None:
        if self.cursor_line is not None:
            self._move_to_row(self._row_of(self.cursor_line) + direction * max(1, self.scrollable_content_region.height - 1))

    def action_cursor_to(self, row: int) -> None:
        if self.excerpt is not None:
            self._move_to_row(row if row >= 0 else len(self.excerpt.lines) - 1)

    def on_click(self, event: events.Click) -> None:
        # Screen rows: the event's own y is relative to whichever child got it (scrolled or not).
        view_row = event.screen_y - self.content_region.y
        if self.excerpt is not None and 0 <= view_row < self.content_region.height:
            self._move_to_row(view_row + round(self.scroll_y))

    def on_focus(self) -> None:
        self._redraw_cursor()

    def on_blur(self) -> None:
        self._redraw_cursor()

    def _redraw_cursor(self) -> None:
        if self._syntax is not None and self.is_attached and not self._closing:  # not while the app closes
            self.query_one("#body", Static).update(self._cursor_drawn())
            self._draw_gutter()

    def _cursor_drawn(self) -> Syntax:
        """The excerpt, its cursor line shaded while the pane has focus."""
        assert self._syntax is not None and self.excerpt is not None
        syntax = Syntax(
            self._syntax.code, self._syntax.lexer, theme=self._syntax.theme, line_numbers=True,
            start_line=self.excerpt.lines[0][0], highlight_lines={self.excerpt.line}, word_wrap=False,
            indent_guides=False,
        )  # fmt: skip
        if self.has_focus and self.cursor_line is not None:
            row = self._row_of(self.cursor_line) + 1
            syntax.stylize_range(CURSOR_STYLE, (row, 0), (row + 1, 0))
        return syntax

    def _draw_gutter(self) -> None:
        gutter = self.query_one("#gutter", Static)
        excerpt = self.excerpt
        if excerpt is None:
            gutter.display = False
            return
        rows = []
        for number, _ in excerpt.lines:
            row = Text(BREAKPOINT_MARK if (excerpt.file, number) in self._marks else " ", style="bold red")
            row.append(CURSOR_MARK if self.has_focus and number == self.cursor_line else " ", style="bold")
            rows.append(row)
        gutter.update(Text("\n", no_wrap=True, end="").join(rows))  # one row per line of code, no more
        gutter.display = True


class DisassemblyView(_ScrolledText):
    """The selected frame's function, its faulting or calling instruction highlighted."""

    TITLE = "disassembly"

    def show(
        self, disassembly: Disassembly | None, offset: int | None, *, innermost: bool, error: str | None = None,
        innermost_label: str = "◀ faulting",
    ) -> None:  # fmt: skip
        """Show `disassembly` around `offset` (the frame's instruction); `innermost_label` marks the innermost frame's."""
        if disassembly is None:
            self._set(Text(printable(error or "no function for this frame"), style="dim"), Text("disassembly"), None)
            return
        title = Text(f"disassembly  func {disassembly.func_index}")
        if disassembly.name:
            title.append("  ")
            title.append(printable(disassembly.name))
        found = None if offset is None else disassembly.index_of(offset)
        instructions = disassembly.instructions
        start, end = 0, len(instructions)
        if found is not None:
            start, end = max(0, found - DISASSEMBLY_CONTEXT), min(len(instructions), found + DISASSEMBLY_CONTEXT + 1)
        elif end > 2 * DISASSEMBLY_CONTEXT:
            end = 2 * DISASSEMBLY_CONTEXT
        text = Text()
        if start:
            text.append(f"  … {start:,} instructions above\n", style="dim")
        marker = innermost_label if innermost else "◀ calling"
        row = None
        for i in range(start, end):
            instruction = instructions[i]
            current = i == found
            line = Text(f"{'▶' if current else ' '} {instruction.offset:#08x}  ", style="bold" if current else "dim")
            line.append(instruction.mnemonic, style="bold red" if current else "cyan")
            if instruction.operands:
                line.append(" " + printable(instruction.operands))
            if current:
                line.append(f"   {marker}", style="bold red")
                line.stylize("reverse")
                row = i - start + (1 if start else 0)
            text.append_text(line)
            text.append("\n")
        if end < len(instructions):
            text.append(f"  … {len(instructions) - end:,} instructions below\n", style="dim")
        if disassembly.truncated:
            text.append("  (the body is too long to decode in full)\n", style="yellow")
        self._set(text, title, row)

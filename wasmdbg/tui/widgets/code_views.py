"""The selected frame's source (syntax coloured, its line highlighted) and its function's disassembly."""

from __future__ import annotations

from pathlib import PurePath

from rich.syntax import Syntax
from rich.text import Text
from textual.containers import VerticalScroll
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


class SourceView(_ScrolledText):
    """Source around the selected frame's line, or why it is not available and what would help."""

    TITLE = "source"

    def __init__(self, *, source_hint: str | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source_hint = source_hint

    def show(self, where: str | None, source: SourceExcerpt | SourceMissing | None, *, dark: bool = True) -> None:
        """Show an excerpt (its frame line highlighted), or the reason it is missing."""
        title = Text("source") if where is None else Text("source  ") + Text(printable(where))
        if isinstance(source, SourceExcerpt):
            code = "\n".join(printable(text, one_line=False) for _, text in source.lines)
            first = source.lines[0][0] if source.lines else 1
            syntax = Syntax(
                code,
                lexer_name(source.path, code),
                theme="monokai" if dark else "default",
                line_numbers=True,
                start_line=first,
                highlight_lines={source.line},
                word_wrap=False,
                indent_guides=False,
            )
            self._set(syntax, title, source.line - first)
            return
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

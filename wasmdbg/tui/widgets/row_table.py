"""A table of many rows (a module's functions, sections, exports) drawn with the Line API.

Textual's DataTable measures every cell when rows are added: 50,000 functions take seconds to
show, and as long again to show after each filter. Here the rows are plain strings, escaped and
measured once in `show`; `show_only` swaps which of them are listed (an index list, no widgets);
`render_line(y)` draws only the rows on screen. Cells are drawn as Rich segments from strings
passed through `printable`, never as markup, so a name from the module cannot drive the
terminal or the app.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from wasmdbg.text import printable
from wasmdbg.tui.widgets.scrolling import ScrollbarFollowsScroll

GAP = 2
"""Spaces between two columns."""
MIN_TEXT_WIDTH = 8
"""A text column squeezed by the others keeps at least this many cells."""


class Column(NamedTuple):
    """One column: its heading, how it is aligned, and whether it may be cut to fit."""

    label: str
    right: bool = False
    """Right-aligned (numbers)."""
    text: bool = False
    """Cut with an ellipsis when the row is wider than the table (names); other columns never are."""
    style: str = ""
    """A Rich style for its cells, e.g. "cyan" for offsets."""


def _safe(cell: str) -> str:
    # Printable ASCII is the common case and `printable` leaves it unchanged: skip the regex.
    return cell if cell.isascii() and cell.isprintable() else printable(cell)


def fit_widths(natural: Sequence[int], text: Sequence[bool], room: int) -> list[int]:
    """Column widths within `room` cells: text columns are capped at one width, the largest that fits.

    Other columns keep their natural widths; a text column never gets less than `MIN_TEXT_WIDTH`
    (or its own width, if smaller), so a table too narrow for that is cut at the right.
    """
    fixed = sum(w for w, t in zip(natural, text, strict=True) if not t)
    flexible = [w for w, t in zip(natural, text, strict=True) if t]
    if not flexible or fixed + sum(flexible) <= room:
        return list(natural)
    low, high = MIN_TEXT_WIDTH, max(flexible)
    while low < high:  # the largest cap that fits, by bisection
        cap = (low + high + 1) // 2
        if fixed + sum(min(w, cap) for w in flexible) <= room:
            low = cap
        else:
            high = cap - 1
    return [min(w, low) if t else w for w, t in zip(natural, text, strict=True)]


class RowTable(ScrollView, ScrollbarFollowsScroll, can_focus=True):
    """Rows under a fixed heading line, a cursor row, a message when there is nothing to list."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"row-table--header", "row-table--cursor", "row-table--dim"}

    DEFAULT_CSS = """
    RowTable {
        overflow-x: hidden;
        overflow-y: auto;
        height: 1fr;
    }
    RowTable > .row-table--header { text-style: bold; background: $panel; }
    RowTable > .row-table--cursor { background: $block-cursor-blurred-background; }
    RowTable:focus > .row-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    RowTable > .row-table--dim { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Previous row", show=False),
        Binding("down", "move(1)", "Next row", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "first", "First row", show=False),
        Binding("end", "last", "Last row", show=False),
    ]

    @dataclass
    class Highlighted(Message):
        """The cursor is on another row (or on none: nothing is listed)."""

        table: RowTable
        row: int | None
        """Index of the row in the rows given to `show`."""

        @property
        def control(self) -> RowTable:
            """The table (what `@on(RowTable.Highlighted, "#id")` matches)."""
            return self.table

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, RowTable.Highlighted) and message.table is self.table

    def __init__(self, columns: Sequence[Column], *, empty: str = "nothing", id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = tuple(columns)
        self.empty = empty
        """What the table says when it lists no row (set it, then `refresh()`)."""
        self._rows: list[tuple[str, ...]] = []
        self._dim: frozenset[int] = frozenset()
        self._natural = [cell_len(c.label) for c in self.columns]
        self._shown: Sequence[int] = range(0)
        self._cursor = 0
        self._fitted: tuple[int, list[int]] | None = None
        """(table width, column widths) of the last `fit_widths`, which only a resize or `show` changes."""

    # -- the public surface ---------------------------------------------------------------

    def show(self, rows: Sequence[Sequence[str]], *, dim: Collection[int] = ()) -> None:
        """List these rows (each one string per column; escaped here), all of them.

        Args:
            rows: the cells, untrusted text welcome: control characters are shown escaped.
            dim: indices of rows drawn muted (imported functions, say).
        """
        self._rows = [tuple(_safe(cell) for cell in row) for row in rows]
        self._dim = frozenset(dim)
        self._natural = [cell_len(c.label) for c in self.columns]
        for row in self._rows:
            for i, cell in enumerate(row):
                if len(cell) > self._natural[i] or not cell.isascii():
                    self._natural[i] = max(self._natural[i], cell_len(cell))
        self._fitted = None
        self.show_only(None)

    def show_only(self, rows: Sequence[int] | None) -> None:
        """List only these rows (indices into the rows given to `show`, in order), or all (None)."""
        self._shown = range(len(self._rows)) if rows is None else rows
        self._cursor = 0
        self.virtual_size = Size(0, len(self._shown) + 1)
        self.scroll_to(y=0, animate=False, force=True, immediate=True)
        self.refresh(layout=True)
        self.post_message(self.Highlighted(self, self.cursor_row))

    @property
    def row_count(self) -> int:
        """How many rows `show` was given."""
        return len(self._rows)

    @property
    def shown_count(self) -> int:
        """How many rows are listed now."""
        return len(self._shown)

    @property
    def shown_rows(self) -> Sequence[int]:
        """The rows listed now, as indices into the rows given to `show`."""
        return self._shown

    @property
    def cursor_row(self) -> int | None:
        """The row under the cursor (an index into the rows given to `show`), None if none is listed."""
        return self._shown[self._cursor] if self._shown else None

    def cells(self, row: int) -> tuple[str, ...]:
        """A row's cells as drawn (escaped)."""
        return self._rows[row]

    # -- keys and mouse -------------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        """Move the cursor by `delta` rows (clamped)."""
        self._set_cursor(self._cursor + delta)

    def action_page(self, pages: int) -> None:
        """Move the cursor by `pages` screens."""
        self._set_cursor(self._cursor + pages * max(1, self.scrollable_content_region.height - 1))

    def action_first(self) -> None:
        """Move the cursor to the first row listed."""
        self._set_cursor(0)

    def action_last(self) -> None:
        """Move the cursor to the last row listed."""
        self._set_cursor(len(self._shown) - 1)

    def on_click(self, event: events.Click) -> None:
        """A click on a row puts the cursor there."""
        offset = event.get_content_offset(self)
        if offset is not None and offset.y >= 1:
            self._set_cursor(self.scroll_offset.y + offset.y - 1)

    # -- drawing --------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        """The heading (y 0), else one row (the Line API)."""
        width = self.scrollable_content_region.width
        base = self.rich_style
        widths = self._widths(width)
        if y == 0:
            header = base + self.get_component_rich_style("row-table--header")
            cells = [c.label for c in self.columns]
            return Strip(self._segments(cells, widths, [header] * len(cells), header)).crop_extend(0, width, header)
        if not self._shown:
            if y == 1:
                muted = base + self.get_component_rich_style("row-table--dim")
                return Strip([Segment(" " + set_cell_size(printable(self.empty), max(0, width - 1)), muted)], width)
            return Strip.blank(width, base)
        position = self.scroll_offset.y + y - 1
        if position >= len(self._shown):
            return Strip.blank(width, base)
        row = self._shown[position]
        style = base
        if row in self._dim:
            style += self.get_component_rich_style("row-table--dim")
        styles = [style + Style.parse(c.style) if c.style else style for c in self.columns]
        if position == self._cursor:
            cursor = self._cursor_style()
            style += cursor
            styles = [s + cursor for s in styles]
        return Strip(self._segments(self._rows[row], widths, styles, style)).crop_extend(0, width, style)

    def _widths(self, width: int) -> list[int]:
        if self._fitted is None or self._fitted[0] != width:
            room = width - 1 - GAP * (len(self.columns) - 1)  # a leading space, and the gaps
            self._fitted = (width, fit_widths(self._natural, [c.text for c in self.columns], room))
        return self._fitted[1]

    def _cursor_style(self) -> Style:
        """What the cursor's rule sets, so cells keep their colours under a cursor that sets none.

        A partial style alone would not blend the translucent cursor background with the table's:
        take the colours themselves from the full style.
        """
        partial = self.get_component_rich_style("row-table--cursor", partial=True, default=Style())
        full = self.get_component_rich_style("row-table--cursor", default=Style())
        colours = Style(bgcolor=full.bgcolor, color=full.color if partial.color is not None else None)
        return partial + colours

    def _segments(self, cells: Sequence[str], widths: Sequence[int], styles: Sequence[Style], gap: Style) -> list[Segment]:
        segments = [Segment(" ", gap)]
        for i, (column, cell, w) in enumerate(zip(self.columns, cells, widths, strict=False)):
            if i:
                segments.append(Segment(" " * GAP, gap))
            if cell_len(cell) > w:
                cell = set_cell_size(cell, w - 1) + "…"
            pad = " " * (w - cell_len(cell))
            segments.append(Segment(pad + cell if column.right else cell + pad, styles[i]))
        return segments

    # -- the cursor -----------------------------------------------------------------------

    def _set_cursor(self, position: int) -> None:
        position = min(max(position, 0), max(len(self._shown) - 1, 0))
        if position != self._cursor:
            self._cursor = position
            self.refresh()
            self.post_message(self.Highlighted(self, self.cursor_row))
        visible = max(1, self.scrollable_content_region.height - 1)
        top = self.scroll_offset.y
        if position < top:
            self.scroll_to(y=position, animate=False, force=True, immediate=True)
        elif position >= top + visible:
            self.scroll_to(y=position - visible + 1, animate=False, force=True, immediate=True)

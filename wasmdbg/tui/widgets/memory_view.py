"""A hex and ASCII view of linear memory, read in 4 KiB chunks as rows come into view.

Memory can be 512 MiB or more, so the rows are virtual (the Line API: `render_line(y)` draws one
row of 16 bytes) and only the chunks under the visible rows are read, by a thread worker, into a
bounded LRU cache (`memory_reader.py`). Bytes not read yet show as `··` until their chunk arrives. The bytes are
drawn as Rich segments with styles, never as markup, and the ASCII column shows only 0x20–0x7e,
so guest memory cannot drive the terminal.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from wasmdbg.facts import WASM_PAGE_BYTES
from wasmdbg.inspection.memory_map import HEAP, MemoryMap
from wasmdbg.inspection.memory_values import WIDEST, ValuesAt, values_at
from wasmdbg.text import describe_bytes, printable
from wasmdbg.tui.widgets.memory_reader import (
    CHUNK_BYTES,
    READ_GROUP,
    ChunkRead,
    ChunkReader,
    MemorySource,
)
from wasmdbg.tui.widgets.scrolling import ScrollbarFollowsScroll

ROW_BYTES = 16

_UNLOADED_HEX, _UNLOADED_ASCII = "··", "·"
_UNREADABLE_HEX, _UNREADABLE_ASCII = "??", " "
"""A byte past a short read (the end of memory) or in a chunk whose read failed."""


def format_values(values: ValuesAt) -> str:
    """The values at the cursor as the status line shows them: `u8 0xff i32 -1 u32 … f64 …`."""
    parts = []
    if values.u8 is not None:
        parts.append(f"u8 0x{values.u8:02x}")
    for name in ("i32", "u32", "i64", "u64"):
        value = getattr(values, name)
        if value is not None:
            parts.append(f"{name} {value}")
    if values.f32 is not None:
        parts.append(f"f32 {values.f32:.9g}")
    if values.f64 is not None:
        parts.append(f"f64 {values.f64!r}")
    return " ".join(parts)


class MemoryView(ScrollView, ScrollbarFollowsScroll, can_focus=True):
    """Linear memory as `0x0000fff0  00 01 …  |................|  region`, 16 bytes a row."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "memory-view--address",
        "memory-view--data",
        "memory-view--stack",
        "memory-view--heap",
        "memory-view--fault",
        "memory-view--cursor",
        "memory-view--unloaded",
        "memory-view--label",
    }

    DEFAULT_CSS = """
    MemoryView {
        overflow-x: auto;
        overflow-y: auto;
    }
    MemoryView > .memory-view--address { color: $text-muted; }
    MemoryView > .memory-view--data { background: $warning-muted; }
    MemoryView > .memory-view--stack { background: $primary-muted; }
    MemoryView > .memory-view--heap { background: $success-muted; }
    MemoryView > .memory-view--fault { background: $error; color: $text; text-style: bold; }
    MemoryView > .memory-view--cursor { text-style: reverse; }
    MemoryView > .memory-view--unloaded { color: $text-disabled; }
    MemoryView > .memory-view--label { color: $text-muted; text-style: italic; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", "Previous byte", show=False),
        Binding("right", "move(1)", "Next byte", show=False),
        Binding("up", "move(-16)", "Previous row", show=False),
        Binding("down", "move(16)", "Next row", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "start", "Start of memory", show=False),
        Binding("end", "end", "End of memory", show=False),
    ]

    @dataclass
    class CursorMoved(Message):
        """The cursor is on a new byte."""

        address: int

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, MemoryView.CursorMoved)

    @dataclass
    class StatusChanged(Message):
        """What `status_text` says has changed (cursor, values, a read error)."""

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, MemoryView.StatusChanged)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._memory_size = 0
        self._size_known = False
        self._map: MemoryMap | None = None
        self._focus: int | None = None
        self._cursor = 0
        self._unavailable: str | None = "nothing to show yet"
        self._generation = 0
        self._reader: ChunkReader | None = None
        self._scroll_request: tuple[int, bool] | None = None
        """(row, centre) to bring into view once the widget has a height."""
        self._source_lock = threading.Lock()
        """One read at a time, even across `show()` calls (sources need not be thread-safe)."""

    # -- the public surface ---------------------------------------------------------------

    def show(
        self,
        source: MemorySource | None,
        *,
        size: int | None,
        memory_map: MemoryMap | None,
        focus_address: int | None,
        unavailable: str | None = None,
    ) -> None:
        """Point the view at a memory: cursor and scroll at focus_address (the fault address, highlighted), or 0.

        Args:
            source: where to read the bytes, or None when there is no memory to read.
            size: the memory's size in bytes. Unknown (None), the view covers the regions of
                `memory_map` and the focus address, rounded up to a 64 KiB page.
            memory_map: the regions to tint and label, if known.
            focus_address: the byte to highlight and start at (a fault address), if any.
            unavailable: why there is no source, for the status line.
        """
        self.workers.cancel_group(self, READ_GROUP)
        self._generation += 1
        self._map = memory_map
        self._focus = focus_address
        self._unavailable = None if source is not None else (unavailable or "no memory")
        self._size_known = size is not None
        self._memory_size = max(0, size) if size is not None else self._guess_size()
        if source is None:
            self._memory_size = 0
        self._reader = None
        if source is not None:
            self._reader = ChunkReader(self, source, self._memory_size, self._generation, self._source_lock)
        self.virtual_size = Size(self._row_width, self._rows)
        self._cursor = self._clamp(focus_address or 0)
        self._bring_into_view(centre=True)
        self.refresh()
        self.post_message(self.CursorMoved(self._cursor))
        self.post_message(self.StatusChanged())

    def go_to(self, address: int) -> None:
        """Move the cursor to `address` (clamped to the memory) and centre its row."""
        self._set_cursor(address, centre=True)

    @property
    def cursor_address(self) -> int:
        """The address of the byte under the cursor."""
        return self._cursor

    @property
    def memory_size(self) -> int:
        """The bytes the view covers (0 when it shows nothing)."""
        return self._memory_size

    @property
    def status_text(self) -> Text:
        """`size 2 MiB · cursor 0x00011234 · stack (…) · u8 0xff i32 -1 …`, or why not."""
        if self._unavailable is not None:
            return Text(f"unavailable: {printable(self._unavailable)}", style="italic")
        size = describe_bytes(self._memory_size) if self._size_known else "unknown"
        text = Text(f"size {size}")
        if self._memory_size == 0:
            text.append(" · the memory is empty")
        else:
            text.append(f" · cursor {self._address_text(self._cursor)}")
            region = self._map.region_at(self._cursor) if self._map else None
            text.append(f" · {printable(region.label) if region else 'no region'}")
            data = self._reader.loaded_at(self._cursor, WIDEST) if self._reader else b""
            if data:
                values = format_values(values_at(data, self._cursor, self._cursor))
                text.append(f" · {values}")
            elif self._reader is not None and self._reader.failed(self._cursor // CHUNK_BYTES):
                text.append(" · unreadable")
            else:
                text.append(" · loading…", style="italic")
        if self._focus is not None and self._focus >= self._memory_size:
            text.append(
                f" · fault 0x{self._focus:x} is past the end of memory", style="bold"
            )
        if self._reader is not None and self._reader.error is not None:
            text.append(f" · {self._reader.error}", style="bold red")
        return text

    # -- keys and mouse -------------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        """Move the cursor by `delta` bytes."""
        self._set_cursor(self._cursor + delta)

    def action_page(self, pages: int) -> None:
        """Move the cursor and the view by `pages` screens."""
        rows = max(1, self.scrollable_content_region.height)
        top = self.scroll_offset.y + pages * rows
        self.scroll_to(y=top, animate=False, force=True, immediate=True)
        self._set_cursor(self._cursor + pages * rows * ROW_BYTES)

    def action_start(self) -> None:
        """Move the cursor to the first byte of memory."""
        self._set_cursor(0)

    def action_end(self) -> None:
        """Move the cursor to the last byte of memory."""
        self._set_cursor(self._memory_size - 1)

    def on_click(self, event: events.Click) -> None:
        """A click on a byte (hex or ASCII) moves the cursor there."""
        offset = event.get_content_offset(self)
        if offset is None or self._memory_size == 0:
            return
        column = self._byte_at_column(offset.x + self.scroll_offset.x)
        if column is not None:
            row = self.scroll_offset.y + offset.y
            self._set_cursor(row * ROW_BYTES + column)

    def on_resize(self, event: events.Resize) -> None:
        """A new height: bring the requested row, or else the cursor's, into view."""
        if self._scroll_request is None:
            self._scroll_request = (self._cursor // ROW_BYTES, False)
        self._apply_scroll_request()

    # -- drawing --------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        """One row of 16 bytes (the Line API)."""
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        row = scroll_y + y
        if self._reader is None or row >= self._rows:
            return Strip.blank(width, self.rich_style)
        visible = self.scrollable_content_region.width + scroll_x  # not the scrollbar
        strip = Strip(self._row_segments(self._reader, row, top=y == 0, width=visible))
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)

    def _row_segments(self, reader: ChunkReader, row: int, *, top: bool, width: int) -> list[Segment]:
        base = self.rich_style
        address = row * ROW_BYTES
        index = address // CHUNK_BYTES
        chunk = b"" if reader.failed(index) else reader.cached(index)
        at = address % CHUNK_BYTES
        hex_cells: list[Segment] = []
        ascii_cells: list[Segment] = []
        styles: dict[tuple[str | None, bool, bool, bool], Style] = {}
        space = Segment(" ", base)
        for i in range(ROW_BYTES):
            byte_address = address + i
            if byte_address >= self._memory_size:
                hex_text, ascii_text, style = "  ", " ", base
            else:
                loaded = chunk is not None and at + i < len(chunk)
                if chunk is None:
                    hex_text, ascii_text = _UNLOADED_HEX, _UNLOADED_ASCII
                elif not loaded:
                    hex_text, ascii_text = _UNREADABLE_HEX, _UNREADABLE_ASCII
                else:
                    byte = chunk[at + i]
                    hex_text = f"{byte:02x}"
                    # Only printable ASCII: a guest's ESC or BEL must never reach the terminal.
                    ascii_text = chr(byte) if 0x20 <= byte <= 0x7E else "."
                style = self._byte_style(byte_address, loaded=loaded, base=base, styles=styles)
            hex_cells.append(Segment(hex_text, style))
            hex_cells.append(Segment("  " if i in (7, 15) else " ", base))
            ascii_cells.append(Segment(ascii_text, style))
        address_style = base + self._part("memory-view--address")
        segments = [Segment(self._address_text(address), address_style), space, space]
        segments += hex_cells
        segments += [Segment("|", address_style), *ascii_cells]
        segments.append(Segment("|", address_style))
        label = self._row_label(address, top=top)
        room = width - self._row_width - 2
        if label and room >= 4:
            shown = label if len(label) <= room else label[: room - 1] + "…"
            label_style = base + self._part("memory-view--label")
            segments += [space, space, Segment(shown, label_style)]
        return segments

    def _byte_style(
        self, address: int, *, loaded: bool, base: Style, styles: dict[tuple[str | None, bool, bool, bool], Style]
    ) -> Style:
        """The byte's style on top of `base` (the widget's); `styles` memoizes them for one row.

        (Each `rich_style` and each sum of styles costs: per byte, they were most of a repaint.)
        """
        region = self._map.region_at(address) if self._map else None
        key = (region.kind if region is not None else None, loaded, address == self._focus, address == self._cursor)
        style = styles.get(key)
        if style is None:
            style = base
            if key[0] is not None:
                style += self._part(f"memory-view--{key[0]}")
            if not loaded:
                style += self._part("memory-view--unloaded")
            if key[2]:
                style += self._part("memory-view--fault")
            if key[3]:
                style += self._part("memory-view--cursor")
            styles[key] = style
        return style

    def _part(self, component: str) -> Style:
        """What a component class adds on top of the text under it.

        Only the rules the class sets (partial), except that its colour is taken from the full
        style: a partial style cannot resolve `auto` colours ($text-muted is one) against the
        background, and would draw white on a light theme.
        """
        partial = self.get_component_rich_style(
            component, partial=True, default=Style()
        )
        if partial.color is None:
            return partial
        full = self.get_component_rich_style(component, default=Style())
        return partial + Style(color=full.color)

    def _row_label(self, address: int, *, top: bool) -> str:
        """The label of a region that starts in this row, or (top row) the one it is in."""
        if self._map is None:
            return ""
        for region in self._map.regions:
            if address <= region.start < address + ROW_BYTES:
                return printable(region.label)
        inside = self._map.region_at(address) if top else None
        return printable(inside.label) if inside else ""

    def _address_text(self, address: int) -> str:
        return f"0x{address:0{self._digits}x}"

    @property
    def _digits(self) -> int:
        return max(8, len(f"{max(self._memory_size - 1, 0):x}"))

    @property
    def _row_width(self) -> int:
        # "0x" address, 2 spaces, 16 × "xx " plus the middle gap, a space, |16 chars|
        return 2 + self._digits + 2 + 3 * ROW_BYTES + 1 + 1 + ROW_BYTES + 2

    @property
    def _rows(self) -> int:
        return -(-self._memory_size // ROW_BYTES)

    def _byte_at_column(self, x: int) -> int | None:
        hex_start = 2 + self._digits + 2
        ascii_start = hex_start + 3 * ROW_BYTES + 3
        if ascii_start <= x < ascii_start + ROW_BYTES:
            return x - ascii_start
        relative = x - hex_start
        if relative >= 3 * 8:
            relative -= 1  # the gap between the two groups of eight
        if 0 <= relative < 3 * ROW_BYTES and relative % 3 < 2:
            return relative // 3
        return None

    # -- the cursor and scrolling ---------------------------------------------------------

    def _clamp(self, address: int) -> int:
        return min(max(address, 0), max(self._memory_size - 1, 0))

    def _set_cursor(self, address: int, *, centre: bool = False) -> None:
        address = self._clamp(address)
        moved = address != self._cursor
        if moved:
            self._refresh_row(self._cursor // ROW_BYTES)
            self._cursor = address
            self._refresh_row(address // ROW_BYTES)
        self._bring_into_view(centre=centre)
        if moved:
            self.post_message(self.CursorMoved(address))
            self.post_message(self.StatusChanged())

    def _refresh_row(self, row: int) -> None:
        self.refresh_line(row)

    def _bring_into_view(self, *, centre: bool) -> None:
        self._scroll_request = (self._cursor // ROW_BYTES, centre)
        self._apply_scroll_request()
        if self._scroll_request is not None:
            self.call_after_refresh(self._apply_scroll_request)

    def _apply_scroll_request(self) -> None:
        if self._scroll_request is None:
            return
        height = self.scrollable_content_region.height
        if height <= 0:
            return
        row, centre = self._scroll_request
        self._scroll_request = None
        top = round(self.scroll_offset.y)
        if centre:
            target = row - height // 2
        elif row < top:
            target = row
        elif row >= top + height:
            target = row - height + 1
        else:
            return
        # force: the scrollbars of a new virtual size are only known after the next layout
        # (ScrollbarFollowsScroll then puts the thumb where the view is).
        self.scroll_to(y=max(0, target), animate=False, force=True, immediate=True)

    # -- reading --------------------------------------------------------------------------

    def _guess_size(self) -> int:
        """An extent for a memory of unknown size: what the map and the focus reach."""
        ends = [r.end for r in self._map.regions if r.kind != HEAP] if self._map else []
        reach = max([*ends, (self._focus or 0) + 1])
        return -(-reach // WASM_PAGE_BYTES) * WASM_PAGE_BYTES

    @on(ChunkRead)
    def _chunk_read(self, message: ChunkRead) -> None:
        if self._reader is not None and self._reader.received(message):
            self.refresh()
            self.post_message(self.StatusChanged())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A reader that died of something other than WasmdbgError: say so, stop waiting."""
        if event.state != WorkerState.ERROR or self._reader is None:
            return
        reason = printable(str(event.worker.error) or type(event.worker.error).__name__)
        if self._reader.reader_died(event.worker, reason):
            self.refresh()
            self.post_message(self.StatusChanged())


class MemoryPane(Vertical):
    """The memory view with its status line under it."""

    DEFAULT_CSS = """
    MemoryPane { height: 1fr; }
    MemoryPane > MemoryView { height: 1fr; }
    MemoryPane > #memory-status { height: 2; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield MemoryView(id="memory-view")
        yield Static(id="memory-status", markup=False)

    @property
    def view(self) -> MemoryView:
        """The hex view."""
        return self.query_one(MemoryView)

    def on_mount(self) -> None:
        self._update_status()

    @on(MemoryView.StatusChanged)
    def _status_changed(self, message: MemoryView.StatusChanged) -> None:
        message.stop()
        self._update_status()

    def _update_status(self) -> None:
        self.query_one("#memory-status", Static).update(self.view.status_text)

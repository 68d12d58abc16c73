"""MemoryView and MemoryPane under Pilot: keys, go_to, tints, hostile bytes, huge memories, read errors."""

from __future__ import annotations

import random
import struct
import threading

import pytest
from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widgets import Static

from wasmdbg.errors import WasmdbgError
from wasmdbg.inspection.memory_map import DATA, HEAP, STACK, MemoryMap, MemoryRegion
from wasmdbg.tui.widgets import memory_reader
from wasmdbg.tui.widgets.memory_reader import CACHE_CHUNKS, CHUNK_BYTES, MemorySource
from wasmdbg.tui.widgets.memory_view import MemoryPane, MemoryView

SIZE = (120, 30)
HEX_START = 12
"""Column of the first hex byte: `0x` + 8 digits + 2 spaces."""
ASCII_START = HEX_START + 51


class BytesSource:
    """Memory over a bytes object; counts the reads."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.calls: list[tuple[int, int]] = []
        self.threads: set[str] = set()

    def read(self, address: int, length: int) -> bytes:
        self.calls.append((address, length))
        self.threads.add(threading.current_thread().name)
        return self.data[address : address + length]


def pattern(address: int, length: int) -> bytes:
    return bytes((a * 131 + (a >> 12)) & 0xFF for a in range(address, address + length))


class HugeSource:
    """512 MiB computed from the address: nothing like 512 MiB is ever allocated."""

    size = 512 << 20

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def read(self, address: int, length: int) -> bytes:
        self.calls.append((address, length))
        return pattern(address, min(length, self.size - address))


class FailingSource:
    def __init__(self) -> None:
        self.calls = 0

    def read(self, address: int, length: int) -> bytes:
        self.calls += 1
        raise WasmdbgError("the run has ended")


class MemoryApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.moves: list[int] = []

    def compose(self) -> ComposeResult:
        yield MemoryPane()

    def on_memory_view_cursor_moved(self, message: MemoryView.CursorMoved) -> None:
        self.moves.append(message.address)


def status(app: App[None]) -> str:
    pane = app.query_one(MemoryPane)
    shown = str(pane.query_one("#memory-status", Static).content)
    assert shown == pane.view.status_text.plain
    return shown


def row_text(strip: Strip) -> str:
    return "".join(segment.text for segment in strip)


def cell(strip: Strip, column: int) -> Segment:
    """The segment drawn at `column` (the cell of one byte)."""
    [segment] = list(strip.crop(column, column + 1))
    return segment


def expected_values(data: bytes, address: int) -> list[str]:
    chunk = data[address : address + 8]
    parts = [f"u8 0x{chunk[0]:02x}"]
    for name, fmt in (("i32", "<i"), ("u32", "<I"), ("i64", "<q"), ("u64", "<Q")):
        if len(chunk) >= struct.calcsize(fmt):
            parts.append(
                f"{name} {struct.unpack(fmt, chunk[: struct.calcsize(fmt)])[0]}"
            )
    if len(chunk) >= 4:
        parts.append(f"f32 {struct.unpack('<f', chunk[:4])[0]:.9g}")
    if len(chunk) >= 8:
        parts.append(f"f64 {struct.unpack('<d', chunk)[0]!r}")
    return parts


def show(app: MemoryApp, source: MemorySource | None, **kwargs: object) -> MemoryView:
    pane = app.query_one(MemoryPane)
    options: dict[str, object] = {
        "size": None,
        "memory_map": None,
        "focus_address": None,
    }
    options.update(kwargs)
    pane.view.show(source, **options)  # type: ignore[arg-type]
    return pane.view


async def test_keys_move_the_cursor_and_the_status_shows_the_values_there() -> None:
    data = random.Random(7).randbytes(3 * CHUNK_BYTES)
    source = BytesSource(data)
    app = MemoryApp()
    async with app.run_test(size=SIZE) as pilot:
        view = show(app, source, size=len(data), focus_address=0x100)
        view.focus()
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        height = view.scrollable_content_region.height
        assert height > 0
        steps = [
            ("right", 0x101),
            ("left", 0x100),
            ("down", 0x110),
            ("up", 0x100),
            ("pagedown", 0x100 + height * 16),
            ("pageup", 0x100),
            ("end", len(data) - 1),
            ("home", 0),
            ("left", 0),
        ]
        for key, address in steps:
            await pilot.press(key)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            assert view.cursor_address == address, key
            text = status(app)
            assert f"cursor 0x{address:08x}" in text, key
            for part in expected_values(data, address):
                assert part in text, (key, part)
            row, top = address // 16, view.scroll_offset.y
            assert top <= row < top + view.scrollable_content_region.height, key
        assert "size 12 KiB" in status(app)
        # At the last byte only u8 has enough bytes.
        await pilot.press("end")
        await pilot.pause()
        assert "i32" not in status(app)
        assert app.moves[0] == 0x100 and app.moves[-1] == len(data) - 1
        assert "MainThread" not in source.threads  # reads happen in the worker only


async def test_go_to_clamps_to_the_memory_and_centres_the_row() -> None:
    data = bytes(64 * 1024)
    app = MemoryApp()
    async with app.run_test(size=SIZE) as pilot:
        view = show(app, BytesSource(data), size=len(data))
        await pilot.pause()
        height = view.scrollable_content_region.height
        view.go_to(0x8000)
        await pilot.pause()
        assert view.cursor_address == 0x8000
        assert view.scroll_offset.y == 0x800 - height // 2
        view.go_to(len(data) + 100)
        await pilot.pause()
        assert view.cursor_address == len(data) - 1
        assert (
            view.scroll_offset.y == view.max_scroll_y
        )  # the last row, as centred as it can be
        view.go_to(-5)
        await pilot.pause()
        assert view.cursor_address == 0 and view.scroll_offset.y == 0


async def test_show_opens_at_the_fault_address_highlighted() -> None:
    data = bytes(range(256)) * 64
    app = MemoryApp()
    async with app.run_test(size=SIZE) as pilot:
        view = show(app, BytesSource(data), size=len(data), focus_address=0x2345)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert view.cursor_address == 0x2345
        strip = view.render_line(0x234 - view.scroll_offset.y)
        assert row_text(strip).startswith("0x00002340  40 41 42 43 44 45 46 47  48 49")
        fault = view.get_component_rich_style("memory-view--fault", partial=True)
        column = HEX_START + 3 * 5
        assert cell(strip, column).style.bgcolor == fault.bgcolor  # type: ignore[union-attr]
        assert cell(strip, column).style.reverse  # type: ignore[union-attr]  # cursor
        assert not cell(strip, HEX_START).style.reverse  # type: ignore[union-attr]


async def test_region_bytes_are_tinted_and_the_row_is_labelled() -> None:
    data = bytes(range(256)) * 16
    regions = MemoryMap(
        regions=(
            MemoryRegion(DATA, 0x40, 0x48, "data .rodata"),
            MemoryRegion(STACK, 0x48, 0x80, "stack (grows down from 0x80)"),
            MemoryRegion(HEAP, 0x80, 0x1000, "heap (from __heap_base)"),
        )
    )
    app = MemoryApp()
    async with app.run_test(size=SIZE) as pilot:
        view = show(
            app, BytesSource(data), size=len(data), memory_map=regions, focus_address=0
        )
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert view.scroll_offset.y == 0
        tint = {
            kind: view.get_component_rich_style(
                f"memory-view--{kind}", partial=True
            ).bgcolor
            for kind in (DATA, STACK, HEAP)
        }
        assert len(set(tint.values())) == 3 and None not in tint.values()
        plain = cell(view.render_line(1), HEX_START).style
        strip = view.render_line(4)  # 0x40..0x4f: data then stack
        assert cell(strip, HEX_START).style.bgcolor == tint[DATA]  # type: ignore[union-attr]
        assert cell(strip, HEX_START + 3 * 7).style.bgcolor == tint[DATA]  # type: ignore[union-attr]
        assert cell(strip, HEX_START + 3 * 8 + 1).style.bgcolor == tint[STACK]  # type: ignore[union-attr]
        assert cell(strip, ASCII_START).style.bgcolor == tint[DATA]  # type: ignore[union-attr]
        assert plain is not None and plain.bgcolor not in tint.values()
        assert row_text(strip).rstrip().endswith("data .rodata")
        heap_row = view.render_line(8)
        assert cell(heap_row, HEX_START).style.bgcolor == tint[HEAP]  # type: ignore[union-attr]
        assert "heap (from __heap_base)" in row_text(heap_row)
        view.go_to(0x45)
        await pilot.pause()
        assert "data .rodata" in status(app)


async def test_control_bytes_never_reach_the_terminal() -> None:
    hostile = b"\x1b[31mRED\x9b2J\x07\x00\x7f\xff]0;title\x07" + b"\x1b" * 40
    data = hostile + bytes(CHUNK_BYTES - len(hostile))
    app = MemoryApp()
    async with app.run_test(size=SIZE) as pilot:
        view = show(app, BytesSource(data), size=len(data), focus_address=0)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        texts = [
            segment.text
            for y in range(view.scrollable_content_region.height)
            for segment in view.render_line(y)
        ]
        joined = "".join(texts)
        for bad in ("\x1b", "\x9b", "\x07", "\x00", "\x7f"):
            assert bad not in joined
        first = row_text(view.render_line(0))
        assert first[ASCII_START - 1 : ASCII_START + 17] == "|.[31mRED.2J....]|"
        assert "1b 5b 33 31 6d" in first
        assert "\x1b" not in status(app)


async def test_a_512_mib_memory_opens_at_the_fault_reading_only_a_few_chunks() -> None:
    source = HugeSource()
    fault = 0x1FF00000
    app = MemoryApp()
    async with app.run_test(size=SIZE) as pilot:
        view = show(app, source, size=HugeSource.size, focus_address=fault)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        assert view.virtual_size.height == HugeSource.size // 16
        assert view.cursor_address == fault
        assert 1 <= len(source.calls) <= 3
        assert all(length == CHUNK_BYTES for _, length in source.calls)
        assert all(
            abs(address - fault) <= 2 * CHUNK_BYTES for address, _ in source.calls
        )
        assert all(address % CHUNK_BYTES == 0 for address, _ in source.calls)
        text = status(app)
        assert "size 512 MiB" in text and f"cursor 0x{fault:08x}" in text
        for part in expected_values(pattern(fault, 8), 0):
            assert part in text
        row = fault // 16
        strip = view.render_line(row - view.scroll_offset.y)
        assert row_text(strip).startswith(f"0x{fault:08x}  {pattern(fault, 1).hex()} ")
        await pilot.press("end")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert view.cursor_address == HugeSource.size - 1
        assert len(source.calls) <= 6


async def test_chunks_are_cached_and_the_cache_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert CACHE_CHUNKS >= 16
    monkeypatch.setattr(memory_reader, "CACHE_CHUNKS", 4)  # the same rule, fewer steps
    size = 8 * CHUNK_BYTES
    source = BytesSource(pattern(0, size))
    app = MemoryApp()
    async with app.run_test(size=SIZE) as pilot:
        view = show(app, source, size=size, focus_address=0x800)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert source.calls == [(0, CHUNK_BYTES)]
        view.go_to(0x900)  # same chunk: no read
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert source.calls == [(0, CHUNK_BYTES)]
        for index in range(1, 6):
            view.go_to(index * CHUNK_BYTES + 0x800)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        assert len(source.calls) == 6
        view.go_to(0x800)  # evicted: read again
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert source.calls[6:] == [(0, CHUNK_BYTES)]
        view.go_to(5 * CHUNK_BYTES + 0x800)  # still cached
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert len(source.calls) == 7


async def test_a_read_error_shows_once_in_the_status_line() -> None:
    source = FailingSource()
    app = MemoryApp()
    async with app.run_test(size=SIZE) as pilot:
        view = show(app, source, size=1 << 20, focus_address=0x3000)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        text = status(app)
        assert "read failed at 0x3000: the run has ended" in text
        assert "Traceback" not in text
        assert "??" in row_text(
            view.render_line(view.scrollable_content_region.height // 2)
        )
        view.go_to(0x80000)  # another chunk, another failure: still said once
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert status(app).count("read failed") == 1
        calls = source.calls
        view.go_to(0x3000)  # a failed chunk is not read again
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert source.calls == calls
        assert app.is_running


async def test_an_unexpected_exception_in_the_source_does_not_crash_the_app() -> None:
    class Broken:
        def read(self, address: int, length: int) -> bytes:
            raise RuntimeError("agent pipe closed")

    app = MemoryApp()
    async with app.run_test(size=SIZE) as pilot:
        show(app, Broken(), size=65536, focus_address=0)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert "read failed: agent pipe closed" in status(app)
        assert app.is_running


async def test_status_says_why_when_there_is_no_memory() -> None:
    app = MemoryApp()
    async with app.run_test(size=SIZE) as pilot:
        view = show(app, None, unavailable="the module has no memory")
        await pilot.pause()
        assert status(app) == "unavailable: the module has no memory"
        assert view.virtual_size.height == 0
        assert row_text(view.render_line(0)).strip() == ""


async def test_a_fault_past_the_end_of_memory_is_said_and_the_cursor_clamped() -> None:
    data = bytes(65536)
    app = MemoryApp()
    async with app.run_test(size=SIZE) as pilot:
        view = show(app, BytesSource(data), size=len(data), focus_address=0x10010)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert view.cursor_address == len(data) - 1
        assert "fault 0x10010 is past the end of memory" in status(app)


async def test_a_short_read_at_the_end_of_memory_shows_unreadable_bytes() -> None:
    data = bytes(range(16)) * 4  # the source has 64 bytes; the view was told 128
    app = MemoryApp()
    async with app.run_test(size=SIZE) as pilot:
        view = show(app, BytesSource(data), size=128, focus_address=0)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert row_text(view.render_line(3)).startswith("0x00000030  00 01 02")
        assert row_text(view.render_line(4)).startswith("0x00000040  ?? ??")
        assert view.render_line(8) == view.render_line(8)  # past the last row: blank
        assert row_text(view.render_line(8)).strip() == ""


async def test_clicking_a_byte_moves_the_cursor_there() -> None:
    data = bytes(4096)
    app = MemoryApp()
    async with app.run_test(size=SIZE) as pilot:
        view = show(app, BytesSource(data), size=len(data), focus_address=0)
        await pilot.pause()
        await pilot.click(MemoryView, offset=(HEX_START + 3 * 9 + 1, 2))
        await pilot.pause()
        assert view.cursor_address == 0x29
        await pilot.click(MemoryView, offset=(ASCII_START + 3, 1))
        await pilot.pause()
        assert view.cursor_address == 0x13


async def test_a_new_show_drops_chunks_of_the_previous_memory() -> None:
    first = BytesSource(b"\xaa" * 4096)
    second = BytesSource(b"\xbb" * 4096)
    app = MemoryApp()
    async with app.run_test(size=SIZE) as pilot:
        show(app, first, size=4096, focus_address=0)
        view = show(app, second, size=4096, focus_address=0)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert row_text(view.render_line(0)).startswith("0x00000000  bb bb")
        assert "u8 0xbb" in status(app)

"""The symbolize screen driven with Pilot: real wasmtime traces pasted, symbolized as you paste.

The traces are produced here by running the samples with the wasmtime Python bindings (as an
embedder would print them), and what the screen shows is checked against `wasm-tools addr2line`
and `wasm-tools print --print-offsets`, not against wasmdbg itself.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable

import pytest
from rich.console import Console
from textual.app import App
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Footer, Static, TextArea

from tests.helpers import ROOT, SAMPLES, wasmtime_trace
from tests.tui.conftest import BUILD, wait_for
from tests.tui.test_app import addr2line, instruction_at
from tests.tui.test_untrusted_text import rendered
from wasmdbg.cli.hints import describe
from wasmdbg.dwarf.progress import READING_UNITS, IndexProgress
from wasmdbg.session.session import Session, SessionOptions
from wasmdbg.tui.screens.symbolize import MAX_SYMBOLIZED_CHARS, SymbolizeScreen
from wasmdbg.tui.symbolize_app import SymbolizeApp, make_symbolize_app
from wasmdbg.tui.widgets.code_views import DisassemblyView, SourceView
from wasmdbg.tui.widgets.frame_panes import FramePanes
from wasmdbg.tui.widgets.paste_area import PasteArea
from wasmdbg.tui.widgets.pasted_frames import (
    EMPTY_HINT,
    MAX_LISTED,
    FrameListing,
    PastedFrameList,
)

SIZE = (160, 48)
FIXTURES = ROOT / "tests" / "fixtures" / "backtraces"
NOT_THIS_BINARY = "this trace does not come from this binary"

def symbolize_app(module: str = "divzero.O0.wasm", text: str = "") -> SymbolizeApp:
    """The app as the CLI builds it, on a sample, its sources under sample_modules/."""
    session = Session.open(BUILD / module, SessionOptions(source_roots=(str(SAMPLES),)))
    return make_symbolize_app(session, text=text, source_hint="add --source-root DIR", describe=describe)


def screen_of(pilot: Pilot[int]) -> SymbolizeScreen:
    screen = pilot.app.screen
    assert isinstance(screen, SymbolizeScreen)
    return screen


async def settled(pilot: Pilot[int], before: FrameListing | None = None) -> SymbolizeScreen:
    """Wait until the paste is symbolized (anew, when it was as `before`) and the panes have scrolled to the frame."""
    screen = screen_of(pilot)

    def done() -> bool:
        return screen.listing is not None and screen.listing is not before and not screen.busy

    await wait_for(pilot, done, "the paste symbolized")
    panes = [screen.query_one(SourceView), screen.query_one(DisassemblyView)]
    await wait_for(pilot, lambda: not any(pane.settling for pane in panes), "the panes scrolled into place")
    return screen


def summary(screen: SymbolizeScreen) -> str:
    return str(screen.query_one("#symbolize-summary", Static).content)


def listed_text(screen: SymbolizeScreen) -> str:
    """Every entry of the frame list as plain text at the list's width (those scrolled out of view too)."""
    frames = screen.query_one(PastedFrameList)
    out = io.StringIO()
    console = Console(file=out, width=frames.scrollable_content_region.width, color_system=None, highlight=False)
    for index in range(frames.option_count):
        console.print(frames.get_option_at_index(index).prompt)
    return out.getvalue()


def drawn(widget: Widget) -> str:
    """What a widget and its children draw, as text."""
    return "".join(rendered(child)[0] for child in (widget, *widget.query("*")))


async def paste(pilot: Pilot[int], text: str) -> SymbolizeScreen:
    before = screen_of(pilot).listing
    pilot.app.query_one(TextArea).insert(text)
    return await settled(pilot, before)


# -- symbolized as wasm-tools does ------------------------------------------------------------


async def test_a_pasted_wasmtime_trace_names_the_functions_and_lines_addr2line_gives() -> None:
    trace = wasmtime_trace("divzero.O0.wasm")
    app = symbolize_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await paste(pilot, trace)
        assert screen.listing is not None
        frames = screen.listing.frames
        assert len(frames) == trace.count(" - <unknown>!") == 8
        assert "8 frames in 1 trace (wasmtime)" in summary(screen)
        checked = 0
        for entry in frames:
            source = entry.frame.frames[0]
            assert entry.frame.fits and entry.frame.module_offset is not None
            if source.source != "dwarf":
                continue  # a libc function without DWARF: named from the name section
            function, where = addr2line("divzero.O0.wasm", entry.frame.module_offset)
            assert (source.function, f"{source.file}:{source.line}:{source.column}") == (function, where)
            checked += 1
        assert checked >= 4
        shown = listed_text(screen)
        function, where = addr2line("divzero.O0.wasm", 0x29D)
        assert f"↳ {function} at {where}" in shown
        assert "wasmtime #0  quotient  0x29d" in shown
        assert "integer divide by zero" in shown  # the trace's heading gives the trap


async def test_the_highlighted_frame_shows_its_source_line_and_instruction_as_the_trap_view_does() -> None:
    app = symbolize_app(text=wasmtime_trace("divzero.O0.wasm"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled(pilot)
        entry = screen.query_one(PastedFrameList).selected_entry
        assert entry is not None and entry.innermost and entry.frame.module_offset == 0x29D
        function, where = addr2line("divzero.O0.wasm", 0x29D)
        source = screen.query_one(SourceView)
        disassembly = screen.query_one(DisassemblyView)
        assert where in str(source.border_title) and "return total / count;" in source.text
        faulting = next(line for line in disassembly.text.splitlines() if "faulting" in line)
        assert "0x00029d" in faulting and instruction_at("divzero.O0.wasm", 0x29D) in faulting

        screen.query_one(PastedFrameList).focus()
        await pilot.press("down")  # the caller
        await settled(pilot)
        assert screen.shown is not None and screen.shown.frame.module_offset == 0x22E
        function, where = addr2line("divzero.O0.wasm", 0x22E)
        assert function == "compute_ratio" and where in str(source.border_title)
        assert "int q = quotient(total, count);" in source.text
        calling = next(line for line in disassembly.text.splitlines() if "calling" in line)
        assert "0x00022e" in calling and instruction_at("divzero.O0.wasm", 0x22E) in calling


async def test_a_log_with_ansi_colour_and_crlf_is_recognised_and_its_inlined_frame_marked() -> None:
    log = (FIXTURES / "wasmtime" / "noisy_log_prefix_ansi_crlf.txt").read_bytes().decode()
    app = symbolize_app("divzero.O2.wasm", text=log)
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled(pilot)
        assert screen.listing is not None and all(entry.frame.fits for entry in screen.listing.frames)
        assert [source.function for source in screen.listing.frames[0].frame.frames] == ["quotient", "compute_ratio"]
        shown = listed_text(screen)
        assert "quotient at ./../c/divzero.c:13:18 (inlined)" in shown
        assert "␛[31m" in screen.query_one(PasteArea).text  # the colour shown, not obeyed


# -- what does not fit --------------------------------------------------------------------------


async def test_a_trace_of_another_module_says_it_does_not_come_from_this_binary() -> None:
    app = symbolize_app(text=wasmtime_trace("oob.O0.wasm"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled(pilot)
        assert screen.listing is not None and screen.listing.frames
        assert not any(entry.frame.fits or entry.frame.frames for entry in screen.listing.frames)
        assert NOT_THIS_BINARY in " ".join(listed_text(screen).split())  # wrapped in the list
        assert "do not fit this module" in summary(screen)
        assert screen.shown is not None
        assert "not symbolized:" in screen.query_one(SourceView).text


# -- as you paste ---------------------------------------------------------------------------------


async def test_typing_more_text_symbolizes_again_and_keeps_the_highlighted_frame() -> None:
    app = symbolize_app(text=wasmtime_trace("divzero.O0.wasm"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled(pilot)
        frames = screen.query_one(PastedFrameList)
        frames.focus()
        await pilot.press("down", "down")
        await settled(pilot)
        assert screen.shown is not None and screen.shown.frame.raw.func_name == "average_per_bucket"
        area = screen.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        # A V8 frame of the same module, typed key by key: one more trace, another runtime.
        before = screen.listing
        await pilot.press("enter", *"    at quotient (wasm://wasm/0123abcd:wasm-function[9]:0x29d)", "enter")
        await settled(pilot, before)
        assert screen.listing is not None and len(screen.listing.frames) == 9
        assert "9 frames in 2 traces (v8, wasmtime)" in summary(screen)
        assert screen.shown is not None and screen.shown.frame.raw.func_name == "average_per_bucket"
        assert frames.selected_entry == screen.shown
        v8 = screen.listing.frames[-1].frame
        assert v8.raw.runtime == "v8" and v8.fits and v8.frames[0].function == "quotient"


async def test_an_empty_paste_shows_the_hint_and_ctrl_l_clears_back_to_it() -> None:
    app = symbolize_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled(pilot)
        assert EMPTY_HINT in summary(screen)
        await paste(pilot, wasmtime_trace("divzero.O0.wasm"))
        assert EMPTY_HINT not in summary(screen)
        before = screen.listing
        await pilot.press("ctrl+l")
        await settled(pilot, before)
        assert screen.query_one(TextArea).text == "" and EMPTY_HINT in summary(screen)
        assert screen.listing is not None and screen.listing.frames == () and screen.shown is None


async def test_the_index_build_is_shown_with_its_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    real = Session.symbolizer

    def slow(self: Session, *, cancel: threading.Event | None = None, on_progress: Callable[..., object] | None = None):  # type: ignore[no-untyped-def]
        if on_progress is not None:
            on_progress(IndexProgress(1, 3, READING_UNITS))
            release.wait(30)
        return real(self, cancel=cancel)

    monkeypatch.setattr(Session, "symbolizer", slow)
    app = symbolize_app(text=wasmtime_trace("divzero.O0.wasm"))
    async with app.run_test(size=SIZE) as pilot:
        screen = screen_of(pilot)
        await wait_for(pilot, lambda: "indexing DWARF 1/3 units (reading units)" in summary(screen), "the progress")
        release.set()
        await settled(pilot)
        assert "8 frames in 1 trace" in summary(screen)


async def test_a_paste_over_the_bound_is_cut_at_a_line_and_says_so() -> None:
    trace = wasmtime_trace("divzero.O0.wasm")
    big = trace * (MAX_SYMBOLIZED_CHARS // len(trace) + 200)
    app = symbolize_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await paste(pilot, big)
        kept = screen.query_one(TextArea).text
        assert len(kept) <= MAX_SYMBOLIZED_CHARS and kept.endswith("\n")
        text = summary(screen)
        assert "only the first 2 MiB of the" in text and f"the first {MAX_LISTED} are listed" in text
        assert screen.listing is not None and len(screen.listing.frames) == MAX_LISTED


# -- hostile text -------------------------------------------------------------------------------

HOSTILE = (
    "[red]not red[/] \x1b]52;c;ZXZpbA==\x07 \x1b[2J\x9b31m c1 \u202ebidi [@click=app.quit]click[/]\n"
    "error while executing at wasm backtrace:\n"
    "    0:    0x29d - <unknown>![@click=app.quit]x\x1b]0;title\x07\u202e[link=https://e.com]l[/link]\n"
    "    1:    0x22e - <unknown>!compute_ratio\n"
)


async def test_hostile_text_in_the_paste_is_inert_everywhere() -> None:
    app = symbolize_app(text=HOSTILE)
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled(pilot)
        assert screen.listing is not None and screen.listing.frames
        listed = listed_text(screen)
        seen = [listed]
        for widget in (screen.query_one(PasteArea), screen.query_one("#symbolize-summary"), screen.query_one(FramePanes),
                       screen.query_one(PastedFrameList)):
            for child in (widget, *widget.query("*")):
                text, metas = rendered(child)
                seen.append(text)
                assert not any("@click" in str(meta) or "link" in str(meta) for meta in metas), type(child).__name__
        for text in seen:
            for bad in ("\x1b", "\x07", "\x9b", "\u202e"):
                assert bad not in text
        assert "[@click=app.quit]x" in listed  # shown as text
        assert "[@click=app.quit]x" in rendered(screen.query_one(PastedFrameList))[0]
        assert "␛]52;c;" in screen.query_one(PasteArea).text and "\ufffd" in screen.query_one(PasteArea).text
        await pilot.click(PastedFrameList, offset=(16, 2))  # on the name: a click, not an action
        await pilot.pause()
        assert app.is_running


# -- keys -------------------------------------------------------------------------------------


async def test_tab_moves_between_paste_frames_and_panes_and_escape_does_nothing_at_the_root() -> None:
    app = symbolize_app(text=wasmtime_trace("divzero.O0.wasm"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled(pilot)
        order = []
        for _ in range(4):
            focused = app.focused
            assert focused is not None
            order.append(focused.id)
            await pilot.press("tab")
        assert order == ["paste", "pasted-frames", "source", "disassembly"]
        await pilot.press("escape")
        assert app.is_running and app.screen is screen
        footer = drawn(app.query_one(Footer))
        assert "Quit" in footer and "Clear paste" in footer and "Next pane" in footer
        assert "Close" not in footer  # there is nothing under this screen to go back to
        await pilot.press("ctrl+q")
    assert app.return_code == 0


class _Host(App[int]):
    """Another app's screen under the symbolize screen, as the debugger would push it."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def on_mount(self) -> None:
        self.push_screen(SymbolizeScreen(self.session))


async def test_escape_closes_the_screen_when_it_was_pushed_over_another() -> None:
    app = _Host(Session.open(BUILD / "divzero.O0.wasm"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SymbolizeScreen), "the screen pushed")
        await pilot.pause()
        assert "Close" in drawn(app.screen.query_one(Footer))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, SymbolizeScreen), "the screen closed")
        assert len(app.screen_stack) == 1


# -- snapshot -------------------------------------------------------------------------------------


def test_snapshot_of_a_pasted_trace_with_a_caller_selected(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def selected(pilot: Pilot[int]) -> None:
        screen = await settled(pilot)
        screen.query_one(PasteArea).cursor_blink = False
        screen.query_one(PastedFrameList).focus()
        await pilot.press("down")
        await settled(pilot)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        pilot.app.screen.refresh(layout=True)  # every scrollbar drawn where its pane now is
        await pilot.pause()

    app = symbolize_app(text=wasmtime_trace("divzero.O0.wasm"))
    assert snap_compare(app, terminal_size=SIZE, run_before=selected)


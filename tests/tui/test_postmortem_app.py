"""`wasmdbg open` in the app: a report and a coredump in the trap view, and the round trip from the live app's `w`.

The round trip compares what a person sees: the stack's frames and the memory pane's rows in the
live trap view, then in the post-mortem view of the coredump the live app wrote.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.helpers import ROOT, SAMPLES
from tests.tui.conftest import sample_app, until_drawn, wait_for
from wasmdbg.coredump.read import read_coredump
from wasmdbg.session.postmortem import open_postmortem
from wasmdbg.session.session import SessionOptions
from wasmdbg.tui.postmortem_app import PostMortemApp, make_postmortem_app
from wasmdbg.tui.widgets.code_views import DisassemblyView, SourceView
from wasmdbg.tui.widgets.globals_view import GlobalsView
from wasmdbg.tui.widgets.memory_view import _UNLOADED_HEX, MemoryView
from wasmdbg.tui.widgets.output_log import OutputLog
from wasmdbg.tui.widgets.stack_view import StackView

BUILD = SAMPLES / "build"
DUMPS = ROOT / "tests" / "fixtures" / "coredump"
SIZE = (160, 48)
ROOTS = SessionOptions(source_roots=(str(SAMPLES),))


def app_for(path: Path, module: Path | None = None) -> PostMortemApp:
    pm = open_postmortem(str(path), module=None if module is None else str(module), options=ROOTS)
    return make_postmortem_app(pm, source_hint="add --source-root DIR")


def frames_shown(stack: StackView) -> list[tuple[str | None, int | None, int | None]]:
    return [(e.source.function, e.source.line, e.frame.module_offset) for e in stack.entries]


async def rows_shown(pilot: Pilot[int], view: MemoryView) -> list[str]:
    """The memory pane's visible rows as text, once every chunk on screen has been read."""
    def rows() -> list[str]:
        return [view.render_line(y).text for y in range(view.size.height)]

    await wait_for(pilot, lambda: view.size.height > 0 and not any(_UNLOADED_HEX in r for r in rows()), "the memory read")
    return rows()


async def test_a_real_wasmtime_coredump_shows_frames_memory_and_globals() -> None:
    app = app_for(DUMPS / "divzero.O0.coredump", BUILD / "divzero.O0.wasm")
    dump = read_coredump((DUMPS / "divzero.O0.coredump").read_bytes())
    async with app.run_test(size=SIZE) as pilot:
        stack = app.query_one(StackView)
        await wait_for(pilot, lambda: stack.entries, "the frames")
        entry = stack.selected_entry
        assert entry is not None and entry.source.function == "quotient" and entry.user
        assert "return total / count;" in app.query_one("#source", SourceView).text
        faulting = next(line for line in app.query_one(DisassemblyView).text.splitlines() if "faulting" in line)
        assert "i32.div_s" in faulting
        view = app.query_one(MemoryView)
        rows = await rows_shown(pilot, view)
        first = int(rows[0].split()[0], 16)
        expected = dump.memories[0].read(first, 16)
        assert rows[0].split()[1:17] == [f"{b:02x}" for b in expected]
        table = app.query_one(GlobalsView)
        assert table.row_count == len(dump.globals) and "__stack_pointer" in str(table.get_row_at(0)[1])
        await pilot.press("q")
    assert app.return_code == 0


async def test_a_saved_report_shows_its_stack_and_output_and_says_memory_is_not_kept(tmp_path: Path) -> None:
    live = sample_app("panic.O0.wasm")
    async with live.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: live.report is not None, "the live report")
        live_frames = frames_shown(live.query_one(StackView))
        report = live.report
        await pilot.press("q")
    assert report is not None
    path = tmp_path / "panic.json"
    path.write_text(json.dumps(report.to_json()))
    app = app_for(path)
    async with app.run_test(size=SIZE) as pilot:
        stack = app.query_one(StackView)
        await wait_for(pilot, lambda: stack.entries, "the frames")
        assert frames_shown(stack) == live_frames
        assert app.query_one("#output-tail", OutputLog).lines_written >= 1
        assert "holds no memory" in app.query_one(MemoryView).status_text.plain
        await pilot.press("q")


async def test_live_w_then_open_shows_the_same_frames_and_memory(tmp_path: Path) -> None:
    dump = tmp_path / "divzero.coredump"
    live = sample_app("divzero.O0.wasm")
    live.coredump = str(dump)  # as `wasmdbg MODULE --coredump PATH` makes it
    async with live.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: live.report is not None, "the live report")
        await wait_for(pilot, lambda: dump.exists(), "the coredump written at the stop")
        dump.unlink()
        await pilot.press("w")  # and again on request
        await wait_for(pilot, lambda: dump.exists(), "the coredump written by w")
        live_frames = frames_shown(live.query_one(StackView))
        live_rows = await rows_shown(pilot, live.query_one(MemoryView))
        await pilot.press("q")
    app = app_for(dump)
    async with app.run_test(size=SIZE) as pilot:
        stack = app.query_one(StackView)
        await wait_for(pilot, lambda: stack.entries, "the frames")
        assert frames_shown(stack) == live_frames
        assert await rows_shown(pilot, app.query_one(MemoryView)) == live_rows
        await pilot.press("q")


async def test_a_coredump_without_its_module_opens_and_says_why_code_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the module the dump names is relative to the repository root
    lonely = tmp_path / "lonely.coredump"
    lonely.write_bytes((DUMPS / "oob.O0.coredump").read_bytes())
    app = app_for(lonely)
    async with app.run_test(size=SIZE) as pilot:
        stack = app.query_one(StackView)
        await wait_for(pilot, lambda: stack.entries, "the frames")
        assert all((e.source.function or "").startswith("<wasm function") for e in stack.entries)
        assert "--module" in app.query_one("#source", SourceView).text
        notes = app.query_one("#notes")
        assert "--module" in str(notes.render())
        await pilot.press("q")


async def _settled(pilot: Pilot[int]) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.query_one(StackView).entries, "the frames")
    panes = [app.query_one(SourceView), app.query_one(DisassemblyView)]
    await wait_for(pilot, lambda: not any(pane.settling for pane in panes), "the source and disassembly scrolled into place")
    view = app.query_one(MemoryView)
    if view.memory_size:
        await rows_shown(pilot, view)
    await until_drawn(pilot)


def test_snapshot_of_a_wasmtime_coredump(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = app_for(DUMPS / "divzero.O0.coredump", BUILD / "divzero.O0.wasm")
    assert snap_compare(app, terminal_size=SIZE, run_before=_settled)


def test_snapshot_of_a_saved_report(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    session = open_postmortem(str(DUMPS / "oob.O0.coredump"), module=str(BUILD / "oob.O0.wasm"), options=ROOTS).session
    assert session is not None
    from wasmdbg.session.live import RunRequest

    with session.start_run(RunRequest()) as live:
        report = session.finish(live)
    path = tmp_path / "oob.json"
    path.write_text(json.dumps(report.to_json()))
    assert snap_compare(app_for(path), terminal_size=SIZE, run_before=_settled)


async def test_without_a_module_m_and_s_do_not_apply() -> None:
    app = app_for(DUMPS / "oob.O0.coredump", BUILD / "divzero.O0.wasm")  # another module: not used
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.query_one(StackView).entries, "the frames")
        assert app.check_action("module", ()) is None and app.check_action("symbolize", ()) is None
        await pilot.press("m")
        await pilot.pause()
        assert app.on_main_screen
        await pilot.press("q")

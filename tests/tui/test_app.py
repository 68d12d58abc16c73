"""The app driven with Pilot on real samples: every binding, both views, the help and go-to screens.

What the views show is checked against independent tools where there is one: the frame's source
line against `wasm-tools addr2line`, the highlighted instruction against `wasm-tools print
--print-offsets`.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import TabbedContent

from tests.helpers import wasm_tools
from tests.tui.conftest import BUILD, sample_app, wait_for
from wasmdbg.cli.commands.run import start_failure
from wasmdbg.facts import WASMTIME_FRAME_LIMIT
from wasmdbg.runner import protocol as p
from wasmdbg.runner.limits import INTERACTIVE_LIMITS
from wasmdbg.session.live import RunRequest
from wasmdbg.session.session import Session
from wasmdbg.tui.app import make_app
from wasmdbg.tui.screens.goto import GotoScreen, parse_address
from wasmdbg.tui.screens.help import HelpScreen
from wasmdbg.tui.widgets.code_views import DisassemblyView, SourceView
from wasmdbg.tui.widgets.memory_chart import MemoryChart
from wasmdbg.tui.widgets.memory_view import MemoryView
from wasmdbg.tui.widgets.output_log import OutputLog
from wasmdbg.tui.widgets.stack_view import StackView
from wasmdbg.tui.widgets.status_line import PAUSED, RUNNING

SIZE = (160, 48)


def addr2line(module: str, offset: int) -> tuple[str, str]:
    """(function, file:line:column) as wasm-tools gives them."""
    line = wasm_tools("addr2line", str(BUILD / module), hex(offset)).strip().splitlines()[0]
    _, function, where = line.split(" ", 2)
    return function, where


def instruction_at(module: str, offset: int) -> str:
    """The instruction wasm-tools prints at a module offset."""
    for line in wasm_tools("print", "--print-offsets", str(BUILD / module)).splitlines():
        found = re.match(r"\s*\(;@([0-9a-f]+)\s*;\)\s*(\S+)", line)
        if found and int(found.group(1), 16) == offset:
            return found.group(2)
    raise AssertionError(f"wasm-tools prints no instruction at {offset:#x}")


async def test_a_divide_by_zero_stops_in_the_trap_view_at_the_users_line() -> None:
    app = sample_app("divzero.O0.wasm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the trap's report")
        assert app.query_one("#views", TabbedContent).active == "trap"
        assert app.report is not None and app.report.trap is not None
        assert app.report.trap.kind == "integer_division_by_zero"
        stack = app.query_one(StackView)
        entry = stack.selected_entry
        assert entry is not None and entry.user and entry.index == 0
        function, where = addr2line("divzero.O0.wasm", int(entry.frame.module_offset or 0))
        assert entry.source.function == function == "quotient"
        source = app.query_one("#source", SourceView)
        assert where in str(source.border_title)
        assert "return total / count;" in source.text
        disassembly = app.query_one("#disassembly", DisassemblyView)
        faulting = next(line for line in disassembly.text.splitlines() if "faulting" in line)
        assert f"{entry.frame.module_offset:#08x}" in faulting
        assert instruction_at("divzero.O0.wasm", int(entry.frame.module_offset or 0)) in faulting
        output = app.query_one("#output-tail", OutputLog)
        assert output.lines_written >= 1
        await pilot.press("q")
    assert app.return_code == 134  # as `wasmdbg run` exits after a trap


async def test_moving_through_frames_updates_source_and_disassembly_together() -> None:
    app = sample_app("divzero.O0.wasm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the trap's report")
        stack = app.query_one(StackView)
        source = app.query_one("#source", SourceView)
        disassembly = app.query_one("#disassembly", DisassemblyView)
        await pilot.press("u")  # up the stack, to the caller, as in gdb
        caller = stack.selected_entry
        assert caller is not None and caller.index == 1
        function, where = addr2line("divzero.O0.wasm", int(caller.frame.module_offset or 0))
        assert caller.source.function == function
        await pilot.pause()
        assert where in str(source.border_title)
        calling = next(line for line in disassembly.text.splitlines() if "calling" in line)
        assert instruction_at("divzero.O0.wasm", int(caller.frame.module_offset or 0)) == "call"
        assert " call " in calling and "compute_ratio" not in calling.split("call", 1)[0]
        await pilot.press("d")
        back = stack.selected_entry
        assert back is not None and back.index == 0
        await pilot.press("down")  # the arrow keys do the same in the focused stack
        moved = stack.selected_entry
        assert moved is not None and moved.index == 1


async def test_runtime_frames_fold_and_unfold() -> None:
    app = sample_app("divzero.O0.wasm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the trap's report")
        stack = app.query_one(StackView)
        folded = stack.option_count
        runtime = [e for e in stack.entries if e.runtime]
        assert len(runtime) >= 2  # libc's __main_void, __original_main, _start ...
        await pilot.press("f")
        assert not stack.folded and stack.option_count == folded + len(runtime) - 1
        await pilot.press("f")
        assert stack.folded and stack.option_count == folded


async def test_a_rust_panic_names_the_users_function_and_folds_std() -> None:
    app = sample_app("panic.O0.wasm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the panic's report")
        stack = app.query_one(StackView)
        entry = stack.selected_entry
        assert entry is not None and entry.user and not entry.runtime
        assert entry.source.file is not None and entry.source.file.endswith(".rs")
        assert f"{entry.source.file}:{entry.source.line}" in str(app.query_one("#source", SourceView).border_title)
        assert any(e.runtime for e in stack.entries)
        assert stack.option_count < len(stack.entries)  # std's frames are folded


async def test_pause_continue_and_interrupt_a_spinning_guest() -> None:
    app = sample_app("spin.O0.wasm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.state == RUNNING, "the guest running")
        await pilot.press("p")
        assert app.state == PAUSED
        assert app.check_action("continue", ()) is True and app.check_action("pause", ()) is None
        await pilot.press("c")
        assert app.state == RUNNING
        await pilot.press("i")
        await wait_for(pilot, lambda: app.report is not None, "the interrupted run's report")
        report = app.report
        assert report is not None and report.outcome == p.INTERRUPTED
        assert report.stack, "an interrupt shows where the guest was"
        assert app.query_one("#views", TabbedContent).active == "trap"
        assert not report.fuel_exact  # cut short: a lower bound, and the panel says so


async def test_restart_runs_the_module_again() -> None:
    app = sample_app("divzero.O0.wasm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the first report")
        first, first_run = app.report, app.live
        await pilot.press("r")
        assert app.generation == 2
        await wait_for(pilot, lambda: app.report is not None and app.report is not first, "the second report")
        assert app.live is not first_run and app.live is not None and app.live.finished is not None
        assert app.report is not None and first is not None and app.report.trap == first.trap


async def test_views_switch_with_1_and_2() -> None:
    app = sample_app("divzero.O0.wasm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the report")
        tabs = app.query_one("#views", TabbedContent)
        await pilot.press("1")
        assert tabs.active == "run"
        await pilot.press("2")
        assert tabs.active == "trap"


async def test_help_lists_the_active_bindings() -> None:
    app = sample_app("divzero.O0.wasm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the report")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = {description: keys for keys, description, _ in app.screen.rows}
        enabled = {description: on for _, description, on in app.screen.rows}
        assert app.screen.rows[0][1] == "Continue"  # the debugger's keys first
        assert not enabled["Pause"] and enabled["Restart"]  # the run has stopped: pausing does not apply
        for binding in app.BINDINGS:
            assert binding.description in rows, binding.description  # type: ignore[union-attr]
        assert rows["Restart"] == "r" and "q" in rows["Quit"].split(" / ")
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_go_to_moves_the_memory_cursor() -> None:
    app = sample_app("divzero.O0.wasm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the report")
        await pilot.press("g")
        assert isinstance(app.screen, GotoScreen)
        await pilot.press("z", "enter")  # not an address: the screen stays and says so
        assert isinstance(app.screen, GotoScreen)
        await pilot.press("backspace", *"0x400", "enter")
        assert not isinstance(app.screen, GotoScreen)
        assert app.query_one(MemoryView).cursor_address == 0x400


def test_addresses_are_read_as_hex_or_decimal() -> None:
    assert parse_address("0x1f00") == 0x1F00 == parse_address("1f00h") == parse_address("7936")
    assert parse_address("0x_10") == 16 and parse_address("") is None and parse_address("-3") is None
    assert parse_address("main") is None


async def test_the_command_palette_offers_every_action_that_applies() -> None:
    app = sample_app("divzero.O0.wasm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the report")
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Restart", "Caller", "Callee", "Fold runtime", "Go to address", "Run view", "Help"} <= titles
        assert "Pause" not in titles  # the run has stopped
        assert any("theme" in t.lower() for t in titles)
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"restart")
        palette = app.screen
        await wait_for(pilot, lambda: palette.query_one(CommandList).option_count > 0, "the palette's matches")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.generation == 2, "the palette's restart")


async def test_a_normal_exit_shows_the_code_and_the_last_output() -> None:
    app = sample_app("exitcode.O0.wasm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the report")
        report = app.report
        assert report is not None and report.outcome == p.EXITED
        shown = str(app.query_one("#outcome").content)
        assert f"exited with code {report.exit_code}" in shown
        last = report.stdout_text.strip().splitlines() or report.stderr_text.strip().splitlines()
        assert last and last[-1] in shown
        await pilot.press("q")
    assert app.return_code == report.exit_code


async def test_without_dwarf_the_source_pane_says_why_and_the_disassembly_shows() -> None:
    app = sample_app("divzero.names.wasm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the report")
        source = app.query_one("#source", SourceView)
        assert "no line information" in source.text and "-g" in source.text
        assert "faulting" in app.query_one("#disassembly", DisassemblyView).text


async def test_a_source_outside_the_roots_is_not_read_and_the_hint_names_the_flag() -> None:
    app = sample_app("divzero.O0.wasm", source_roots=())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the report")
        text = app.query_one("#source", SourceView).text
        assert "source not available" in text and "--source-root" in text
        assert "return total / count" not in text


async def test_the_leak_samples_memory_grows_on_the_chart() -> None:
    app = sample_app("leak.O0.wasm", "8", limits=INTERACTIVE_LIMITS)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the leak's end")
        assert app.live is not None
        pages = [s.memory_pages[0] for s in app.live.samples if s.memory_pages]
        assert pages == sorted(pages) and pages[-1] >= 8 * 16  # 8 MiB in 64 KiB pages, never shrinking
        assert len(set(pages)) >= 4  # seen growing while it ran, not only at the end
        chart = app.query_one(MemoryChart)
        await pilot.press("1")
        await pilot.pause()
        assert "cap 512 MiB" in chart.title_text and chart.peak_mib >= 8


async def test_a_click_selects_a_frame_and_the_app_survives_a_resize() -> None:
    app = sample_app("divzero.O0.wasm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the report")
        stack = app.query_one(StackView)
        await pilot.pause()  # the new options laid out before a click lands on one
        await pilot.click(StackView, offset=(8, 3))  # the second frame's first line (two lines a frame)
        await pilot.pause()
        selected = stack.selected_entry
        assert selected is not None and selected.index == 1
        assert "divzero.c:17" in str(app.query_one("#source", SourceView).border_title)
        await pilot.resize_terminal(90, 30)
        await pilot.pause()
        assert app.size == (90, 30) and stack.selected_entry == selected
        await pilot.resize_terminal(200, 60)
        await pilot.pause()
        assert app.query_one("#disassembly", DisassemblyView).size.width > 0


async def test_a_module_that_cannot_start_says_what_to_do(tmp_path: Path) -> None:
    module = tmp_path / "nostart.wat"
    module.write_text('(module (func (export "compute") (result i32) i32.const 7))')
    session = Session.open(module)
    app = make_app(session, RunRequest(limits=INTERACTIVE_LIMITS), start_hint=lambda r: start_failure(r, session))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the report")
        assert app.report is not None and app.report.outcome == p.ERROR
        shown = str(app.query_one("#outcome").content)
        assert "use --invoke NAME; exports: compute" in shown
        await pilot.press("q")
    assert app.return_code == 1


async def test_a_stack_cut_at_wasmtimes_limit_says_so() -> None:
    app = sample_app("stackoverflow.O0.wasm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the report")
        assert app.report is not None and app.report.frames_truncated
        stack = app.query_one(StackView)
        last = stack.get_option_at_index(stack.option_count - 1)
        assert last.id == "truncated" and last.disabled
        assert f"at most {WASMTIME_FRAME_LIMIT} frames" in str(last.prompt)


async def test_the_source_follows_a_theme_change() -> None:
    app = sample_app("divzero.O0.wasm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the report")
        source = app.query_one("#source", SourceView)
        before = source.query_one("#body").content
        app.theme = "textual-light"
        await pilot.pause()
        after = source.query_one("#body").content
        assert after is not before and "return total / count;" in source.text
        assert getattr(after, "_theme", None) != getattr(before, "_theme", None)


async def test_restart_while_running_ends_the_old_run() -> None:
    app = sample_app("spin.O0.wasm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.state == RUNNING and app.live is not None, "the guest running")
        old = app.live
        await pilot.press("r")
        await wait_for(pilot, lambda: app.live is not None and app.live is not old and app.state == RUNNING, "the new run")
        assert old is not None
        await wait_for(pilot, lambda: not old.engine_alive, "the old engine ended")
        await pilot.press("q")
    assert app.live is None  # closed on the way out


async def test_nothing_is_left_in_the_temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    app = sample_app("spin.O0.wasm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.state == RUNNING, "the guest running")
        assert any(private.iterdir())  # the run's own directory, while it runs
        await pilot.press("r")  # a run ended mid-way
        await wait_for(pilot, lambda: app.generation == 2 and app.state == RUNNING, "the second run")
        await pilot.press("i")
        await wait_for(pilot, lambda: app.report is not None, "the interrupted run's report")
        await pilot.press("q")
    await wait_for_nothing_in(private)


async def wait_for_nothing_in(directory: Path) -> None:
    """The closing of a cancelled run happens on a worker thread: give it its moment (a hang bound only)."""
    import asyncio
    import time

    began = time.monotonic()
    while any(directory.iterdir()):
        assert time.monotonic() - began < 30, f"left behind: {sorted(p.name for p in directory.iterdir())}"
        await asyncio.sleep(0.05)


async def test_m_and_s_open_the_module_and_symbolize_screens_over_the_trap_view() -> None:
    from wasmdbg.tui.screens.module import ModuleScreen
    from wasmdbg.tui.screens.symbolize import SymbolizeScreen

    app = sample_app("divzero.O0.wasm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the report")
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, ModuleScreen), "the module screen")
        assert app.check_action("frame_up", ()) is False  # the trap view's keys are not the module screen's
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ModuleScreen), "back from the module screen")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SymbolizeScreen), "the symbolize screen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, SymbolizeScreen), "back from the symbolize screen")
        assert app.check_action("frame_up", ()) is True
        await pilot.press("q")

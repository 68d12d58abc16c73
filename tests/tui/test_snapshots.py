"""Snapshots of the app's views at 160x48 (pytest-textual-snapshot; update only after looking at the diff report).

The trap views come from real runs of the samples. Only the clock is frozen, so the elapsed time
does not differ between runs; the run view replays a scripted run (a growing memory, fuel, output)
because a live guest never samples at the same instants twice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from textual.pilot import Pilot

from tests.helpers import SAMPLES
from tests.tui.conftest import BUILD, sample_app, until_drawn, wait_for
from wasmdbg.runner import protocol as p
from wasmdbg.runner.limits import INTERACTIVE_LIMITS
from wasmdbg.session.live import RunRequest
from wasmdbg.session.session import Session, SessionOptions
from wasmdbg.tui.app import WasmdbgApp, make_app
from wasmdbg.tui.widgets.code_views import DisassemblyView, SourceView
from wasmdbg.tui.widgets.output_log import OutputLog
from wasmdbg.tui.widgets.variables_pane import VariablesPane

SIZE = (160, 48)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The status line's elapsed time, the only figure that differs from run to run of a sample."""
    monkeypatch.setattr(WasmdbgApp, "_elapsed", lambda self: 1.25)


async def _until_stopped(pilot: Pilot[int]) -> None:
    app = pilot.app
    assert isinstance(app, WasmdbgApp)
    await wait_for(pilot, lambda: app.report is not None, "the report")
    await app.workers.wait_for_complete()
    panes = [app.query_one(SourceView), app.query_one(DisassemblyView)]
    await wait_for(pilot, lambda: not any(pane.settling for pane in panes), "the source and disassembly scrolled into place")
    report = app.report
    assert report is not None
    printed = sum(len(out.decode("utf-8", "replace").splitlines()) for out in (report.stdout, report.stderr))
    tail = app.query_one("#output-tail", OutputLog)
    await wait_for(pilot, lambda: tail.lines_shown == printed, "the guest's output in the trap view")
    await until_drawn(pilot)  # the footer and the scrollbars drawn for the final state, however loaded the machine


def test_trap_view_of_a_divide_by_zero(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(sample_app("divzero.O0.wasm"), terminal_size=SIZE, run_before=_until_stopped)


def test_trap_view_of_a_rust_panic(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(sample_app("panic.O0.wasm"), terminal_size=SIZE, run_before=_until_stopped)


def test_breakpoint_stop_with_variables_and_the_source_cursor(snap_compare) -> None:  # type: ignore[no-untyped-def]
    session = Session.open(BUILD / "ledger.O0.wasm", SessionOptions(source_roots=(str(SAMPLES),)))
    app = make_app(session, RunRequest(limits=INTERACTIVE_LIMITS), breakpoints=("ledger.c:22",))

    async def stopped_with_the_cursor_moved(pilot: Pilot[int]) -> None:
        # Not _until_stopped: the run's worker holds the guest at the stop, it does not complete.
        await wait_for(pilot, lambda: app.state == p.BREAKPOINT and app.report is not None, "the stop")
        panes = [app.query_one(SourceView), app.query_one(DisassemblyView)]
        await wait_for(pilot, lambda: not any(pane.settling for pane in panes), "the panes scrolled into place")
        variables = app.query_one(VariablesPane)
        await wait_for(pilot, lambda: "before: int = 100" in variables.text, "post's variables")
        app.query_one(SourceView).focus()
        await pilot.press("down", "down", "down")
        app.clear_notifications()  # the toast naming the chosen address times out: not on the snapshot
        await until_drawn(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=stopped_with_the_cursor_moved)


class ScriptedRun:
    """A run that replays a leak: memory growing by 1 MiB a step, fuel rising, a line of output each step."""

    STEPS = 40

    def __init__(self, request: RunRequest, cancel: threading.Event | None = None) -> None:
        self.request = request
        self.cancel = cancel or threading.Event()
        self.samples: list[p.Sample] = []
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.finished: p.Finished | None = None
        self.replayed = threading.Event()
        self.engine_alive = True

    def events(self) -> Iterator[p.Started | p.Sample | p.Output | p.Finished]:
        yield p.Started()
        for step in range(1, self.STEPS + 1):
            sample = p.Sample(step * 0.1, (2 + step * 16,), 1_000_000 * step, 0.0, (65536,))
            self.samples.append(sample)
            yield sample
            line = f"leaked {step} MiB\n".encode()
            self.stdout.extend(line)
            yield p.Output(p.STDOUT, line)
        self.replayed.set()
        self.cancel.wait()  # still "running" until the app ends it

    def close(self) -> None:
        self.cancel.set()


def test_run_view_while_a_guest_leaks(snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    runs: list[ScriptedRun] = []

    def start_run(self: object, request: RunRequest, *, cancel: threading.Event | None = None) -> ScriptedRun:
        runs.append(ScriptedRun(request, cancel))
        return runs[-1]

    monkeypatch.setattr("wasmdbg.session.session.Session.start_run", start_run)

    async def replayed(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, WasmdbgApp)
        log = app.query_one("#output", OutputLog)

        def drawn() -> bool:
            plotted = app._plotted
            return plotted is not None and plotted[0] == ScriptedRun.STEPS and log.lines_written == ScriptedRun.STEPS

        await wait_for(pilot, drawn, "the replay drawn")
        await pilot.pause()

    app = sample_app("leak.O0.wasm", limits=INTERACTIVE_LIMITS)
    assert snap_compare(app, terminal_size=SIZE, run_before=replayed)

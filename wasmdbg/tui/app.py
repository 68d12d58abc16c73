"""The interactive debugger: a run watched live, then the stop made understandable at a glance.

One `WasmdbgApp` drives one `Session`. Two thread workers feed it: one builds the DWARF index
(with progress), one drains the run's events (`LiveRun.events()`). Neither touches a widget: they
post messages (`messages.py`), samples replacing queued samples, and hand guest output over in a
queue that a timer drains into bounded logs, so a guest that floods output or spins cannot stall
the UI. No agent call happens on the UI thread: memory is read by the memory view's own worker,
and the memory size by the run worker before it reports. `make_app` is the one way to build it.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import TabbedContent, TabPane
from textual.worker import get_current_worker

from wasmdbg.findings import Finding
from wasmdbg.inspection.memory_map import memory_map
from wasmdbg.runner import protocol as p
from wasmdbg.session.coredump import STOPPED
from wasmdbg.session.live import LiveRun, RunRequest
from wasmdbg.session.report import RunReport
from wasmdbg.session.session import Session
from wasmdbg.tui.clock import RunClock
from wasmdbg.tui.jobs import LiveMemory, Output, SymbolsState, build_symbols_into, drive_run, save_coredump
from wasmdbg.tui.messages import (
    BreakpointsPlanned,
    GuestStarted,
    ReportReady,
    RunEnded,
    RunFailed,
    RunStarted,
    SampleArrived,
    StopReady,
    SymbolsFailed,
    SymbolsProgress,
    SymbolsReady,
)
from wasmdbg.tui.trap_app import END_BINDINGS, FRAME_BINDINGS, SCREEN_BINDINGS, TrapApp
from wasmdbg.tui.breakpoint_lines import BreakpointLines, line_spec
from wasmdbg.tui.screens.breakpoint import BreakpointScreen
from wasmdbg.session.stops import StopDescriber
from wasmdbg.text import printable
from wasmdbg.tui.widgets.code_views import SourceView
from wasmdbg.tui.widgets.footer import Footer
from wasmdbg.tui.widgets.fuel_panel import FuelPanel
from wasmdbg.tui.widgets.memory_chart import MemoryChart
from wasmdbg.tui.widgets.output_log import OutputLog
from wasmdbg.tui.widgets.status_line import (
    COMPILING,
    PAUSED,
    RUNNING,
    Status,
    StatusLine,
)
from wasmdbg.tui.widgets.trap_view import TrapView

OUTPUT_TICK_S = 0.1
"""How often guest output is moved from the run's queue into the logs."""
OUTPUT_BUDGET_S = 0.02
"""How long one tick may spend handing chunks of output to the logs, about: a log only cuts them
into lines then; of the whole batch it escapes only the lines it keeps, and draws those in view."""
CHART_TICK_S = 0.25
"""How often the chart and the figures are redrawn while the guest runs."""

RUN_VIEW, TRAP_VIEW = "run", "trap"


class WasmdbgApp(TrapApp):
    """`wasmdbg MODULE`: run, watch, stop, inspect."""

    BINDINGS = [
        Binding("c", "continue", "Continue", id="continue"),
        Binding("p", "pause", "Pause", id="pause"),
        Binding("i", "interrupt", "Interrupt", id="interrupt"),
        Binding("r", "restart", "Restart", id="restart"),
        Binding("b", "breakpoint", "Breakpoint", id="breakpoint"),
        Binding("n", "step('over')", "Next line", id="step-over"),
        Binding("e", "step('into')", "Step into", id="step-into"),
        Binding("o", "step('out')", "Step out", id="step-out"),
        *FRAME_BINDINGS,
        Binding("w", "write_coredump", "Write coredump", id="coredump"),
        *SCREEN_BINDINGS,
        Binding("1", "view('run')", "Run view", id="run-view", show=False),
        Binding("2", "view('trap')", "Trap view", id="trap-view", show=False),
        *END_BINDINGS,
    ]

    def __init__(
        self,
        session: Session,
        request: RunRequest,
        *,
        source_hint: str | None = None,
        describe: Callable[[Finding], str] = str,
        start_hint: Callable[[RunReport], str | None] | None = None,
        coredump: str | None = None,
        debug_hint: str | None = None,
        breakpoints: Iterable[str] = (),
    ) -> None:
        super().__init__(source_hint=source_hint, describe=describe, debug_hint=debug_hint)
        self.breakpoints: list[str] = list(dict.fromkeys(breakpoints))
        """Breakpoint specs (`--break`, then toggled with `b`): of the run going on, when it can take them, else of the next."""
        self.breakpoint_lines = BreakpointLines(session)
        """Which source lines the specs stop on (the source pane's dots)."""
        self._describer: StopDescriber | None = None
        """What names the stops of the run going on (None: it has no breakpoints)."""
        self.start_hint = start_hint
        self.coredump = coredump
        """Where `w` writes the stopped run as a coredump (written at once on each stop when the user asked for it)."""
        self.session = session
        # The fuel panel shows fuel live, so the app always asks for metering (a plain run does not meter).
        self.request = replace(request, meter_fuel=True)
        self.generation = 0
        self.live: LiveRun | None = None
        self.state = COMPILING
        self.finished: p.Finished | None = None
        self.report: RunReport | None = None
        self.symbols = "indexing…"
        self.symbols_state = SymbolsState()
        self._output: Output = deque()
        self.clock = RunClock()
        self._plotted: tuple[int, float] | None = None
        self.module_name = Path(session.path).name
        """What the status line calls the module."""

    # -- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        with TabbedContent(id="views", initial=RUN_VIEW):
            with TabPane("1 Run", id=RUN_VIEW):
                with Horizontal(id="run-top"):
                    yield MemoryChart(id="chart")
                    yield FuelPanel(id="fuel")
                yield OutputLog(id="output")
            with TabPane("2 Trap", id=TRAP_VIEW):
                yield TrapView(OutputLog(id="output-tail"), id="trap-view", source_hint=self.source_hint, describe=self.describe)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#chart", MemoryChart).border_title = "memory"
        self.query_one("#fuel", FuelPanel).border_title = "fuel and memory"
        self.query_one("#output", OutputLog).border_title = "guest output"
        self.query_one("#output-tail", OutputLog).border_title = "guest output"
        self.trap_view.bind(self.session)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.set_interval(OUTPUT_TICK_S, self._drain_output)
        self.set_interval(CHART_TICK_S, self._redraw_live)
        self._build_symbols()
        self._start_run()
        # What exists now (Textual, the widgets, the session) lives as long as the app: left to the
        # collector, every full collection rescanned it, 50-60 ms each, landing mid-flood or on the
        # trap view's first paint. Frozen, a full collection scans only what came after.
        gc.freeze()

    # -- the symbolizer -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="symbols", exit_on_error=False)
    def _build_symbols(self) -> None:
        build_symbols_into(self.session, self.symbols_state, get_current_worker().cancelled_event, self.post_message)

    def on_symbols_progress(self, message: SymbolsProgress) -> None:
        progress = message.progress
        if progress.units_total:
            self.symbols = f"indexing DWARF {progress.units_done}/{progress.units_total} units ({progress.phase})"
        else:
            self.symbols = f"indexing DWARF ({progress.phase})"
        self._show_status()

    def on_symbols_ready(self, _: SymbolsReady) -> None:
        symbolizer = self.session.symbolizer()
        if symbolizer.index is not None:
            self.symbols = "DWARF: file and line"
        elif self.session.module.names is not None and self.session.module.names.functions:
            self.symbols = "function names only (no DWARF)"
        else:
            self.symbols = "function indices only (no names, no DWARF)"
        self._show_status()

    def on_symbols_failed(self, message: SymbolsFailed) -> None:
        # An explicit debug file that cannot be used: `wasmdbg run` fails the same way, at once.
        self.exit(1, message=Text(f"wasmdbg: error: {message.message}"))

    # -- the run --------------------------------------------------------------------------------

    def _start_run(self) -> None:
        self.generation += 1
        self._output = deque()
        self._reset_views()
        self._run(self.generation, self._output)

    @work(thread=True, exclusive=True, group="run", exit_on_error=False)
    def _run(self, generation: int, output: Output) -> None:
        worker = get_current_worker()
        drive_run(
            self.session, self.request, generation, output, worker.cancelled_event, self.post_message, self.symbols_state,
            tuple(self.breakpoints),
        )  # fmt: skip

    def on_run_started(self, message: RunStarted) -> None:
        if message.generation != self.generation:
            message.live.close()
            return
        self.live = message.live

    def on_guest_started(self, message: GuestStarted) -> None:
        if message.generation == self.generation:
            self.clock.start()
            self._set_state(RUNNING)

    def on_sample_arrived(self, message: SampleArrived) -> None:
        if message.generation == self.generation:
            self._show_status()

    def on_run_ended(self, message: RunEnded) -> None:
        if message.generation != self.generation:
            return
        self.finished = message.finished
        self.clock.stop(message.finished.duration_s)
        self._set_state(message.finished.outcome.outcome)
        self._drain_output(everything=True)
        dropped = message.finished.stdout_dropped + message.finished.stderr_dropped
        for log in self.query(OutputLog):
            log.flush_pending()
            log.show_dropped(dropped)
        self._redraw_live(force=True)
        self.query_one("#fuel", FuelPanel).show_final(message.finished, self.live.samples if self.live else (), self.request.limits)
        self.trap_view.show_pending(message.finished)
        self.action_view(TRAP_VIEW)

    def on_report_ready(self, message: ReportReady) -> None:
        if message.generation != self.generation:
            return
        report = self.report = message.report
        if not self.query("#trap-view"):
            return  # the app is closing (quit as the report came): nothing left to show it in
        hint = self.start_hint(report) if self.start_hint is not None else None
        live = self.live
        if live is not None and message.memory_size is not None:
            layout = memory_map(self.session.module, memory_size=message.memory_size)
            self.trap_view.show_report(report, memory=LiveMemory(live), memory_size=message.memory_size, memory_map=layout, hint=hint)
        else:
            if not self.session.module.memories:
                reason = "the module has no linear memory"
            elif live is None or not live.engine_alive:
                reason = "the engine has ended: its memory is gone"
            else:
                reason = "the module does not export its memory (the Python bindings cannot read it)"
            self.trap_view.show_report(report, memory=None, memory_size=None, memory_map=None, unavailable=reason, hint=hint)
        self._show_status()
        self._refresh_footer()
        if self.coredump and report.outcome in STOPPED and report.stack:
            self.action_write_coredump()

    def on_breakpoints_planned(self, message: BreakpointsPlanned) -> None:
        if message.generation != self.generation:
            return
        self._describer = message.describer
        self._mark_breakpoints()
        for chosen in message.chosen:
            self.notify(f"breakpoint {chosen}", title="wasmdbg", markup=False)
        for refused in message.refused:
            self.notify(f"breakpoint not set: {refused}", title="wasmdbg", severity="warning", markup=False)

    def on_stop_ready(self, message: StopReady) -> None:
        if message.generation != self.generation or not self.query("#trap-view"):
            return
        self.report = message.report
        live = self.live
        self.clock.pause()
        self._set_state(p.BREAKPOINT)
        self._drain_output(everything=True)
        if live is not None and message.memory_size is not None:
            layout = memory_map(self.session.module, memory_size=message.memory_size)
            stop = message.report.stop
            sp = stop.stopped.global_values[0] if stop and stop.stopped.global_values else None
            self.trap_view.show_report(
                message.report, memory=LiveMemory(live), memory_size=message.memory_size, memory_map=layout,
                stack_pointer=sp if isinstance(sp, int) and sp >= 0 else None,
            )  # fmt: skip
        else:
            self.trap_view.show_report(message.report, memory=None, memory_size=None, memory_map=None, unavailable="the module has no linear memory")
        self.action_view(TRAP_VIEW)
        self._refresh_footer()

    def on_run_failed(self, message: RunFailed) -> None:
        if message.generation != self.generation:
            return
        self._set_state(p.ERROR)
        self.trap_view.outcome.update(Text(f"could not run: {message.message}", style="bold red"))
        self.notify(message.message, title="wasmdbg", severity="error", markup=False)

    def _theme_changed(self, _: object) -> None:
        self.trap_view.redraw()

    # -- timers ---------------------------------------------------------------------------------

    def _drain_output(self, everything: bool = False) -> None:
        """Hand queued output to the logs: for about OUTPUT_BUDGET_S, or all of it (the run has ended:
        what is left is bounded by the agent's limit per stream, and costs a log at most MAX_LINES lines)."""
        output = self._output
        if not output:
            return
        logs = list(self.query(OutputLog))
        deadline = time.perf_counter() + OUTPUT_BUDGET_S
        while output:  # at least one chunk a tick, however busy the machine
            stream, data = output.popleft()
            for log in logs:
                log.feed(stream, data)
            if not everything and time.perf_counter() >= deadline:
                break
        for log in logs:  # one batch: a log escapes only the lines it keeps of all that came
            log.show_fed()

    def _redraw_live(self, force: bool = False) -> None:
        live = self.live
        if live is None:
            return
        samples = live.samples
        key = (len(samples), samples[-1].t_s if samples else 0.0)
        if not force and (key == self._plotted or self.state not in (RUNNING, PAUSED)):
            self._show_status()
            return
        self._plotted = key
        self.query_one("#chart", MemoryChart).plot_samples(samples, self.request.limits.max_memory_bytes)
        if self.finished is None:
            self.query_one("#fuel", FuelPanel).show_live(samples, self.request.limits, paused=self.state == PAUSED)
        self._show_status()

    def _elapsed(self) -> float | None:
        return self.clock.elapsed()

    def _refresh_footer(self) -> None:
        """Dim in the footer what no longer applies (not while the app is being torn down)."""
        if self.screen_stack:
            self.refresh_bindings()

    def _set_state(self, state: str) -> None:
        self.state = state
        self._refresh_footer()
        self._show_status()

    def _show_status(self) -> None:
        detail = ""
        if self.finished is not None:
            outcome = self.finished.outcome
            detail = outcome.trap_kind or (f"code {outcome.exit_code}" if outcome.outcome == p.EXITED else "")
        status = Status(self.state, self.module_name, self._elapsed(), self.request.limits, self.symbols, detail)
        for line in self.query(StatusLine):  # none while the app shuts down and a timer still fires
            line.show(status)

    def _reset_views(self) -> None:
        self.state = COMPILING
        self.finished = None
        self.report = None
        self.clock = RunClock()
        self._plotted = None
        for log in self.query(OutputLog):
            log.reset()
        self.query_one("#chart", MemoryChart).plot_samples((), self.request.limits.max_memory_bytes)
        self.query_one("#fuel", FuelPanel).show_live((), self.request.limits, paused=False)
        self.trap_view.reset()
        self.action_view(RUN_VIEW)
        self._show_status()

    # -- actions --------------------------------------------------------------------------------

    @property
    def code_session(self) -> Session:
        return self.session

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show which actions apply now: a disabled one is dimmed in the footer and the help."""
        shared = super().check_action(action, parameters)
        if shared is not True:
            return shared
        stopped = self.finished is not None or self.state == p.BREAKPOINT
        if action == "continue":
            return self.state in (PAUSED, p.BREAKPOINT) or None
        if action == "step":  # shown only at a stop that can step (they would crowd the footer otherwise)
            return self.state == p.BREAKPOINT and self.live is not None and bool(self.live.request.live_points)
        if action == "pause":
            return self.state == RUNNING or None
        if action == "interrupt":
            return self.state in (RUNNING, PAUSED, p.BREAKPOINT) or None
        if action in ("frame_up", "frame_down", "fold", "goto"):
            return (stopped and self.report is not None) or None
        if action == "write_coredump":
            report, live = self.report, self.live
            return (report is not None and report.outcome in STOPPED and bool(report.stack)
                    and live is not None and live.engine_alive) or None  # fmt: skip
        return True

    def action_pause(self) -> None:
        if self.live is not None and self.state == RUNNING:
            self.live.pause()
            self.clock.pause()
            self._set_state(PAUSED)

    def action_continue(self) -> None:
        if self.live is not None and self.state == PAUSED:
            self.live.resume()
            self.clock.resume()
            self._set_state(RUNNING)
        elif self.live is not None and self.state == p.BREAKPOINT:
            self.live.continue_()
            self.clock.resume()
            self.report = None
            self.trap_view.reset("running on from the breakpoint…")
            self._set_state(RUNNING)

    def action_step(self, mode: str) -> None:
        """Run from the stop to the next line of the user's code (`over`), into a call (`into`) or out (`out`)."""
        if self.live is not None and self.state == p.BREAKPOINT and self.live.step(mode):
            self.clock.resume()
            self.report = None
            self.trap_view.reset("stepping…")
            self._set_state(RUNNING)

    def action_breakpoint(self) -> None:
        """In the source pane, set or clear a breakpoint on the cursor's line; elsewhere, ask for a spec."""
        source = self.focused
        if isinstance(source, SourceView) and source.cursor_file is not None and source.cursor_line is not None:
            self._toggle_line(source.cursor_file, source.cursor_line)
            return
        entry = self.trap_view.shown_entry
        suggestion = ""
        if entry is not None and entry.source.file and entry.source.line:
            suggestion = line_spec(entry.source.file, entry.source.line)
        self.push_screen(BreakpointScreen(suggestion, tuple(self.breakpoints)), self._toggle_breakpoint)

    def _toggle_line(self, file: str, line: int) -> None:
        """Clear the breakpoints that stop on this line (whatever spec set them), or set `BASENAME:LINE`."""
        here = self.breakpoint_lines.stopping_at(self.breakpoints, (file, line))
        if not here:
            self._toggle_breakpoint(line_spec(file, line))
            return
        for spec in here:
            self.breakpoints.remove(spec)
        cleared = ", ".join(printable(spec) for spec in here)
        self.notify(f"breakpoint {cleared} cleared{self._apply_breakpoints()}", title="wasmdbg", markup=False)
        self._mark_breakpoints()

    def _mark_breakpoints(self) -> None:
        """Put the gutter dots of the trap view's source pane where the breakpoints stop."""
        marks = self.breakpoint_lines.marks(self.breakpoints)
        for view in self.trap_view.query(SourceView):
            view.mark(marks)

    def _toggle_breakpoint(self, spec: str | None) -> None:
        if not spec:
            return
        if spec in self.breakpoints:
            self.breakpoints.remove(spec)
            self.notify(f"breakpoint {spec} cleared{self._apply_breakpoints()}", title="wasmdbg", markup=False)
            self._mark_breakpoints()
            return
        if not self.session.symbolizer_ready:
            self.notify("the symbols are still being read: try again in a moment", title="wasmdbg", severity="warning", markup=False)
            return
        from wasmdbg.symbols.breakpoints import BreakpointError

        try:
            plan = self.session.plan_breakpoints([spec])
        except BreakpointError as error:
            self.notify(f"breakpoint not set: {error.message}", title="wasmdbg", severity="warning", markup=False)
            return
        self.breakpoints.append(spec)
        chosen = "; ".join(bp.chosen for bp in plan.breakpoints)
        self.notify(f"breakpoint {chosen}{self._apply_breakpoints()}", title="wasmdbg", markup=False)
        self._mark_breakpoints()

    def _apply_breakpoints(self) -> str:
        """Hand the breakpoints to the run going on if it can take them; says when they apply."""
        live = self.live
        if live is None or self._describer is None or self.finished is not None:
            return ": from the next run (r restarts)"
        plan = self.session.plan_breakpoints(self.breakpoints)
        # A run with breakpoints probes every line of the user's code behind a guard: those the
        # guest can stop at now. Others (a runtime's line, a raw offset) need the next run.
        if not live.set_breakpoints(plan.offsets):
            return ": from the next run (r restarts; the running code has no probe there)"
        self._describer.set_breakpoints(plan.breakpoints)
        return " (now)"

    def action_interrupt(self) -> None:
        if self.live is not None and self.state in (RUNNING, PAUSED, p.BREAKPOINT):
            if self.state == PAUSED:
                self.live.resume()  # the interrupt is taken at the guest's next epoch check
            self.live.interrupt("interrupted from the debugger")
            self.notify("interrupting the guest…", markup=False)

    def action_restart(self) -> None:
        self.workers.cancel_group(self, "run")
        old, self.live = self.live, None
        if old is not None:
            self._close_run(old)
        self.trap_view.bind(self.session)  # the module may have been rebuilt: disassemble it afresh
        self._start_run()

    def action_write_coredump(self) -> None:
        if self.check_action("write_coredump", ()) is True:
            self._save_coredump(self.coredump or f"{Path(self.session.path).stem}.coredump.wasm")

    @work(thread=True, group="coredump", exit_on_error=False)
    def _save_coredump(self, path: str) -> None:
        live, report = self.live, self.report
        if live is None or report is None:
            return
        said = save_coredump(self.session, live, report, path)
        self.call_from_thread(self.notify, said, title="wasmdbg", markup=False,
                              severity="error" if said.startswith("no ") else "information")  # fmt: skip

    @work(thread=True, group="close", exit_on_error=False)
    def _close_run(self, live: LiveRun) -> None:
        live.close()

    def action_view(self, view: str) -> None:
        self.query_one("#views", TabbedContent).active = view
        self._refresh_footer()

    def show_trap_view(self) -> None:
        self.action_view(TRAP_VIEW)

    async def action_quit(self) -> None:
        self.exit(self.exit_status, return_code=self.exit_status)

    @property
    def exit_status(self) -> int:
        """What `wasmdbg MODULE` exits with: as `wasmdbg run` would for the last run, 0 before an outcome."""
        return self.report.exit_status if self.report is not None else 0

    def on_unmount(self) -> None:
        gc.unfreeze()
        self.workers.cancel_all()
        if self.live is not None:
            self.live.close()
            self.live = None

    @on(TabbedContent.TabActivated)
    def _tab_activated(self) -> None:
        self._refresh_footer()

    # -- the command palette ---------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every action of ours (those that apply now), then Textual's own (themes, keys, quit...)."""
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.action in ("quit", "help") or self.check_action(binding.action.split("(")[0], ()) is not True:
                continue
            yield SystemCommand(binding.description, f"key: {binding.key_display or binding.key}", self._runner(binding.action))
        yield SystemCommand("Help", "the keys that work here (?)", self.action_help)
        yield from super().get_system_commands(screen)

    def _runner(self, action: str) -> Callable[[], object]:
        return lambda: self.run_action(action)


def make_app(
    session: Session,
    request: RunRequest,
    *,
    source_hint: str | None = None,
    describe: Callable[[Finding], str] = str,
    start_hint: Callable[[RunReport], str | None] | None = None,
    coredump: str | None = None,
    debug_hint: str | None = None,
    breakpoints: Iterable[str] = (),
) -> WasmdbgApp:
    """The app for `session`'s module run with `request`: what the CLI runs and the tests drive.

    Args:
        session: the module.
        request: how to run it (the app restarts it with the same request).
        source_hint: what to say when a source file is not found (the front end knows its flags).
        describe: how a note is worded (the CLI adds the flag that helps).
        start_hint: for a run that could not start, one line saying what to do (the CLI's words).
        coredump: where `w` writes a coredump of the stopped run; given, one is written at each stop.
        debug_hint: what the module screen says to do when the module has no DWARF (the CLI's flags).
        breakpoints: breakpoint specs for the first run (`--break`); `b` adds and removes them.
    """
    return WasmdbgApp(
        session, request, source_hint=source_hint, describe=describe, start_hint=start_hint, coredump=coredump,
        debug_hint=debug_hint, breakpoints=breakpoints,
    )  # fmt: skip

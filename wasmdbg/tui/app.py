"""The interactive debugger: a run watched live, then the stop made understandable at a glance.

One `WasmdbgApp` drives one `Session`. Two thread workers feed it: one builds the DWARF index
(with progress), one drains the run's events (`LiveRun.events()`). Neither touches a widget: they
post messages (`messages.py`), samples replacing queued samples, and hand guest output over in a
queue that a timer drains into bounded logs, so a guest that floods output or spins cannot stall
the UI. No agent call happens on the UI thread: memory is read by the memory view's own worker,
and the memory size by the run worker before it reports. `make_app` is the one way to build it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, TabbedContent, TabPane
from textual.worker import get_current_worker

from wasmdbg.errors import WasmdbgError
from wasmdbg.findings import Finding
from wasmdbg.inspection.memory_map import memory_map
from wasmdbg.render.symbols import location
from wasmdbg.runner import protocol as p
from wasmdbg.session.disassembly import Disassembly
from wasmdbg.session.live import LiveRun, RunRequest
from wasmdbg.session.report import RunReport
from wasmdbg.session.session import Session
from wasmdbg.tui.clock import RunClock
from wasmdbg.tui.jobs import LiveMemory, Output, SymbolsState, build_symbols, drive_run
from wasmdbg.tui.messages import (
    GuestStarted,
    ReportReady,
    RunEnded,
    RunFailed,
    RunStarted,
    SampleArrived,
    SymbolsFailed,
    SymbolsProgress,
    SymbolsReady,
)
from wasmdbg.tui.screens.goto import GotoScreen
from wasmdbg.tui.screens.help import HelpScreen, binding_rows
from wasmdbg.tui.widgets.code_views import SOURCE_CONTEXT, DisassemblyView, SourceView
from wasmdbg.tui.widgets.fuel_panel import FuelPanel
from wasmdbg.tui.widgets.memory_chart import MemoryChart
from wasmdbg.tui.widgets.memory_view import MemoryPane
from wasmdbg.tui.widgets.outcome_panel import OutcomePanel
from wasmdbg.tui.widgets.output_log import OutputLog
from wasmdbg.tui.widgets.stack_view import FrameEntry, StackView
from wasmdbg.tui.widgets.status_line import (
    COMPILING,
    PAUSED,
    RUNNING,
    Status,
    StatusLine,
)

OUTPUT_TICK_S = 0.1
"""How often guest output is moved from the run's queue into the logs."""
OUTPUT_PER_TICK = 256 << 10
"""Bytes moved per tick at most: a flood is shown at this pace while keys stay responsive."""
CHART_TICK_S = 0.25
"""How often the chart and the figures are redrawn while the guest runs."""

STACK_TOP_SHOWN = 16
"""Without a fault address the memory pane opens this many bytes below the stack's top."""

RUN_VIEW, TRAP_VIEW = "run", "trap"


class WasmdbgApp(App[int]):
    """`wasmdbg MODULE`: run, watch, stop, inspect."""

    CSS_PATH = "app.tcss"
    TITLE = "wasmdbg"
    BINDINGS = [
        Binding("c", "continue", "Continue", id="continue"),
        Binding("p", "pause", "Pause", id="pause"),
        Binding("i", "interrupt", "Interrupt", id="interrupt"),
        Binding("r", "restart", "Restart", id="restart"),
        Binding("u", "frame_up", "Caller", id="frame-up"),
        Binding("d", "frame_down", "Callee", id="frame-down"),
        Binding("f", "fold", "Fold runtime", id="fold"),
        Binding("g", "goto", "Go to address", id="goto"),
        Binding("1", "view('run')", "Run view", id="run-view"),
        Binding("2", "view('trap')", "Trap view", id="trap-view"),
        Binding("question_mark,f1", "help", "Help", id="help", key_display="?"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(
        self,
        session: Session,
        request: RunRequest,
        *,
        source_hint: str | None = None,
        describe: Callable[[Finding], str] = str,
        start_hint: Callable[[RunReport], str | None] | None = None,
    ) -> None:
        super().__init__()
        self.start_hint = start_hint
        self.session = session
        self.request = request
        self.source_hint = source_hint
        self.describe = describe
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
        self._disassembly: dict[int, Disassembly | str] = {}
        self._shown_entry: FrameEntry | None = None
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
                yield OutcomePanel(id="outcome")
                with Horizontal(id="trap-middle"):
                    yield StackView(id="stack")
                    with Vertical(id="code"):
                        yield SourceView(id="source", source_hint=self.source_hint)
                        yield DisassemblyView(id="disassembly")
                with Horizontal(id="trap-bottom"):
                    yield MemoryPane(id="memory")
                    yield OutputLog(id="output-tail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#chart", MemoryChart).border_title = "memory"
        self.query_one("#fuel", FuelPanel).border_title = "fuel and memory"
        self.query_one("#output", OutputLog).border_title = "guest output"
        self.query_one("#output-tail", OutputLog).border_title = "guest output"
        self.query_one("#stack", StackView).border_title = "stack"
        self.query_one("#memory", MemoryPane).border_title = "memory"
        self.query_one("#outcome", OutcomePanel).update(Text("running…", style="dim"))
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.set_interval(OUTPUT_TICK_S, self._drain_output)
        self.set_interval(CHART_TICK_S, self._redraw_live)
        self._build_symbols()
        self._start_run()

    # -- the symbolizer -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="symbols", exit_on_error=False)
    def _build_symbols(self) -> None:
        worker = get_current_worker()
        try:
            failure = build_symbols(self.session, worker.cancelled_event, self.post_message)
            self.symbols_state.failure = failure  # before done: the run job reads it then
        finally:
            self.symbols_state.done.set()
        self.post_message(SymbolsFailed(failure) if failure is not None else SymbolsReady())

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
        drive_run(self.session, self.request, generation, output, worker.cancelled_event, self.post_message, self.symbols_state)

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
        for log in self.query(OutputLog):
            log.flush_pending()
        self._redraw_live(force=True)
        self.query_one("#fuel", FuelPanel).show_final(message.finished, self.live.samples if self.live else (), self.request.limits)
        self.query_one("#outcome", OutcomePanel).show_pending(message.finished)
        self.action_view(TRAP_VIEW)

    def on_report_ready(self, message: ReportReady) -> None:
        if message.generation != self.generation:
            return
        report = self.report = message.report
        hint = self.start_hint(report) if self.start_hint is not None else None
        self.query_one("#outcome", OutcomePanel).show(report, self.describe, hint=hint)
        live = self.live
        memory = self.query_one("#memory", MemoryPane)
        if live is not None and message.memory_size is not None:
            layout = memory_map(self.session.module, memory_size=message.memory_size)
            fault = report.trap.fault_address if report.trap else None
            memory.view.show(LiveMemory(live), size=message.memory_size, memory_map=layout, focus_address=fault)
            if fault is None and layout.stack_pointer_initial:
                # No fault address: the top of the stack, where the innermost frames keep their data.
                memory.view.go_to(max(0, layout.stack_pointer_initial - STACK_TOP_SHOWN))
        else:
            if not self.session.module.memories:
                reason = "the module has no linear memory"
            elif live is None or not live.engine_alive:
                reason = "the engine has ended: its memory is gone"
            else:
                reason = "the module does not export its memory (the Python bindings cannot read it)"
            memory.view.show(None, size=None, memory_map=None, focus_address=None, unavailable=reason)
        stack = self.query_one("#stack", StackView)
        stack.show(report)
        self._show_frame(stack.selected_entry)  # at once, not when the highlight's message comes round
        stack.focus()
        self._show_status()

    def on_run_failed(self, message: RunFailed) -> None:
        if message.generation != self.generation:
            return
        self._set_state(p.ERROR)
        self.query_one("#outcome", OutcomePanel).update(Text(f"could not run: {message.message}", style="bold red"))
        self.notify(message.message, title="wasmdbg", severity="error", markup=False)

    # -- frames ---------------------------------------------------------------------------------

    @on(StackView.FrameSelected)
    def _frame_selected(self, message: StackView.FrameSelected) -> None:
        if message.entry != self._shown_entry and self.query("#source"):  # no panes once the app is closing
            self._show_frame(message.entry)

    def _show_frame(self, entry: FrameEntry | None) -> None:
        self._shown_entry = entry
        source_view = self.query_one("#source", SourceView)
        disassembly_view = self.query_one("#disassembly", DisassemblyView)
        if entry is None:
            report = self.report
            if report is None:
                note = "the run has not stopped yet"
            elif report.outcome in (p.EXITED, p.RETURNED):
                note = "the program ran to its end: there is no stack to show (its output is below)"
            else:
                note = "no frames: the run did not stop in wasm code"
            source_view.show_note(note)
            disassembly_view.show_note("")
            return
        frame = entry.source
        excerpt = None
        if frame.file and frame.line:
            excerpt = self.session.sources.read_excerpt(frame.file, frame.line, SOURCE_CONTEXT)
        source_view.show(location(frame), excerpt, dark=self.current_theme.dark)
        func = entry.frame.func_index
        if func is None:
            disassembly_view.show(None, None, innermost=entry.physical == 0, error="wasmtime did not say which function")
        else:
            found = self._disassembly.get(func)
            if found is None:
                try:
                    found = self.session.disassemble(func)
                except WasmdbgError as error:
                    found = error.message
                self._disassembly[func] = found
            if isinstance(found, str):
                disassembly_view.show(None, None, innermost=entry.physical == 0, error=found)
            else:
                disassembly_view.show(found, entry.frame.module_offset, innermost=entry.physical == 0)
        report = self.report
        if entry.physical == 0 and report is not None and report.trap and report.trap.fault_address is not None:
            self.query_one("#memory", MemoryPane).view.go_to(report.trap.fault_address)

    def _theme_changed(self, _: object) -> None:
        # The source's colours follow the theme: redraw the selected frame's.
        if self._shown_entry is not None:
            self._show_frame(self._shown_entry)

    # -- timers ---------------------------------------------------------------------------------

    def _drain_output(self, everything: bool = False) -> None:
        budget = OUTPUT_PER_TICK
        logs = list(self.query(OutputLog))
        while self._output and (everything or budget > 0):
            stream, data = self._output.popleft()
            budget -= len(data)
            for log in logs:
                log.feed(stream, data)

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
        self.query_one("#outcome", OutcomePanel).update(Text("running…", style="dim"))
        self.query_one("#stack", StackView).show(None)
        self.query_one("#memory", MemoryPane).view.show(None, size=None, memory_map=None, focus_address=None, unavailable="the run has not stopped")
        self._show_frame(None)
        self.action_view(RUN_VIEW)
        self._show_status()

    # -- actions --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show which actions apply now: a disabled one is dimmed in the footer and the help."""
        stopped = self.finished is not None
        if action == "continue":
            return self.state == PAUSED or None
        if action == "pause":
            return self.state == RUNNING or None
        if action == "interrupt":
            return self.state in (RUNNING, PAUSED) or None
        if action in ("frame_up", "frame_down", "fold", "goto"):
            return (stopped and self.report is not None) or None
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

    def action_interrupt(self) -> None:
        if self.live is not None and self.state in (RUNNING, PAUSED):
            if self.state == PAUSED:
                self.live.resume()  # the interrupt is taken at the guest's next epoch check
            self.live.interrupt("interrupted from the debugger")
            self.notify("interrupting the guest…", markup=False)

    def action_restart(self) -> None:
        self.workers.cancel_group(self, "run")
        old, self.live = self.live, None
        if old is not None:
            self._close_run(old)
        self._disassembly.clear()
        self._start_run()

    @work(thread=True, group="close", exit_on_error=False)
    def _close_run(self, live: LiveRun) -> None:
        live.close()

    def action_frame_up(self) -> None:
        self.query_one("#stack", StackView).action_cursor_down()

    def action_frame_down(self) -> None:
        self.query_one("#stack", StackView).action_cursor_up()

    def action_fold(self) -> None:
        self.query_one("#stack", StackView).toggle_fold()

    def action_view(self, view: str) -> None:
        self.query_one("#views", TabbedContent).active = view
        self._refresh_footer()

    def action_goto(self) -> None:
        def go(address: int | None) -> None:
            if address is not None:
                view = self.query_one("#memory", MemoryPane).view
                view.go_to(address)
                view.focus()

        self.action_view(TRAP_VIEW)
        self.push_screen(GotoScreen(), go)

    def action_help(self) -> None:
        active = self.screen.active_bindings.values()
        # The debugger's own keys first, then those of the focused pane and Textual's.
        ours = [b.action for b in self.BINDINGS if isinstance(b, Binding)]
        ordered = sorted(active, key=lambda b: ours.index(b.binding.action) if b.binding.action in ours else len(ours))
        bindings = [(self.get_key_display(b.binding), b.binding, b.enabled) for b in ordered]
        self.push_screen(HelpScreen(binding_rows(bindings)))

    async def action_quit(self) -> None:
        self.exit(self.exit_status, return_code=self.exit_status)

    @property
    def exit_status(self) -> int:
        """What `wasmdbg MODULE` exits with: as `wasmdbg run` would for the last run, 0 before an outcome."""
        return self.report.exit_status if self.report is not None else 0

    def on_unmount(self) -> None:
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
) -> WasmdbgApp:
    """The app for `session`'s module run with `request`: what the CLI runs and the tests drive.

    Args:
        session: the module.
        request: how to run it (the app restarts it with the same request).
        source_hint: what to say when a source file is not found (the front end knows its flags).
        describe: how a note is worded (the CLI adds the flag that helps).
        start_hint: for a run that could not start, one line saying what to do (the CLI's words).
    """
    return WasmdbgApp(session, request, source_hint=source_hint, describe=describe, start_hint=start_hint)

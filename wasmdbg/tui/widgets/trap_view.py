"""The trap view: how a run ended, its stack, the selected frame's source and instructions, memory, and a side pane.

One widget for the live app's second tab and for post-mortem (`wasmdbg open`): it shows a
`RunReport` whatever made it (a run that just stopped, a saved report, a coredump), reads code
through a `CodeSource` (absent when the module was not found) and memory through a
`MemorySource` (a stopped run's agent, a coredump's memory, or nothing).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget

from wasmdbg.findings import Finding
from wasmdbg.inspection.memory_map import MemoryMap
from wasmdbg.runner import protocol as p
from wasmdbg.session.report import RunReport
from wasmdbg.tui.widgets.frame_panes import CodeSource, FramePanes
from wasmdbg.tui.widgets.memory_reader import MemorySource
from wasmdbg.tui.widgets.memory_view import MemoryPane
from wasmdbg.tui.widgets.outcome_panel import OutcomePanel
from wasmdbg.tui.widgets.stack_view import FrameEntry, StackView
from wasmdbg.tui.widgets.variables_pane import VariablesPane

STACK_TOP_SHOWN = 16
"""Without a fault address the memory pane opens this many bytes below the stack's top."""


class TrapView(Vertical):
    """Outcome on top; stack | source over disassembly; memory | `side` (guest output, or a coredump's globals)."""

    def __init__(
        self,
        side: Widget,
        *,
        source_hint: str | None = None,
        describe: Callable[[Finding], str] = str,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.side = side
        self.source_hint = source_hint
        self.describe = describe
        self.report: RunReport | None = None
        self.shown_entry: FrameEntry | None = None

    def compose(self) -> ComposeResult:
        yield OutcomePanel(id="outcome")
        with Horizontal(id="trap-middle"):
            yield StackView(id="stack")
            yield FramePanes(id="code", source_hint=self.source_hint)
        with Horizontal(id="trap-bottom"):
            yield MemoryPane(id="memory")
            yield VariablesPane(id="variables")
            yield self.side

    def on_mount(self) -> None:
        self.query_one("#stack", StackView).border_title = "stack"
        self.query_one("#memory", MemoryPane).border_title = "memory"
        self.variables.show(None, None)

    @property
    def stack(self) -> StackView:
        return self.query_one("#stack", StackView)

    @property
    def memory(self) -> MemoryPane:
        return self.query_one("#memory", MemoryPane)

    @property
    def variables(self) -> VariablesPane:
        return self.query_one("#variables", VariablesPane)

    @property
    def outcome(self) -> OutcomePanel:
        return self.query_one("#outcome", OutcomePanel)

    def bind(self, code: CodeSource | None, *, no_code: str | None = None) -> None:
        """Read sources and instructions from `code` (None: the module is missing, say `no_code`)."""
        self.query_one(FramePanes).bind(code, no_code=no_code)

    def reset(self, note: str = "running…") -> None:
        """Nothing to show yet."""
        self.report = None
        self.outcome.update(Text(note, style="dim"))
        self.stack.show(None)
        self.memory.view.show(None, size=None, memory_map=None, focus_address=None, unavailable="the run has not stopped")
        self.variables.show(None, None)
        self.show_frame(None)

    def show_pending(self, finished: p.Finished) -> None:
        """The outcome is known; the symbolized report is on its way."""
        self.outcome.show_pending(finished)

    def show_report(
        self,
        report: RunReport,
        *,
        memory: MemorySource | None,
        memory_size: int | None,
        memory_map: MemoryMap | None,
        unavailable: str | None = None,
        hint: str | None = None,
        stack_pointer: int | None = None,
    ) -> None:
        """Show `report`, its memory (from `memory`, or say `unavailable`), and select the user's frame.

        Args:
            memory_map: the regions to tint, and the stack's top to open at when there is no fault address.
            hint: for a run that could not start, what to do.
            stack_pointer: the stack pointer at the stop, when known: without a fault address the
                pane opens there (the innermost frame's data), else at the stack's top.
        """
        self.report = report
        self.outcome.show(report, self.describe, hint=hint)
        view = self.memory.view
        if memory is not None:
            fault = report.trap.fault_address if report.trap else None
            view.show(memory, size=memory_size, memory_map=memory_map, focus_address=fault)
            if fault is None and stack_pointer is not None:
                view.go_to(stack_pointer)
            elif fault is None and memory_map is not None and memory_map.stack_pointer_initial:
                # No fault address: the top of the stack, where the innermost frames keep their data.
                view.go_to(max(0, memory_map.stack_pointer_initial - STACK_TOP_SHOWN))
        else:
            view.show(None, size=None, memory_map=None, focus_address=None, unavailable=unavailable)
        stack = self.stack
        stack.show(report)
        self.show_frame(stack.selected_entry)  # at once, not when the highlight's message comes round
        focused = self.app.focused
        if focused is None or self not in focused.ancestors:
            stack.focus()  # else the user is working in this view (a breakpoint's stops): stay there

    @on(StackView.FrameSelected)
    def _frame_selected(self, message: StackView.FrameSelected) -> None:
        message.stop()
        if message.entry != self.shown_entry:
            self.show_frame(message.entry)

    def redraw(self) -> None:
        """Draw the selected frame again (the theme changed: the source's colours follow it)."""
        if self.shown_entry is not None:
            self.show_frame(self.shown_entry)

    def show_frame(self, entry: FrameEntry | None) -> None:
        """Show `entry`'s source, instructions and (for the innermost frame) the fault address."""
        self.shown_entry = entry
        panes = self.query_one(FramePanes)
        report = self.report
        stop = report.stop if report is not None else None
        self.variables.show(stop, entry.physical if entry is not None else None)
        if entry is None:
            if report is None:
                note = "the run has not stopped yet"
            elif report.outcome in (p.EXITED, p.RETURNED):
                note = "the program ran to its end: there is no stack to show (its output is below)"
            else:
                note = "no frames: the run did not stop in wasm code"
            panes.show_note(note)
            return
        label = "◀ faulting"
        if stop is not None:
            label = "◀ breakpoint: runs next"
        elif report is not None and report.outcome in (p.INTERRUPTED, p.TIMEOUT):
            label = "◀ stopped here"
        panes.show(entry.source, entry.frame.func_index, entry.frame.module_offset, innermost=entry.physical == 0, innermost_label=label)
        if entry.physical == 0 and report is not None and report.trap and report.trap.fault_address is not None:
            self.memory.view.go_to(report.trap.fault_address)

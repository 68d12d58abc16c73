"""The stack of a stopped run: one entry per source frame, inlined frames marked, runtime frames dimmed and folded."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from wasmdbg.facts import WASMTIME_FRAME_LIMIT
from wasmdbg.render.symbols import location
from wasmdbg.session.report import RunReport
from wasmdbg.symbols.frames import SourceFrame
from wasmdbg.symbols.runtime import is_runtime_frame
from wasmdbg.symbols.stack import StackFrame
from wasmdbg.text import printable


@dataclass(frozen=True, slots=True)
class FrameEntry:
    """One source frame of the report, as the stack lists it."""

    index: int
    """Its position in `RunReport.frames` (innermost first)."""
    physical: int
    """Index of its physical frame in `RunReport.stack`."""
    frame: StackFrame
    source: SourceFrame
    runtime: bool
    user: bool


def frame_entries(report: RunReport) -> tuple[FrameEntry, ...]:
    """Every source frame of the report, innermost first, judged runtime or user code."""
    user = report.user_source_frame
    return tuple(
        FrameEntry(n, i, frame, source, is_runtime_frame(source), source is user)
        for n, (i, frame, source) in enumerate(report.frames)
    )


LOCATION_CHARS = 36
"""A longer `file:line:column` is shown by its tail in the stack (the source pane's title has it whole)."""


def _elided(where: str) -> str:
    return where if len(where) <= LOCATION_CHARS else "…" + where[-(LOCATION_CHARS - 1) :]


class StackView(OptionList):
    """Frames of the stopped run; moving the highlight selects a frame (source, disassembly and memory follow)."""

    @dataclass
    class FrameSelected(Message):
        """A frame was highlighted."""

        entry: FrameEntry

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.entries: tuple[FrameEntry, ...] = ()
        self.folded = True
        """Whether runs of runtime frames (libc, libc++, Rust std) are folded into one line."""
        self.truncated = False

    def show(self, report: RunReport | None) -> None:
        """List the report's frames and highlight the user's (or the innermost)."""
        self.entries = frame_entries(report) if report is not None else ()
        self.truncated = report.frames_truncated if report is not None else False
        target = next((e.index for e in self.entries if e.user), 0)
        self._rebuild(target)

    def toggle_fold(self) -> None:
        """Fold or unfold the runtime frames, keeping the highlighted frame."""
        current = self.selected_entry
        self.folded = not self.folded
        self._rebuild(current.index if current else 0)

    @property
    def selected_entry(self) -> FrameEntry | None:
        """The highlighted frame, if a frame (not a fold line) is highlighted."""
        if self.highlighted is None:
            return None
        option_id = self.get_option_at_index(self.highlighted).id or ""
        if option_id.startswith("frame-"):
            return self.entries[int(option_id.removeprefix("frame-"))]
        return None

    def _rebuild(self, target: int) -> None:
        self.clear_options()
        options: list[Option] = []
        position = {}
        run: list[FrameEntry] = []

        def close_run() -> None:
            if not run:
                return
            if self.folded and len(run) > 1:
                label = Text(f"  ⋯ {len(run)} runtime frames", style="dim italic")
                label.append("  (f: unfold)", style="dim")
                options.append(Option(label, id=f"fold-{run[0].index}"))
                for entry in run:
                    position[entry.index] = len(options) - 1
            else:
                for entry in run:
                    position[entry.index] = len(options)
                    options.append(Option(self._prompt(entry), id=f"frame-{entry.index}"))
            run.clear()

        for entry in self.entries:
            # The innermost frame stays visible: it is where the run stopped.
            if entry.runtime and entry.index != 0 and entry.index != target:
                run.append(entry)
                continue
            close_run()
            position[entry.index] = len(options)
            options.append(Option(self._prompt(entry), id=f"frame-{entry.index}"))
        close_run()
        if self.truncated:
            note = Text(f"  … wasmtime keeps at most {WASMTIME_FRAME_LIMIT} frames: older ones are missing", style="yellow")
            options.append(Option(note, id="truncated", disabled=True))
        if not self.entries:
            options.append(Option(Text("  no frames", style="dim"), disabled=True))
        self.add_options(options)
        if self.entries:
            self.highlighted = position.get(target, 0)

    @staticmethod
    def _prompt(entry: FrameEntry) -> Text:
        source = entry.source
        name_style = "dim" if entry.runtime else "bold"
        text = Text(f"#{entry.index:<2} ", style="dim")
        text.append(printable(source.function or "<unnamed>"), style=name_style)
        if source.inlined:
            text.append("  inlined", style="magenta")
        if entry.user:
            text.append("  ← your code", style="bold green")
        where = location(source)
        detail = _elided(printable(where)) if where else "no line information"
        if entry.frame.module_offset is not None:
            detail += f"  @ {entry.frame.module_offset:#x}"
        text.append("\n     " + detail, style="dim")
        return text

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        option_id = event.option.id or ""
        if option_id.startswith("frame-"):
            self.post_message(self.FrameSelected(self.entries[int(option_id.removeprefix("frame-"))]))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if (event.option.id or "").startswith("fold-"):
            self.toggle_fold()

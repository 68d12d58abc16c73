"""The symbolize screen's list of recognised wasm frames: as printed, as symbolized, and what does not fit.

`frame_listing` turns a `PastedText` into everything the list and the summary show. It builds only
Rich `Text` (every untrusted string through `printable`) and touches no widget, so the screen runs
it in its worker, off the UI thread, however many frames a paste holds. The symbolized lines and
the warnings are the log filter's own words (`render.pasted.annotation_lines`), styled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from wasmdbg.backtrace.model import CODE, FUNCTION, MODULE, RawFrame
from wasmdbg.findings import Finding
from wasmdbg.render.pasted import annotation_lines
from wasmdbg.session.annotation import PastedText
from wasmdbg.session.pasted import PastedFrame
from wasmdbg.symbols.frames import SourceFrame
from wasmdbg.symbols.runtime import is_runtime_frame
from wasmdbg.text import describe_bytes, printable

MAX_LISTED = 300
"""Frames listed at most: a log of thousands of traces is summarised, its first frames listed."""
MARKER_CELLS = 4
"""The column of `↳` and `!` under a frame's heading."""
EMPTY_HINT = "no wasm frame recognised yet: paste a backtrace from any runtime"

FrameKey = tuple[str, int | None, str | None, int | None, int | None]
"""What identifies a frame across two symbolizations of an edited paste (its line may move)."""


@dataclass(frozen=True, slots=True)
class ListedFrame:
    """One frame of the list."""

    frame: PastedFrame
    innermost: bool
    """Whether it is its trace's first frame: its instruction is the faulting one, the others call."""
    line_no: int
    """Its line in the paste (1-based)."""

    @property
    def key(self) -> FrameKey:
        raw = self.frame.raw
        return (raw.runtime, raw.index, raw.func_name, self.frame.module_offset, raw.offset)


@dataclass(frozen=True, slots=True)
class FrameListing:
    """A paste's frames as the list shows them, and the summary line."""

    frames: tuple[ListedFrame, ...]
    options: tuple[Option, ...]
    """One disabled heading per trace, then an option `frame-N` per listed frame (N indexes `frames`)."""
    summary: Text
    preferred: int | None
    """The frame to highlight first: the innermost one in the user's code (not libc, not std)."""


def frame_listing(
    pasted: PastedText, describe: Callable[[Finding], str] = str, *, cut: tuple[int, int] | None = None
) -> FrameListing:
    """The list and summary for a symbolized paste.

    Args:
        pasted: the paste, symbolized.
        describe: how a warning reads (a front end adds its hints).
        cut: (symbolized, pasted) characters when only the head of the paste was symbolized.
    """
    # Each frame once: a runtime's inline continuation lines share a frame's address (annotate()).
    shown = [frame for line in pasted.lines for frame in line.frames]
    listed: list[ListedFrame] = []
    options: list[Option] = []
    traces: list[int] = []
    for frame in shown[:MAX_LISTED]:
        first = frame.trace.first_line
        innermost = not traces or traces[-1] != first
        if innermost:
            traces.append(first)
            options.append(Option(_trace_heading(frame), id=f"trace-{len(traces)}", disabled=True))
        options.append(Option(frame_prompt(frame, describe), id=f"frame-{len(listed)}"))
        listed.append(ListedFrame(frame, innermost, frame.raw.line_no))
    preferred = next((n for n, entry in enumerate(listed) if _users(entry.frame)), 0 if listed else None)
    summary = _summary(pasted, shown, describe, cut=cut)
    return FrameListing(tuple(listed), tuple(options), summary, preferred)


def _users(frame: PastedFrame) -> bool:
    return bool(frame.frames) and not is_runtime_frame(frame.frames[0])


def _trace_heading(frame: PastedFrame) -> Text:
    trace = frame.trace
    text = Text(f"{trace.runtime} trace, lines {trace.first_line}–{trace.last_line}", style="bold")
    if trace.trap_reason:
        text.append(": ")
        text.append(printable(trace.trap_reason), style="bold red")
    return text


def printed_offset(raw: RawFrame, module_offset: int | None) -> str:
    """The frame's offset as the runtime printed it, and the module offset it stands for when that differs."""
    if raw.offset is None:
        return "no offset printed"
    shown = {MODULE: f"{raw.offset:#x}", FUNCTION: f"func+{raw.offset:#x}", CODE: f"code+{raw.offset:#x}"}
    text = shown.get(raw.offset_kind, f"{raw.offset:#x}")
    if module_offset is not None and (raw.offset_kind != MODULE or module_offset != raw.offset):
        text += f" = {module_offset:#x}"
    return text


def frame_prompt(frame: PastedFrame, describe: Callable[[Finding], str] = str) -> Group:
    """A frame's entry: runtime, index, the printed name and offset; under it its source frames and warnings.

    The lines under it are the log filter's (`↳ name at file:line:col`, `! warning`), each marker in
    a column of its own so that a long path or warning wraps under its text, not under the marker.
    """
    raw = frame.raw
    heading = Text(f"{raw.runtime} ", style="dim")
    heading.append(f"#{raw.index}" if raw.index is not None else "#?", style="bold")
    heading.append("  ")
    if raw.func_name:
        heading.append(printable(raw.func_name))
    elif frame.func_index is not None:
        heading.append(f"function {frame.func_index}", style="italic")
    else:
        heading.append("<unnamed>", style="italic")
    heading.append(f"  {printed_offset(raw, frame.module_offset)}", style="dim")
    below = Table.grid()
    below.add_column(width=MARKER_CELLS, no_wrap=True)
    below.add_column(overflow="fold")  # a long path folds rather than losing its line number
    sources = len(frame.frames) if frame.frames else (1 if frame.fits else 0)
    for n, line in enumerate(annotation_lines(frame, "    ", describe)):
        marker, _, rest = line.strip(" ").partition(" ")  # "↳ quotient at …" / "! a warning"
        if n >= sources:
            below.add_row(Text(f"  {marker}", style="yellow"), Text(rest, style="yellow"))
        elif frame.frames:
            below.add_row(Text(f"  {marker}", style="dim"), _source_line(rest, frame.frames[n]))
        else:  # recognised, not symbolized: what was recognised
            below.add_row(Text(f"  {marker}", style="dim"), Text(rest, style="dim"))
    return Group(heading, below)


def _source_line(line: str, source: SourceFrame) -> Text:
    """`name at file:line:col (inlined)` with the name bold and the inlined mark coloured."""
    text = Text(line, style="dim")
    name = printable(source.function or "<unnamed>")
    if line.startswith(name):
        text.stylize("not dim bold", 0, len(name))
    at = line.rfind("(inlined)")
    if source.inlined and at >= len(name):
        text.stylize("not dim magenta", at, at + len("(inlined)"))
    return text


def _summary(
    pasted: PastedText, shown: list[PastedFrame], describe: Callable[[Finding], str], *, cut: tuple[int, int] | None
) -> Text:
    if not shown:
        text = Text(EMPTY_HINT, style="dim")
    else:
        traces = len({frame.trace.first_line for frame in shown})
        runtimes = sorted({frame.raw.runtime for frame in shown})
        text = Text(f"{_count(len(shown), 'frame')} in {_count(traces, 'trace')} ({', '.join(runtimes)})")
        misfits = sum(1 for frame in shown if not frame.fits)
        if misfits:
            text.append(f" · {misfits} do not fit this module", style="bold yellow")
        if len(shown) > MAX_LISTED:
            text.append(f" · the first {MAX_LISTED} are listed", style="dim")
    if cut is not None:
        kept, pasted_chars = cut
        text.append(
            f" · only the first {describe_bytes(kept)} of the {describe_bytes(pasted_chars)} pasted are symbolized",
            style="yellow",
        )
    for note in pasted.notes:
        text.append(" · ")
        text.append(printable(describe(note)), style="yellow")
    return text


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


class PastedFrameList(OptionList):
    """The recognised frames; moving the highlight selects one (the source and disassembly follow)."""

    @dataclass
    class FrameSelected(Message):
        """A frame was highlighted."""

        entry: ListedFrame

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.listing: FrameListing | None = None

    def show(self, listing: FrameListing) -> None:
        """List `listing`'s frames, keeping the highlighted frame when it is still there."""
        kept = self.selected_entry
        self.listing = listing
        self.clear_options()
        if not listing.options:
            self.add_option(Option(Text("  no frames", style="dim"), disabled=True))
            return
        self.add_options(listing.options)
        target = listing.preferred
        if kept is not None:
            same = [n for n, entry in enumerate(listing.frames) if entry.key == kept.key]
            if same:  # the nearest one: the paste may hold the trace twice
                target = min(same, key=lambda n: abs(listing.frames[n].line_no - kept.line_no))
        if target is not None:
            self.highlighted = self.get_option_index(f"frame-{target}")

    @property
    def selected_entry(self) -> ListedFrame | None:
        """The highlighted frame, if any."""
        if self.highlighted is None or self.listing is None:
            return None
        option_id = self.get_option_at_index(self.highlighted).id or ""
        if option_id.startswith("frame-"):
            return self.listing.frames[int(option_id.removeprefix("frame-"))]
        return None

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        entry = self.selected_entry
        if entry is not None:
            self.post_message(self.FrameSelected(entry))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()

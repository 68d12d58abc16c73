"""The symbolize screen: paste any runtime's backtrace, see its wasm frames symbolized as you paste.

A paste box and the list of recognised frames sit beside the selected frame's source over its
instructions (the trap view's `FramePanes`). Work stays off the UI thread: the DWARF index is built
by one worker (with progress), and each edit, once the typing pauses, is symbolized by an
exclusive worker that also builds the list's text, so a newer edit cancels an older run and a
huge paste costs the UI thread nothing but one list update. Only the first `MAX_SYMBOLIZED_CHARS`
of a paste are kept and symbolized; the summary says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static, TextArea
from textual.worker import Worker, WorkerState, get_current_worker

from wasmdbg.errors import WasmdbgError
from wasmdbg.findings import Finding
from wasmdbg.session.annotation import PastedText
from wasmdbg.session.pasted import MISFITS
from wasmdbg.session.session import Session
from wasmdbg.text import printable
from wasmdbg.tui.jobs import SymbolsState, build_symbols_into
from wasmdbg.tui.messages import SymbolsFailed, SymbolsProgress, SymbolsReady
from wasmdbg.tui.widgets.frame_panes import FramePanes
from wasmdbg.tui.widgets.paste_area import PasteArea, as_pasted, head
from wasmdbg.tui.widgets.footer import Footer
from wasmdbg.tui.widgets.pasted_frames import (
    FrameListing,
    ListedFrame,
    PastedFrameList,
    frame_listing,
)

DEBOUNCE_S = 0.3
"""Symbolize once the paste has not changed for this long (a burst of keys is one symbolization)."""
MAX_SYMBOLIZED_CHARS = 2 << 20
"""Only this much of a paste is symbolized (about 2 s of work): a 20 MB log must not run for a minute."""
NO_FRAME = "select a frame: its source and its function's instructions show here"


class SymbolizeScreen(Screen[None]):
    """Paste | frames, beside source over disassembly; a summary on top, the keys below."""

    DEFAULT_CSS = """
    SymbolizeScreen {
        #symbolize-summary { height: auto; max-height: 3; padding: 0 1; background: $panel; }
        #symbolize-main { height: 1fr; }
        #symbolize-left { width: 2fr; min-width: 50; }
        #paste { height: 2fr; border: round $primary; }
        #pasted-frames { height: 3fr; border: round $primary; padding: 0; scrollbar-gutter: stable; }
        #pasted-frames > .option-list--option-disabled { color: $text; }
        #code { width: 3fr; }
        #source { height: 3fr; border: round $primary; }
        #disassembly { height: 2fr; border: round $primary; }
        #paste:focus, #pasted-frames:focus, #source:focus-within, #disassembly:focus-within {
            border: round $accent;
        }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="symbolize-close"),
        Binding("ctrl+l", "clear", "Clear paste", id="symbolize-clear"),
        Binding("tab", "app.focus_next", "Next pane", id="symbolize-focus-next"),
        Binding("shift+tab", "app.focus_previous", "Previous pane", show=False),
    ]

    @dataclass
    class Symbolized(Message):
        """A paste was symbolized and its list built (in the worker)."""

        listing: FrameListing
        generation: int

    @dataclass
    class SymbolizeFailed(Message):
        """A paste could not be symbolized."""

        message: str
        generation: int

    def __init__(
        self,
        session: Session,
        *,
        text: str = "",
        source_hint: str | None = None,
        describe: Callable[[Finding], str] = str,
    ) -> None:
        super().__init__()
        self.session = session
        self.source_hint = source_hint
        self.describe = describe
        self._initial_text = text
        self.listing: FrameListing | None = None
        """The frames of the last symbolized paste (None before the first)."""
        self.shown: ListedFrame | None = None
        """The frame the panes show."""
        self._symbols = SymbolsState()
        self._symbols_note: Text | None = Text("indexing DWARF …", style="dim")
        self._trouble: Text | None = None
        self._generation = 0
        self._symbolizing = False
        self._debounce: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="symbolize-summary")
        with Horizontal(id="symbolize-main"):
            with Vertical(id="symbolize-left"):
                yield PasteArea(
                    self._initial_text,
                    id="paste",
                    max_chars=MAX_SYMBOLIZED_CHARS,
                    placeholder="paste a backtrace or a log here",
                )
                yield PastedFrameList(id="pasted-frames")
            yield FramePanes(id="code", source_hint=self.source_hint)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#paste", PasteArea).border_title = "paste"
        self.query_one("#pasted-frames", PastedFrameList).border_title = "wasm frames"
        panes = self.query_one(FramePanes)
        panes.bind(self.session)
        panes.show_note(NO_FRAME)
        self.app.theme_changed_signal.subscribe(self, lambda _: self._show_frame(self.shown))
        if self.session.symbolizer_ready:
            self._symbols.done.set()
            self._symbols_note = None
        else:
            self._build_symbols()
        self._start_symbolizing()

    @property
    def busy(self) -> bool:
        """Whether an edit is waiting to be symbolized or being symbolized (tests wait on it)."""
        return self._debounce is not None or self._symbolizing

    # -- the symbolizer -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="symbolize-symbols")
    def _build_symbols(self) -> None:
        build_symbols_into(self.session, self._symbols, get_current_worker().cancelled_event, self.post_message)

    # These are the app's messages too: stopped here, so an app below this screen does not act on them.
    def on_symbols_progress(self, message: SymbolsProgress) -> None:
        message.stop()
        step = message.progress
        units = f" {step.units_done}/{step.units_total} units" if step.units_total else ""
        self._symbols_note = Text(f"indexing DWARF{units} ({step.phase}) …", style="dim")
        self._show_summary()

    def on_symbols_ready(self, message: SymbolsReady) -> None:
        message.stop()
        self._symbols_note = None
        self._show_summary()

    def on_symbols_failed(self, message: SymbolsFailed) -> None:
        message.stop()
        self._symbols_note = None
        self._trouble = Text(f"cannot symbolize: {printable(message.message)}", style="bold red")
        self._show_summary()

    # -- symbolizing as you paste ----------------------------------------------------------------

    @on(TextArea.Changed, "#paste")
    def _paste_changed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_S, self._start_symbolizing)

    def _start_symbolizing(self) -> None:
        self._debounce = None
        self._generation += 1
        paste = self.query_one("#paste", PasteArea)
        text = paste.text
        if not text.strip():  # nothing to wait for the index for
            self.workers.cancel_group(self, "symbolize")
            self._symbolizing = False
            if self._symbols.failure is None:
                self._trouble = None  # an earlier paste's failure; an unusable debug file stays said
            self._show_listing(frame_listing(PastedText((), ()), self.describe))
            return
        self._symbolizing = True
        self._show_summary()
        self._symbolize(text, paste.cut, self._generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="symbolize")
    def _symbolize(self, text: str, paste_cut: tuple[int, int] | None, generation: int) -> None:
        worker = get_current_worker()
        while not self._symbols.done.wait(0.05):  # the index is being built by its own worker
            if worker.is_cancelled:
                return
        if self._symbols.failure is not None:
            self.post_message(self.SymbolizeFailed(self._symbols.failure, generation))
            return
        kept = head(text, MAX_SYMBOLIZED_CHARS)  # several pastes together may pass the bound
        total = max(len(text), paste_cut[1]) if paste_cut is not None else len(text)
        try:
            pasted = self.session.symbolize_text(as_pasted(kept))
        except WasmdbgError as error:
            self.post_message(self.SymbolizeFailed(error.message, generation))
            return
        cut = (len(kept), total) if total > len(kept) else None
        listing = frame_listing(pasted, self.describe, cut=cut)
        if not worker.is_cancelled:
            self.post_message(self.Symbolized(listing, generation))

    def on_symbolize_screen_symbolized(self, message: SymbolizeScreen.Symbolized) -> None:
        if message.generation == self._generation:
            self._symbolizing = False
            self._trouble = None
            self._show_listing(message.listing)

    def on_symbolize_screen_symbolize_failed(self, message: SymbolizeScreen.SymbolizeFailed) -> None:
        if message.generation == self._generation:
            self._symbolizing = False
            self._trouble = Text(f"cannot symbolize: {printable(message.message)}", style="bold red")
            self._show_summary()

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        # A bug in the core must not leave the summary saying "symbolizing" for ever.
        if event.state == WorkerState.ERROR and event.worker.group == "symbolize":
            self._symbolizing = False
            self._trouble = Text(f"symbolizing failed: {printable(str(event.worker.error))}", style="bold red")
            self._show_summary()

    def _show_listing(self, listing: FrameListing) -> None:
        self.listing = listing
        frames = self.query_one("#pasted-frames", PastedFrameList)
        frames.show(listing)
        self._show_frame(frames.selected_entry)  # at once, not when the highlight's message comes round
        self._show_summary()

    def _show_summary(self) -> None:
        text = Text(printable(Path(self.session.path).name), style="bold")
        text.append("  ")
        if self._trouble is not None:
            text.append_text(self._trouble)
        elif self._symbols_note is not None and not self._symbols.done.is_set():
            text.append_text(self._symbols_note)
        elif self._symbolizing:
            text.append("symbolizing …", style="dim")
        elif self.listing is not None:
            text.append_text(self.listing.summary)
        self.query_one("#symbolize-summary", Static).update(text)

    # -- the selected frame ---------------------------------------------------------------------

    @on(PastedFrameList.FrameSelected)
    def _frame_selected(self, message: PastedFrameList.FrameSelected) -> None:
        message.stop()
        if message.entry != self.shown:
            self._show_frame(message.entry)

    def _show_frame(self, entry: ListedFrame | None) -> None:
        """The frame's innermost source line and its instruction, as the trap view shows a frame."""
        self.shown = entry
        panes = self.query_one(FramePanes)
        if entry is None:
            panes.show_note(NO_FRAME)
            return
        frame = entry.frame
        if not frame.frames:
            misfit = next((w for w in frame.warnings if w.kind in MISFITS), None)
            reason = self.describe(misfit) if misfit is not None else "nothing is known of this frame's code"
            panes.show_note(f"not symbolized: {printable(reason)}")
            return
        panes.show(frame.frames[0], frame.func_index, frame.module_offset, innermost=entry.innermost)

    # -- actions ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape closes the screen only when it was pushed over another one (the app's own screen)."""
        if action == "close":
            return len(self.app.screen_stack) > 1 and self.app.screen is self
        return True

    def action_close(self) -> None:
        self.dismiss(None)

    def action_clear(self) -> None:
        paste = self.query_one("#paste", PasteArea)
        paste.clear()
        paste.focus()

    def on_unmount(self) -> None:
        self.workers.cancel_node(self)

"""`b` away from the source pane: set or clear a breakpoint (FILE:LINE, FUNCTION or 0xOFFSET), offered at the line shown."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from wasmdbg.text import printable
from wasmdbg.tui.widgets.paste_area import SafeInput


class BreakpointScreen(ModalScreen[str | None]):
    """Ask for a breakpoint spec (prefilled); dismiss with it (to toggle), or None on escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, suggestion: str, current: tuple[str, ...]) -> None:
        super().__init__()
        self.suggestion = suggestion
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="breakpoint-box"):
            yield Label("Set or clear a breakpoint at FILE:LINE, FUNCTION or 0xOFFSET", markup=False)
            yield Label(
                "Enter sets it, or clears it if it is set; Escape cancels. In the source pane, b toggles the "
                "line under the cursor (↑/↓ move it).",
                id="breakpoint-help", markup=False,
            )  # fmt: skip
            yield SafeInput(value=self.suggestion, placeholder="file.c:12", id="breakpoint-input")
            shown = ", ".join(printable(spec) for spec in self.current) or "none"
            yield Label(f"breakpoints now: {shown}", id="breakpoint-list", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        self.dismiss(value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)

"""`g`: go to an address in linear memory (hex with 0x, or decimal)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from wasmdbg.tui.widgets.paste_area import SafeInput


def parse_address(text: str) -> int | None:
    """`0x1f00`, `1f00h`, `7936` → the address; None if it is not one."""
    text = text.strip().replace("_", "")
    try:
        if text.lower().startswith("0x"):
            value = int(text, 16)
        elif text.lower().endswith("h"):
            value = int(text[:-1], 16)
        else:
            value = int(text, 10)
    except ValueError:
        return None
    return value if value >= 0 else None


class GotoScreen(ModalScreen[int | None]):
    """Ask for an address; dismiss with it, or None on escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="goto-box"):
            yield Label("Go to address in linear memory (0x1f00 or 7936):")
            yield SafeInput(placeholder="0x…", id="goto-input")
            yield Label("", id="goto-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        address = parse_address(event.value)
        if address is None:
            self.query_one("#goto-error", Label).update("not an address: give hex (0x…) or decimal")
            return
        self.dismiss(address)

    def action_cancel(self) -> None:
        self.dismiss(None)

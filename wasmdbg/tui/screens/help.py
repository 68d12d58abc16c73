"""`?`: the keys that work where you are, generated from the active bindings (nothing to keep in sync)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


def binding_rows(bindings: Iterable[tuple[str, Binding, bool]]) -> list[tuple[str, str, bool]]:
    """(keys, description, enabled now) for each action with a description, keys of one action joined."""
    by_action: dict[str, tuple[list[str], str, bool]] = {}
    for key_display, binding, enabled in bindings:
        if not binding.description:
            continue
        keys, _, _ = by_action.setdefault(binding.action, ([], binding.description, enabled))
        if key_display not in keys:
            keys.append(key_display)
    return [(" / ".join(keys), description, enabled) for keys, description, enabled in by_action.values()]


class HelpScreen(ModalScreen[None]):
    """A table of keys; any of escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close help"),
    ]

    def __init__(self, rows: list[tuple[str, str, bool]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        table = Table(title="wasmdbg keys", title_style="bold", show_header=True, header_style="bold", expand=True)
        table.add_column("key", style="bold cyan", no_wrap=True)
        table.add_column("does")
        for keys, description, enabled in self.rows:
            style = "" if enabled else "dim"
            table.add_row(Text(keys, style=style), Text(description + ("" if enabled else "  (not now)"), style=style))
        with VerticalScroll(id="help-body"):
            yield Static(table)
            yield Static(
                Text(
                    "ctrl+p opens the command palette (every action, and the themes); "
                    "the mouse selects frames and scrolls panes.",
                    style="dim",
                )
            )

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(None)


def help_for(screen: Screen[object], ours: Sequence[Binding | tuple[str, ...]], key_display: Callable[[Binding], str]) -> HelpScreen:
    """The help for what works on `screen` now: the app's own keys (`ours`, in order) first, then the
    focused pane's and Textual's."""
    actions = [b.action for b in ours if isinstance(b, Binding)]
    active = screen.active_bindings.values()
    rows = [(key_display(b.binding), b.binding, b.enabled) for b in active]
    # The app's keys hidden where they cannot apply (the steps, away from a breakpoint) are listed too, off.
    shown = {b.binding.action for b in active}
    rows += [(key_display(b), b, False) for b in ours if isinstance(b, Binding) and b.action not in shown]
    rows.sort(key=lambda row: actions.index(row[1].action) if row[1].action in actions else len(actions))
    return HelpScreen(binding_rows(rows))

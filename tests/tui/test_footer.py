"""The footer folds a burst of binding changes into one rebuild, and still shows the latest bindings."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from wasmdbg.tui.widgets.footer import Footer


class _Keys(App[None]):
    BINDINGS = [Binding("r", "restart", "restart"), Binding("w", "write", "write dump")]

    def __init__(self) -> None:
        super().__init__()
        self.writable = False

    def compose(self) -> ComposeResult:
        yield Static("body")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return False if action == "write" and not self.writable else True  # False: not shown


def _labels(app: _Keys) -> set[str]:
    """The descriptions of the app's keys the footer shows."""
    return {key.description for key in app.query("FooterKey")} & {"restart", "write dump"}  # type: ignore[attr-defined]


async def test_a_burst_of_changes_rebuilds_the_footer_once_with_the_last_state(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _Keys()
    async with app.run_test() as pilot:
        await pilot.pause()
        footer = app.query_one(Footer)
        assert _labels(app) == {"restart"}
        rebuilds = 0
        original = Footer.recompose

        async def counted(self: Footer) -> None:
            nonlocal rebuilds
            rebuilds += 1
            await original(self)

        monkeypatch.setattr(Footer, "recompose", counted)
        app.writable = True
        for _ in range(5):  # what a run's stop does: state, report, view, focus, each in turn
            app.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert rebuilds == 1
        assert _labels(app) == {"restart", "write dump"}
        assert footer.is_attached

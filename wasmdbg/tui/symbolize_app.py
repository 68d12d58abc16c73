"""`wasmdbg symbolize MODULE --tui`: the symbolize screen as an app of its own, nothing run.

The screen is the app's only one, so escape (which closes the screen when it is pushed over the
debugger) does nothing here. `q` types into the paste box: the app quits with ctrl+q, Textual's
own quit key, which the footer shows. `make_symbolize_app` is the one way the CLI and the tests build it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from wasmdbg.findings import Finding
from wasmdbg.session.session import Session
from wasmdbg.tui.screens.symbolize import SymbolizeScreen


class SymbolizeApp(App[int]):
    """Paste traces against one module; exits 0."""

    TITLE = "wasmdbg symbolize"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+q", "quit", "Quit", id="quit", priority=True)]

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
        self._text = text
        self.source_hint = source_hint
        self.describe = describe

    def get_default_screen(self) -> Screen[None]:
        """The symbolize screen, as the bottom of the stack (there is no other)."""
        return SymbolizeScreen(self.session, text=self._text, source_hint=self.source_hint, describe=self.describe)

    async def action_quit(self) -> None:
        self.exit(0, return_code=0)


def make_symbolize_app(
    session: Session,
    *,
    text: str = "",
    source_hint: str | None = None,
    describe: Callable[[Finding], str] = str,
) -> SymbolizeApp:
    """The app on `session`'s module: what `symbolize --tui` runs and the tests drive.

    Args:
        session: the module the pasted traces are checked against and symbolized with.
        text: what the paste box starts with (`--input FILE`).
        source_hint: what to say when a source file is not found (the front end knows its flags).
        describe: how a warning is worded (the CLI adds the flag that helps).
    """
    return SymbolizeApp(session, text=text, source_hint=source_hint, describe=describe)

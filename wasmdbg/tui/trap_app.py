"""What the live debugger and post-mortem share: the trap view's keys, and the module and symbolize screens.

`TrapApp` is the base of `WasmdbgApp` (a live run) and `PostMortemApp` (a report or coredump). Each
lists its own bindings, in the order its footer shows them, from the shared ones here; the actions
behind them live here once.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.app import App
from textual.binding import Binding

from wasmdbg.errors import WasmdbgError
from wasmdbg.findings import Finding
from wasmdbg.inspection.module_info import ModuleInfo
from wasmdbg.session.session import Session
from wasmdbg.tui.screens.goto import GotoScreen
from wasmdbg.tui.screens.help import help_for
from wasmdbg.tui.screens.module import ModuleScreen
from wasmdbg.tui.screens.symbolize import SymbolizeScreen
from wasmdbg.tui.widgets.trap_view import TrapView

FRAME_BINDINGS = [
    Binding("u", "frame_up", "Caller", id="frame-up"),
    Binding("d", "frame_down", "Callee", id="frame-down"),
    # Not in the footer, which has no room for them (the stack's fold line says `f`; `?` lists both).
    Binding("f", "fold", "Fold runtime", id="fold", show=False),
    Binding("g", "goto", "Go to address", id="goto", show=False),
]
SCREEN_BINDINGS = [
    Binding("m", "module", "Module", id="module"),
    Binding("s", "symbolize", "Paste trace", id="symbolize"),
]
END_BINDINGS = [
    Binding("question_mark,f1", "help", "Help", id="help", key_display="?"),
    Binding("q", "quit", "Quit", id="quit"),
]

ANYWHERE = frozenset({"help", "quit", "pause", "continue", "interrupt"})
"""Actions that apply over the module and symbolize screens too; the others act on the trap view under them."""


class TrapApp(App[int]):
    """An app whose main screen holds a `TrapView` (id `trap-view`) over one module's session, if it has one."""

    CSS_PATH = "app.tcss"
    TITLE = "wasmdbg"

    def __init__(
        self, *, source_hint: str | None, describe: Callable[[Finding], str], debug_hint: str | None = None
    ) -> None:
        super().__init__()
        self.source_hint = source_hint
        self.describe = describe
        self.debug_hint = debug_hint
        self._module_info: ModuleInfo | None = None

    @property
    def trap_view(self) -> TrapView:
        """The trap view on the main screen."""
        return self.query_one("#trap-view", TrapView)

    @property
    def code_session(self) -> Session | None:
        """The module's session, for the module and symbolize screens; None without a module."""
        raise NotImplementedError

    @property
    def on_main_screen(self) -> bool:
        """Whether the module or the symbolize screen is not over the main one (a modal one may be: the palette
        runs its action once it has closed)."""
        return not any(isinstance(screen, ModuleScreen | SymbolizeScreen) for screen in self.screen_stack)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Over another screen, the trap view's keys are hidden; `m` and `s` need the module."""
        if not self.on_main_screen and action not in ANYWHERE:
            return False
        if action in ("module", "symbolize"):
            return self.code_session is not None or None
        return True

    # -- the trap view ---------------------------------------------------------------------------

    def action_frame_up(self) -> None:
        self.trap_view.stack.action_cursor_down()

    def action_frame_down(self) -> None:
        self.trap_view.stack.action_cursor_up()

    def action_fold(self) -> None:
        self.trap_view.stack.toggle_fold()

    def show_trap_view(self) -> None:
        """Bring the trap view to the front (the live app has it in a tab)."""

    def action_goto(self) -> None:
        def go(address: int | None) -> None:
            if address is not None:
                view = self.trap_view.memory.view
                view.go_to(address)
                view.focus()

        self.show_trap_view()
        self.push_screen(GotoScreen(), go)

    # -- the other screens -----------------------------------------------------------------------

    def action_module(self) -> None:
        if self._module_info is not None:
            self._push_module_screen(self._module_info)
        elif self.code_session is not None:
            self.notify("reading the module…", markup=False, timeout=2)
            self._describe_module(self.code_session)

    @work(thread=True, exclusive=True, group="module-info", exit_on_error=False)
    def _describe_module(self, session: Session) -> None:
        # wasmtime validates the module for `info`: seconds on a large one, so not on the UI thread.
        try:
            info = session.info()
        except WasmdbgError as error:
            self.call_from_thread(self.notify, error.message, severity="error", markup=False)
            return
        self.call_from_thread(self._push_module_screen, info)

    def _push_module_screen(self, info: ModuleInfo) -> None:
        self._module_info = info
        if self.on_main_screen:
            self.push_screen(ModuleScreen(info, debug_hint=self.debug_hint, describe=self.describe))

    def action_symbolize(self) -> None:
        session = self.code_session
        if session is not None and self.on_main_screen:
            self.push_screen(SymbolizeScreen(session, source_hint=self.source_hint, describe=self.describe))

    def action_help(self) -> None:
        bindings = [b for b in self.BINDINGS if isinstance(b, Binding)]
        self.push_screen(help_for(self.screen, bindings, self.get_key_display))

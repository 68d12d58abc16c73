"""`wasmdbg open FILE`: the trap view of a saved report or a wasm coredump, without running anything.

The same `TrapView` as the live app's second tab, fed from a `PostMortem`: a report's stack and
output, or a coredump's frames (symbolized against the module when it was found), its dumped
memory and its globals. What the file cannot give (memory of a report, code without the module)
is said in the notes line and in the pane that would have shown it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from wasmdbg.findings import Finding
from wasmdbg.inspection.memory_map import memory_map
from wasmdbg.render.postmortem import notes_text
from wasmdbg.session.postmortem import COREDUMP, PostMortem
from wasmdbg.session.session import Session
from wasmdbg.text import printable
from wasmdbg.tui.trap_app import END_BINDINGS, FRAME_BINDINGS, SCREEN_BINDINGS, TrapApp
from wasmdbg.tui.widgets.footer import Footer
from wasmdbg.tui.widgets.globals_view import GlobalsView
from wasmdbg.tui.widgets.output_log import OutputLog
from wasmdbg.tui.widgets.trap_view import TrapView

MAX_NOTES_SHOWN = 4


class PostMortemApp(TrapApp):
    """A report or coredump in the trap view."""

    BINDINGS = [*FRAME_BINDINGS, *SCREEN_BINDINGS, *END_BINDINGS]

    def __init__(
        self,
        postmortem: PostMortem,
        *,
        source_hint: str | None = None,
        describe: Callable[[Finding], str] = str,
        debug_hint: str | None = None,
    ) -> None:
        super().__init__(source_hint=source_hint, describe=describe, debug_hint=debug_hint)
        self.postmortem = postmortem

    @property
    def code_session(self) -> Session | None:
        return self.postmortem.session

    def compose(self) -> ComposeResult:
        yield Static(id="status", markup=False)
        yield Static(id="notes", markup=False)
        side = GlobalsView(id="globals") if self.postmortem.kind == COREDUMP else OutputLog(id="output-tail")
        yield TrapView(side, id="trap-view", source_hint=self.source_hint, describe=self.describe)
        yield Footer()

    def on_mount(self) -> None:
        pm = self.postmortem
        status = Text("post-mortem", style="bold magenta")
        status.append(f"  {pm.kind}  ", style="bold")
        status.append(printable(Path(pm.path).name))
        session = pm.session
        module = Path(session.path).name if session is not None else "module not loaded"
        status.append(f"  ·  {printable(module)}", style="dim")
        self.query_one("#status", Static).update(status)
        notes = self.query_one("#notes", Static)
        if pm.notes:
            shown = notes_text(pm.notes[:MAX_NOTES_SHOWN])
            if len(pm.notes) > MAX_NOTES_SHOWN:
                shown.append(f"\n… {len(pm.notes) - MAX_NOTES_SHOWN} more notes", style="dim")
            notes.update(shown)
        else:
            notes.display = False
        view = self.trap_view
        reason = getattr(pm.code, "reason", None)
        view.bind(pm.code, no_code=reason)
        side = view.side
        side.border_title = "globals" if pm.kind == COREDUMP else "guest output"
        if isinstance(side, GlobalsView):
            side.show(pm.globals)
        elif isinstance(side, OutputLog):
            for stream, data in (("stdout", pm.report.stdout), ("stderr", pm.report.stderr)):
                if data:
                    side.feed(stream, data)
            side.flush_pending()
        memory = pm.memory
        if memory is not None:
            sp = pm.stack_pointer
            layout = memory_map(session.module, memory_size=memory.size, stack_pointer=sp) if session is not None else None
            view.show_report(pm.report, memory=memory, memory_size=memory.size, memory_map=layout, stack_pointer=sp)
        else:
            view.show_report(pm.report, memory=None, memory_size=None, memory_map=None, unavailable=pm.memory_unavailable)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`g` applies only when there is memory to go to."""
        shared = super().check_action(action, parameters)
        if shared is True and action == "goto":
            return self.postmortem.memory is not None or None
        return shared

    async def action_quit(self) -> None:
        self.exit(0, return_code=0)


def make_postmortem_app(
    postmortem: PostMortem,
    *,
    source_hint: str | None = None,
    describe: Callable[[Finding], str] = str,
    debug_hint: str | None = None,
) -> PostMortemApp:
    """The app for `wasmdbg open`: what the CLI runs and the tests drive.

    Args:
        source_hint: what to say when a source file is not found (the front end knows its flags).
        describe: how a note is worded (the CLI adds the flag that helps).
        debug_hint: what the module screen says to do when the module has no DWARF.
    """
    return PostMortemApp(postmortem, source_hint=source_hint, describe=describe, debug_hint=debug_hint)

"""The variables of the selected frame at a breakpoint stop: parameters and locals, members indented."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from wasmdbg.render.variables import MAX_LINES, variable_lines
from wasmdbg.session.stops import BreakpointStop
from wasmdbg.text import printable
from wasmdbg.tui.widgets.scrolling import ScrollbarFollowsScroll


class VariablesPane(VerticalScroll, ScrollbarFollowsScroll):
    """Shows one frame's `FrameVariables`; hidden (display none) when the stop is not a breakpoint's."""

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="variables-body", expand=True)

    def show(self, stop: BreakpointStop | None, frame: int | None) -> None:
        """Show the variables of physical frame `frame` of `stop` (None: hide the pane)."""
        self.display = stop is not None
        body = self.query_one("#variables-body", Static)
        if stop is None:
            body.update("")
            return
        found = next((v for v in stop.variables if v.frame == frame), None)
        function = stop.stack[frame].sources[0].function if frame is not None and frame < len(stop.stack) else None
        self.border_title = Text("variables  ") + Text(printable(function or ""), style="bold")
        if found is None:
            body.update(Text("no variables for this frame", style="dim"))
            return
        lines: list[Text] = list(variable_lines(found.variables))[:MAX_LINES]
        if not lines:
            lines.append(Text("(none in scope here)", style="dim"))
        lines.extend(Text(f"note: {printable(note)}", style="dim") for note in found.notes)
        body.update(Group(*lines))

    @property
    def text(self) -> str:
        """What the pane shows, as plain text (for tests)."""
        content = self.query_one("#variables-body", Static).content
        if isinstance(content, Group):
            return "\n".join(r.plain for r in content.renderables if isinstance(r, Text))
        return str(content)

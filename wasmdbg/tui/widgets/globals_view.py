"""A coredump's globals: index, name, type, value, and whether the value was captured or only the initial one."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from wasmdbg.render.postmortem import shown_value
from wasmdbg.session.postmortem import DumpedGlobal
from wasmdbg.text import printable


class GlobalsView(DataTable[Text]):
    """The globals of a coredump (the side pane of the post-mortem trap view)."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns("#", "name", "type", "value", "")

    def show(self, globals_: Sequence[DumpedGlobal]) -> None:
        """List `globals_`; a value the writer could not read is marked as the module's initial value."""
        self.clear()
        for g in globals_:
            note = Text("initial value: not captured", style="yellow") if not g.captured else Text("")
            kind = ("mut " if g.mutable else "") + g.type
            self.add_row(
                Text(str(g.index), style="dim"),
                Text(printable(g.name or "")),
                Text(printable(kind), style="cyan"),
                Text(shown_value(g.value, g.type), style="" if g.captured else "dim"),
                note,
            )
        if not globals_:
            self.add_row(Text(""), Text("no globals in the coredump", style="dim"), Text(""), Text(""), Text(""))

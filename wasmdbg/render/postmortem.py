"""Post-mortem extras in text: a coredump's globals and the notes on what the file could not give."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from wasmdbg.session.postmortem import DumpedGlobal
from wasmdbg.text import printable


def shown_value(value: int | float | None, type_: str) -> str:
    """A global's value as a debugger shows it: decimal and, for integers, the hex of its bit pattern."""
    if value is None:
        return "?"
    if isinstance(value, float):
        return repr(value)
    bits = {"i32": 32, "i64": 64, "v128": 128}.get(type_)
    if bits is None:
        return str(value)
    return f"{value}  ({value & ((1 << bits) - 1):#x})"


def globals_table(globals_: Sequence[DumpedGlobal]) -> Table:
    """The globals of a coredump, those the writer could not read marked as initial values."""
    table = Table(title="globals", title_justify="left", title_style="bold", box=None, padding=(0, 1))
    for column in ("#", "name", "type", "value", ""):
        table.add_column(column, style="dim" if column == "#" else None)
    for g in globals_:
        table.add_row(
            str(g.index),
            Text(printable(g.name or "")),
            Text(("mut " if g.mutable else "") + printable(g.type), style="cyan"),
            Text(shown_value(g.value, g.type), style="" if g.captured else "dim"),
            Text("" if g.captured else "initial value: not captured", style="yellow"),
        )
    return table


def notes_text(notes: Sequence[str]) -> Text:
    """`note: …` lines."""
    text = Text()
    for i, note in enumerate(notes):
        text.append("\n" if i else "")
        text.append("note: ", style="bold yellow")
        text.append(printable(note))
    return text

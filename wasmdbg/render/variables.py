"""Rich rendering of a breakpoint stop's variables: one block per frame, members indented."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from wasmdbg.dwarf.variables import Variable
from wasmdbg.session.stops import BreakpointStop
from wasmdbg.symbols.stack import StackFrame
from wasmdbg.text import printable

MAX_LINES = 400
"""Lines of variables printed per frame before the rest is cut (a big array, a deep struct)."""


def variable_lines(variables: Sequence[Variable], depth: int = 0) -> Iterator[Text]:
    """One line per variable and, indented under it, its members, elements or pointee."""
    for variable in variables:
        line = Text("  " * (depth + 1))
        line.append(printable(variable.name), style="bold")
        if variable.type_name:
            line.append(f": {printable(variable.type_name)}", style="cyan")
        if variable.value is not None:
            line.append(" = ")
            line.append(printable(variable.value))
        if variable.unavailable:
            line.append(f"  <{printable(variable.unavailable)}>", style="dim italic")
        yield line
        yield from variable_lines(variable.children, depth + 1)


def frame_title(index: int, frame: StackFrame) -> Text:
    """`#0 post  ledger.c:22`: the frame's innermost function and where it is."""
    source = frame.sources[0]
    title = Text(f"#{index} ", style="dim")
    title.append(printable(source.function or "<unnamed>"), style="bold cyan")
    if source.file:
        title.append(f"  {printable(source.file)}:{source.line or '?'}", style="")
    return title


class VariablesView:
    """The variables of every frame at a stop (the innermost first)."""

    def __init__(self, stop: BreakpointStop) -> None:
        self.stop = stop

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text("variables:", style="bold")
        for frame_vars in self.stop.variables:
            frame = self.stop.stack[frame_vars.frame]
            yield frame_title(frame_vars.frame, frame)
            lines = list(variable_lines(frame_vars.variables))
            yield from lines[:MAX_LINES]
            if len(lines) > MAX_LINES:
                yield Text(f"    … {len(lines) - MAX_LINES} more lines", style="dim")
            if not frame_vars.variables and not frame_vars.notes:
                yield Text("    (none in scope)", style="dim")
            for note in frame_vars.notes:
                yield Text(f"    note: {printable(note)}", style="dim")

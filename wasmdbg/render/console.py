"""The one way wasmdbg builds a Rich Console, so every command prints alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderHook, RenderResult
from rich.segment import Segment

from wasmdbg.render.terminal import is_terminal

__all__ = ["UNWRAPPED_WIDTH", "make_console"]

UNWRAPPED_WIDTH = 10_000
"""The width of a Console that is not on a terminal. Text lines are never wrapped there (soft
wrap), so this only bounds tables, which keep their natural width below it; Rich pads no line
out to the console width."""


def make_console(file: TextIO, *, width: int | None = None) -> Console:
    """A Console on `file` that never interprets markup, emoji codes or highlighting in data.

    Output wraps only where a person reads it at a known width. On a terminal, lines wrap at
    its real width. Anywhere else (a pipe, a file, a CI log, an `io.StringIO`) nothing is
    hard-wrapped: a long path stays one line that grep and copy-paste can use, and lines end
    without the trailing spaces Rich pads table cells with.

    Args:
        file: where the Console writes.
        width: a wrap width that overrides both, terminal or not; output is then exactly what a
            terminal of that width shows (tests pass one to emulate a terminal). The `COLUMNS`
            environment variable sets it on a terminal only.
    """
    if width is not None or is_terminal(file):
        return Console(file=file, width=width, markup=False, emoji=False, highlight=False, soft_wrap=False)
    console = Console(file=file, width=UNWRAPPED_WIDTH, markup=False, emoji=False, highlight=False, soft_wrap=True)
    console.push_render_hook(_TrimTrailingSpaces())
    return console


class _TrimTrailingSpaces(RenderHook):
    """Wraps everything printed in `_Trimmed`."""

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [_Trimmed(renderable) for renderable in renderables]


class _Trimmed:
    """A renderable whose complete lines lose their trailing spaces (a last, unfinished line is kept whole)."""

    def __init__(self, renderable: ConsoleRenderable) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line, ended in Segment.split_lines_terminator(console.render(self.renderable, options)):
            if ended:
                yield from _rstrip(line)
                yield Segment.line()
            else:
                yield from line


def _rstrip(line: list[Segment]) -> Iterable[Segment]:
    """`line` without the spaces at its end, whatever segments they are spread over."""
    end = len(line)
    while end and not line[end - 1].control and not line[end - 1].text.rstrip(" "):
        end -= 1
    if end and not line[end - 1].control:
        last = line[end - 1]
        return [*line[: end - 1], Segment(last.text.rstrip(" "), last.style)]
    return line[:end]

"""The one way wasmdbg builds a Rich Console, so every command prints alike."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console


def make_console(file: TextIO, *, width: int | None = None) -> Console:
    """A Console on `file` that never interprets markup, emoji codes or highlighting in data."""
    return Console(file=file, width=width, markup=False, emoji=False, highlight=False, soft_wrap=False)

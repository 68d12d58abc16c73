"""Whether output goes to a terminal, decided without importing Rich (the filters' fast paths need it)."""

from __future__ import annotations

from typing import TextIO


def is_terminal(file: TextIO) -> bool:
    """Whether `file` is a terminal, by its own `isatty()` (False when it has none or is closed).

    Deliberately not Rich's `Console.is_terminal`, which FORCE_COLOR turns on: colour in a CI log
    is welcome, wrapping it at 80 columns is not.
    """
    isatty = getattr(file, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except ValueError:  # a closed file
        return False

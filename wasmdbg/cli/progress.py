"""The line a first run prints on a terminal's stderr while it builds a module's DWARF index.

A cold index of a large module takes seconds; a command that says nothing meanwhile looks hung.
Only a terminal gets it (a pipe or CI log gets no progress noise), on one line redrawn in
place and erased when the build ends, so the command's own output is unchanged.
"""

from __future__ import annotations

import time
from typing import TextIO

from wasmdbg.dwarf.progress import IndexProgress
from wasmdbg.render.terminal import is_terminal
from wasmdbg.text import printable

REDRAW_S = 0.1
"""Shortest interval between redraws: progress arrives per unit, thousands of times."""


class IndexProgressLine:
    """An `on_progress` callback that draws `wasmdbg: indexing DWARF of M.wasm (once): 12/97 units`."""

    def __init__(self, stream: TextIO, name: str) -> None:
        self.stream = stream
        self.name = printable(name)
        self.enabled = is_terminal(stream)
        self._drawn = False
        self._last = 0.0

    def __call__(self, progress: IndexProgress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self._drawn and now - self._last < REDRAW_S:
            return
        self._last = now
        done = f"{progress.units_done}/{progress.units_total} units" if progress.units_total else progress.phase
        self._write(
            f"\rwasmdbg: indexing the DWARF of {self.name} (first run; later runs use the cache): {done}\x1b[K"
        )
        self._drawn = True

    def close(self) -> None:
        """Erase the line (the build is over, or failed)."""
        if self._drawn:
            self._write("\r\x1b[K")
            self._drawn = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False

"""Where the app's breakpoints stop, by source line: the source pane's dots, and what `b` clears there.

Free of Textual: the app keeps the specs and says what happened; this answers which lines each
spec stops on, resolving each spec once (the module does not change while the app runs).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath

from wasmdbg.session.session import Session
from wasmdbg.symbols.breakpoints import BreakpointError

Line = tuple[str, int]
"""(file as the debug information names it, line)."""


def line_spec(file: str, line: int) -> str:
    """The `FILE:LINE` spec offered for a line: the file's base name (either slash), and the line."""
    return f"{PurePath(file.replace(chr(92), '/')).name}:{line}"


class BreakpointLines:
    """The source lines breakpoint specs stop on, for one session's module."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._stops: dict[str, frozenset[Line]] = {}

    def stops_of(self, spec: str) -> frozenset[Line]:
        """Where `spec` stops; nothing while the symbols are still read, or if it names no code."""
        found = self._stops.get(spec)
        if found is not None:
            return found
        if not self.session.symbolizer_ready:
            return frozenset()  # not remembered: it resolves once the symbols are in
        try:
            locations = self.session.resolve_breakpoint(spec).locations
        except BreakpointError:
            locations = ()
        found = frozenset((loc.file, loc.line) for loc in locations if loc.file is not None and loc.line is not None)
        self._stops[spec] = found
        return found

    def marks(self, specs: Iterable[str]) -> set[Line]:
        """Every line one of `specs` stops on."""
        return set().union(*(self.stops_of(spec) for spec in specs))

    def stopping_at(self, specs: Iterable[str], line: Line) -> list[str]:
        """Those of `specs` that stop on `line`, in order."""
        return [spec for spec in specs if line in self.stops_of(spec)]

"""IndexProgress: how far the build of a module's DWARF index has got, for a progress display."""

from __future__ import annotations

from dataclasses import dataclass

READING_UNITS = "reading units"
"""Walking the compilation units: line tables, functions, inlined calls (and split units)."""
RESOLVING_NAMES = "resolving names"
"""Following DW_AT_abstract_origin/DW_AT_specification chains to name every function."""
WRITING_INDEX = "writing index"
"""Flattening the tables into the index and sending it back; the last phase."""


@dataclass(frozen=True, slots=True)
class IndexProgress:
    """One step of a DWARF index build, as the build reports it."""

    units_done: int
    """Compilation units read so far (never decreases during one build)."""
    units_total: int | None
    """Compilation units in the module, or None when the unit headers could not be counted."""
    phase: str
    """What the build is doing: `READING_UNITS`, `RESOLVING_NAMES` or `WRITING_INDEX`."""

    @property
    def fraction(self) -> float | None:
        """Units done as a share of the total, in [0, 1]; None when the total is unknown."""
        if self.units_total is None:
            return None
        if self.units_total <= 0:
            return 1.0
        return min(1.0, max(0.0, self.units_done / self.units_total))

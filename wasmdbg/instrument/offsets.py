"""The map from a rewritten module's code offsets back to the original module's."""

from __future__ import annotations

from array import array
from bisect import bisect_right


class OffsetMap:
    """Instruction starts of the rewritten code, each with the original offset it stands for.

    Built in increasing order of rewritten offset. An offset inside an instruction maps to that
    instruction's original start; inserted probe code maps to the original instruction it precedes
    (its call is where a frame held at a probe points), so frames, samples and traps all speak the
    original module's offsets.
    """

    def __init__(self) -> None:
        self._new = array("Q")
        self._original = array("Q")
        self._end = 0

    def add(self, new_offset: int, original_offset: int) -> None:
        """Record an instruction start (offsets must arrive in increasing order)."""
        self._new.append(new_offset)
        self._original.append(original_offset)

    def close(self, end: int) -> None:
        """Offsets at or past `end` (the added helper's body, later sections) map to nothing."""
        self._end = end

    def __len__(self) -> int:
        return len(self._new)

    def original(self, new_offset: int) -> int | None:
        """The original module offset of a rewritten one, or None outside the original code."""
        if new_offset >= self._end:
            return None
        i = bisect_right(self._new, new_offset) - 1
        return self._original[i] if i >= 0 else None

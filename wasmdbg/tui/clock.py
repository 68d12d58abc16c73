"""The run's elapsed time as the status line shows it: wall time since the guest started, pauses left out."""

from __future__ import annotations

import time
from collections.abc import Callable


class RunClock:
    """Started when the guest starts; stopped at the outcome with the engine's own duration."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._started: float | None = None
        self._paused_at: float | None = None
        self._paused_total = 0.0
        self._final: float | None = None

    def start(self) -> None:
        """The guest has started."""
        self._started, self._paused_at, self._paused_total, self._final = self._now(), None, 0.0, None

    def pause(self) -> None:
        """The guest is held: the time stands still."""
        if self._started is not None and self._paused_at is None:
            self._paused_at = self._now()

    def resume(self) -> None:
        """The guest goes on."""
        if self._paused_at is not None:
            self._paused_total += self._now() - self._paused_at
            self._paused_at = None

    def stop(self, duration_s: float | None) -> None:
        """The outcome came, with the engine's measure of the run (None if it had none)."""
        self._final = duration_s if duration_s is not None else self.elapsed()
        self._paused_at = None

    def elapsed(self) -> float | None:
        """Seconds the guest has run, None before it started."""
        if self._final is not None:
            return self._final
        if self._started is None:
            return None
        now = self._paused_at if self._paused_at is not None else self._now()
        return now - self._started - self._paused_total

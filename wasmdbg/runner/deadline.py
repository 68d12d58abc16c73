"""The run's wall-clock limit, which stops counting while the guest is held at a breakpoint."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Deadline:
    """Calls `on_expire` once `seconds` of unsuspended time have passed since `start()`."""

    def __init__(self, seconds: float, on_expire: Callable[[], object]) -> None:
        self._remaining = seconds
        self._on_expire = on_expire
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._since: float | None = None
        self._cancelled = False

    def _arm(self) -> None:
        self._since = time.monotonic()
        self._timer = threading.Timer(max(0.0, self._remaining), self._on_expire)
        self._timer.daemon = True
        self._timer.start()

    def start(self) -> None:
        with self._lock:
            if not self._cancelled and self._timer is None:
                self._arm()

    def suspend(self) -> None:
        """Stop counting (a breakpoint holds the guest: the user's time is not the guest's)."""
        with self._lock:
            if self._timer is None or self._since is None:
                return
            self._timer.cancel()
            self._remaining -= time.monotonic() - self._since
            self._timer, self._since = None, None

    def resume(self) -> None:
        """Count on from where `suspend` stopped."""
        with self._lock:
            if not self._cancelled and self._timer is None and self._remaining > 0:
                self._arm()

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._timer is not None:
                self._timer.cancel()
            self._timer = None

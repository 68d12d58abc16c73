"""Timing helpers shared by the benchmarks: medians of repeated runs, in-process or whole commands."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable, Mapping


def median_s(run: Callable[[], object], repeats: int) -> float:
    """Median wall-clock seconds of `repeats` calls of `run`."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def command(argv: list[str], env: Mapping[str, str] | None = None, check: bool = False) -> Callable[[], object]:
    """A callable that runs a whole command with its output discarded."""
    return lambda: subprocess.run(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=None if env is None else dict(env), check=check
    )

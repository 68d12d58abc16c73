"""Timing helpers shared by the benchmarks: medians of repeated runs, in-process or whole commands.

`measure` runs one whole command and returns its wall time and the time to its first line of
output (when asked). `peak_rss_kib` runs it once more under GNU time (`/usr/bin/time -f %M`) for its
peak resident set: `ru_maxrss` from wait4, which on Linux is the largest of the child and of every
descendant it waited for (the biggest single process of the tree, not the sum), so a helper process
wasmdbg spawns and reaps is counted. It is not taken from this script's own wait4: a child forked
from a big Python process starts with that process's high-water mark, which ru_maxrss keeps across exec.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


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


@dataclass(frozen=True)
class Run:
    """One whole command run."""

    seconds: float
    first_line_s: float | None
    returncode: int


def measure(
    argv: Sequence[str], env: Mapping[str, str] | None = None, first_line: bool | int = False, check: bool = True
) -> Run:
    """Run `argv` once (stdin closed, stderr discarded); stdout discarded, or read through when `first_line`.

    `first_line` (True, or a line number from 1) also times the appearance of that line of output.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if first_line else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=None if env is None else dict(env),
    )
    first: float | None = None
    if first_line:
        assert proc.stdout is not None
        wanted = int(first_line)
        while wanted and proc.stdout.readline():
            wanted -= 1
            if not wanted:
                first = time.perf_counter() - start
        while proc.stdout.read(1 << 16):
            pass
        proc.stdout.close()
    returncode = proc.wait()
    seconds = time.perf_counter() - start
    if check and returncode != 0:
        raise subprocess.CalledProcessError(returncode, list(argv))
    return Run(seconds, first, returncode)


GNU_TIME = "/usr/bin/time"


def peak_rss_kib(argv: Sequence[str], env: Mapping[str, str] | None = None) -> int | None:
    """Peak RSS in KiB of one run of `argv` (output discarded), from GNU time; None without /usr/bin/time."""
    if not os.access(GNU_TIME, os.X_OK):
        return None
    with tempfile.NamedTemporaryFile(mode="r", suffix=".rss") as out:
        subprocess.run([GNU_TIME, "-f", "%M", "-o", out.name, *argv], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=None if env is None else dict(env), check=False)
        last = out.read().strip().splitlines()
    return int(last[-1]) if last and last[-1].isdigit() else None


def measure_many(
    argv: Sequence[str], repeats: int, env: Mapping[str, str] | None = None, first_line: bool | int = False,
    check: bool = True,
) -> list[Run]:
    """`repeats` runs of `measure`."""
    return [measure(argv, env, first_line, check) for _ in range(repeats)]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def compile_imports() -> None:
    """Write wasmdbg's .pyc files before anything is timed, as every installed package has them.

    An editable install under PYTHONDONTWRITEBYTECODE (set here) never writes them, and every
    wasmdbg command would then compile its imports from source on every run: that is not what a
    user's install pays, so it must not be what a benchmark measures.
    """
    import compileall

    package = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "wasmdbg")
    compileall.compile_dir(package, quiet=1)


def begin() -> None:
    """What every benchmark does first: print as it goes, compile wasmdbg's imports, name the machine."""
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    compile_imports()
    print(machine())


def machine() -> str:
    """One line naming the machine: CPU model, CPUs usable, Python."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", load %.2f %.2f %.2f" % os.getloadavg() if hasattr(os, "getloadavg") else ""
    return f"{model}, {cpus} CPUs{load}, Python {sys.version.split()[0]}"

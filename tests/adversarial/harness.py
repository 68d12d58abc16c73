"""Run wasmdbg as a user would, on hostile input, and check what every adversarial case must hold.

`guarded` runs the real command (`python -m wasmdbg`) in a child with a private HOME, TMPDIR and
cache directory, a hang bound, and its peak memory measured; `assert_contained` checks the rules
of SECURITY-minded behaviour that hold whatever the input: an expected exit status, no traceback,
a short stderr, no escape byte in any output (nothing here is a terminal, so none is wanted), and
nothing left in the temp dir.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

HANG_BOUND_S = 120.0
"""A command that takes this long hangs; only hangs are bounded, never speed."""
MEMORY_BOUND_MIB = 1536
"""Peak RSS of the largest process of a command's tree (the CLI, the agent, the index child)."""

_WRAPPER = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[2:])
with open(sys.argv[1], "w") as out:
    out.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(done.returncode)
"""


@dataclass(frozen=True)
class Guarded:
    """One guarded run of a command."""

    argv: tuple[str, ...]
    status: int
    stdout: bytes
    stderr: bytes
    leftover: tuple[str, ...]
    """What the command left in its private temp dir."""
    peak_mib: float

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", "replace")


def guarded(*argv: str, stdin: bytes = b"", env: Mapping[str, str] | None = None) -> Guarded:
    """Run `wasmdbg ARGV...` in a child with its own HOME, TMPDIR and cache dir."""
    with tempfile.TemporaryDirectory(prefix="wasmdbg-adversarial-") as root:
        home, tmp, cache = (Path(root) / name for name in ("home", "tmp", "cache"))
        for folder in (home, tmp):
            folder.mkdir()
        rss = Path(root) / "rss"
        child_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "TMPDIR": str(tmp),
            "WASMDBG_CACHE_DIR": str(cache), "LANG": "C.UTF-8", "PYTHONPATH": os.pathsep.join(sys.path),
            **(env or {}),
        }  # fmt: skip
        # Its own session, so that a hang is ended with the whole tree (the CLI, its agent, the
        # index child), not only the wrapper, and nothing outlives the test.
        with subprocess.Popen(
            [sys.executable, "-c", _WRAPPER, str(rss), sys.executable, "-m", "wasmdbg", *argv],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env,
            start_new_session=True,
        ) as proc:
            try:
                out, err = proc.communicate(stdin, timeout=HANG_BOUND_S)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                raise
        done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        leftover = tuple(sorted(os.listdir(tmp)))
        peak = int(rss.read_text()) / 1024 if rss.exists() else float("nan")
    return Guarded(tuple(argv), done.returncode, done.stdout, done.stderr, leftover, peak)


def assert_contained(result: Guarded, statuses: Collection[int], *, max_stderr_lines: int = 3) -> None:
    """What every hostile input must end in, whatever it is."""
    what = f"wasmdbg {' '.join(result.argv)}"
    assert result.status in statuses, f"{what}: exit {result.status}; stderr: {result.err[-2000:]}"
    assert "Traceback (most recent call last)" not in result.err, f"{what}: {result.err[-3000:]}"
    assert result.err.count("\n") <= max_stderr_lines, f"{what}: {result.err[-2000:]}"
    assert b"\x1b" not in result.stdout and b"\x1b" not in result.stderr, f"{what}: an escape byte in the output"
    assert result.leftover == (), f"{what}: left {result.leftover} in the temp dir"
    assert not result.peak_mib > MEMORY_BOUND_MIB, f"{what}: {result.peak_mib:.0f} MiB"

"""The engine failing mid-run: the agent killed, aborting or stopped; wasmdbg reports it and goes on.

`wasmdbg run` runs the guest in an agent process, a child of the CLI (`runner.spawn`). These tests
find that child through /proc while a call-free spin runs in it, send it a signal, and check what
the user gets: the documented exit status, a clear outcome in the JSON report (`engine_crashed`
with the signal, or `timeout` when wasmdbg had to end a stopped engine itself), no traceback,
nothing left in the temp dir, and no agent left behind. `launched` is `harness.guarded` with the
process handed back while it runs (the guest-abuse tests use it too).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

from tests.adversarial.harness import _WRAPPER, HANG_BOUND_S, Guarded, assert_contained
from tests.helpers import SAMPLES

SPIN = SAMPLES / "build" / "spin.O0.wasm"
ERROR, TRAP = 1, 134
"""README, `wasmdbg run`, "Exit status": 1 for a crashed engine, 134 for a trap or a timeout."""
AGENT_MODULE = b"wasmdbg.runner.agent"


def _children(pid: int) -> list[int]:
    """The live children of `pid`, from /proc (every thread's list)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(child) for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
        except OSError:
            pass
    return found


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        children = _children(todo.pop())
        out += children
        todo += children
    return out


def _is_agent(pid: int) -> bool:
    try:
        return AGENT_MODULE in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _output_files(pid: int) -> list[str]:
    """The /proc/PID/fd entries of `pid` that are guest output files (in a `wasmdbg-run-*` dir)."""
    out = []
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return out
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if "/wasmdbg-run-" in target:
            out.append(f"/proc/{pid}/fd/{fd}")
    return out


def gone(pid: int) -> bool:
    """Whether process `pid` has ended (and been reaped), or is not an agent any more."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X") or not _is_agent(pid)


class Launched:
    """A guarded `wasmdbg` command that is still running: its process, its private temp dir."""

    def __init__(self, process: subprocess.Popen[bytes], argv: tuple[str, ...], tmp: Path, rss: Path) -> None:
        self.process = process
        self.argv = argv
        self.tmp = tmp
        self._rss = rss
        self._out: dict[str, bytes] = {}
        self.seen: set[int] = set()
        """Every agent seen: once wasmdbg has ended, a left-behind one is no longer its descendant."""
        self._readers = [
            threading.Thread(target=self._drain, args=(name, stream), daemon=True)
            for name, stream in (("stdout", process.stdout), ("stderr", process.stderr))
        ]
        for reader in self._readers:
            reader.start()

    def _drain(self, name: str, stream: IO[bytes] | None) -> None:
        assert stream is not None
        self._out[name] = stream.read()

    def agents(self) -> list[int]:
        """The agent processes among the command's descendants (a spare one may be among them)."""
        found = [pid for pid in _descendants(self.process.pid) if _is_agent(pid)]
        self.seen.update(found)
        return found

    def running_agent(self, *, started: bool = True, bound_s: float = HANG_BOUND_S) -> int:
        """The agent that runs the guest, once it does: it holds the guest's output files (after `Started`).

        `started=False`: the first agent seen, whatever it is doing.
        """
        end = time.monotonic() + bound_s
        while time.monotonic() < end:
            for pid in self.agents():
                if not started or _output_files(pid):
                    return pid
            assert self.process.poll() is None, f"wasmdbg ended first: {self.finish().err[-2000:]}"
            time.sleep(0.02)
        raise AssertionError(f"wasmdbg {' '.join(self.argv)}: no agent ran the guest within {bound_s:g} s")

    def output_files(self) -> list[str]:
        """The guest output files open in any agent, as /proc/PID/fd paths (stat them for their size)."""
        return [path for pid in self.agents() for path in _output_files(pid)]

    def finish(self) -> Guarded:
        """Wait for the command (a hang fails the test) and give what `guarded` gives."""
        try:
            self.process.wait(timeout=HANG_BOUND_S)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"wasmdbg {' '.join(self.argv)}: still running after {HANG_BOUND_S:g} s") from None
        for reader in self._readers:
            reader.join(timeout=30)
        leftover = tuple(sorted(os.listdir(self.tmp)))
        peak = int(self._rss.read_text()) / 1024 if self._rss.exists() else float("nan")
        stdout, stderr = self._out.get("stdout", b""), self._out.get("stderr", b"")
        return Guarded(self.argv, self.process.returncode, stdout, stderr, leftover, peak)


@contextmanager
def launched(*argv: str, stdin: int | None = subprocess.DEVNULL, env: Mapping[str, str] | None = None) -> Iterator[Launched]:
    """Start `wasmdbg ARGV...` as `harness.guarded` does, and hand it back while it runs.

    Whatever the test does, the command's whole process tree is ended (by pid) on the way out.
    """
    with tempfile.TemporaryDirectory(prefix="wasmdbg-adversarial-") as root:
        home, tmp, cwd = (Path(root) / name for name in ("home", "tmp", "cwd"))
        for folder in (home, tmp, cwd):
            folder.mkdir()
        rss = Path(root) / "rss"
        child_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "TMPDIR": str(tmp),
            "WASMDBG_CACHE_DIR": str(Path(root) / "cache"), "LANG": "C.UTF-8",
            "PYTHONPATH": os.pathsep.join(sys.path), **(env or {}),
        }  # fmt: skip
        # cwd is private too: an aborting engine may leave a core file in its working directory.
        process = subprocess.Popen(
            [sys.executable, "-c", _WRAPPER, str(rss), sys.executable, "-m", "wasmdbg", *argv],
            stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env, cwd=cwd,
        )  # fmt: skip
        run = Launched(process, tuple(argv), tmp, rss)
        try:
            yield run
        finally:
            left = [pid for pid in run.seen if not gone(pid)]
            for pid in [*_descendants(process.pid), process.pid, *left]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass  # already gone
            process.wait()
            if process.stdin is not None:
                process.stdin.close()


def _report(result: Guarded) -> dict[str, object]:
    report = json.loads(result.stdout)
    assert isinstance(report, dict)
    return report


def _signalled(how: signal.Signals, *options: str) -> tuple[Guarded, int]:
    """Run the spin sample with a 5 s timeout, send its agent `how` once the guest runs; the result and the agent's pid."""
    with launched("run", *options, "-W", "timeout=5s", str(SPIN)) as run:
        agent = run.running_agent()
        time.sleep(0.3)  # well inside the guest's endless loop
        os.kill(agent, how)
        return run.finish(), agent


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGABRT], ids=["SIGKILL", "SIGABRT"])
def test_an_agent_that_dies_mid_run_is_reported_as_an_engine_crash(how: signal.Signals) -> None:
    result, agent = _signalled(how, "--format", "json")
    assert_contained(result, {ERROR}, max_stderr_lines=0)
    report = _report(result)
    assert (report["outcome"], report["exit_status"]) == ("engine_crashed", ERROR), report
    assert how.name in str(report["message"]), report["message"]
    assert gone(agent), f"the agent {agent} is still there after wasmdbg ended"


def test_an_agent_killed_mid_run_is_said_in_the_text_report() -> None:
    result, agent = _signalled(signal.SIGKILL)
    assert_contained(result, {ERROR}, max_stderr_lines=20)
    assert "engine_crashed" in result.err and "SIGKILL" in result.err, result.err
    assert gone(agent)


def test_a_stopped_agent_is_ended_at_the_timeout_and_reported() -> None:
    # A stopped engine never reaches the guest's interrupt checks; wasmdbg's own deadline (the
    # timeout plus a grace second) must end it instead of waiting for good.
    result, agent = _signalled(signal.SIGSTOP, "--format", "json")
    assert_contained(result, {TRAP}, max_stderr_lines=0)
    report = _report(result)
    assert (report["outcome"], report["exit_status"], report["ended_by_parent"]) == ("timeout", TRAP, True), report
    assert "timeout" in report["limits_hit"] and str(report["message"]).startswith("timeout after 5 s"), report
    assert gone(agent), f"the stopped agent {agent} is still there after wasmdbg ended"

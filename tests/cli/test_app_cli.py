"""`wasmdbg MODULE` as a real process: `wasmdbg run` unwatched, the app on a terminal.

Without a terminal (stdout or stdin not a tty, or --format json) the command must be
exactly `wasmdbg run`: same stdout, same stderr, same exit status. On a terminal (a pty
here) the app opens, and quitting it hands the terminal back as it was: the alternate
screen left, mouse reporting off, the cursor shown, no agent process left behind.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from tests.helpers import ROOT

WASMDBG = Path(sys.executable).parent / "wasmdbg"
BUILD = "sample_modules/build"  # relative to ROOT, as a user in the checkout types it
DIVZERO = f"{BUILD}/divzero.O0.wasm"
LEAK = f"{BUILD}/leak.O0.wasm"

ROWS, COLUMNS = 48, 160
HANG_S = 60.0
"""A bound on hangs only: reaching it fails the test; no speed is asserted."""

_FUEL_TIME = re.compile(rb"^(fuel: .* consumed in )\d+\.\d\d( s)$", re.MULTILINE)
_CPU_TIME = re.compile(rb"^(cpu: )\d+\.\d\d( s in )\d+\.\d\d( s .*)$", re.MULTILINE)
"""The figures of the text report that vary between two runs of one module: times."""

_CSI = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]")
_CURSOR_TO = re.compile(rb"\x1b\[\d+;\d+H")
_INPUT_MODES = (b"1000", b"1002", b"1003", b"1004", b"1005", b"1006", b"1015", b"2004")
"""Private modes the app may switch on (mouse, focus events, bracketed paste)."""


def _piped(*argv: str) -> subprocess.CompletedProcess[bytes]:
    """wasmdbg with stdout and stderr piped, stdin /dev/null: no terminal anywhere."""
    return subprocess.run(
        [str(WASMDBG), *argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


def _without_fuel_time(stderr: bytes) -> bytes:
    normalised, count = _FUEL_TIME.subn(rb"\1<seconds>\2", stderr)
    assert count <= 1, stderr
    normalised, count = _CPU_TIME.subn(rb"\1<seconds>\2<seconds>\3", normalised)
    assert count <= 1, stderr
    return normalised


# -- no terminal: exactly `wasmdbg run` ---------------------------------------------


@pytest.mark.parametrize(
    ("argv", "status", "expected"),
    [
        (
            ["--source-root", "sample_modules", DIVZERO],
            134,
            b"quotient  ./../c/divzero.c:13",
        ),
        ([f"{BUILD}/exitcode.O0.wasm"], 3, b"wasmdbg: exited with code 3"),
        ([f"{BUILD}/hello.O0.wasm"], 0, b"wasmdbg: returned"),
    ],
    ids=["divzero", "exitcode", "hello"],
)
def test_without_a_terminal_it_is_run(
    argv: list[str], status: int, expected: bytes
) -> None:
    debugger = _piped(*argv)
    run = _piped("run", *argv)
    assert (debugger.returncode, run.returncode) == (status, status), debugger.stderr
    assert debugger.stdout == run.stdout
    assert _without_fuel_time(debugger.stderr) == _without_fuel_time(run.stderr)
    assert expected in debugger.stderr
    # Headless, as `wasmdbg run`: fuel is metered only with -W fuel=N; the CPU time is always there.
    assert b"fuel: not metered (give -W fuel=N to meter it)" in debugger.stderr
    assert _CPU_TIME.search(debugger.stderr), debugger.stderr
    assert b"\x1b[" not in debugger.stdout + debugger.stderr  # no app drew on a pipe


def test_with_format_json_it_prints_the_same_report() -> None:
    argv = ["--format", "json", "--source-root", "sample_modules", DIVZERO]
    debugger = _piped(*argv)
    run = _piped("run", *argv)
    assert debugger.returncode == run.returncode == 134, debugger.stderr
    assert debugger.stderr == run.stderr
    reports = [json.loads(result.stdout) for result in (debugger, run)]
    for report in reports:
        assert isinstance(report.pop("duration_s"), float)
        assert isinstance(report.pop("cpu_time_s"), float)
        assert isinstance(report.pop("samples"), list)
    assert reports[0] == reports[1]
    assert (reports[0]["fuel_consumed"], reports[0]["fuel_exact"], reports[0]["fuel_metered"]) == (None, False, False)
    assert reports[0]["outcome"] == "trapped"
    assert reports[0]["frames"][0]["function"] == "quotient"


# -- errors and help ----------------------------------------------------------------


def test_a_bad_option_value_is_the_usage_line_and_one_error_line() -> None:
    result = _piped("--format", "yaml", "x.wasm")
    assert result.returncode == 2 and result.stdout == b""
    usage, error = result.stderr.decode().splitlines()  # argparse's wording varies
    assert usage == "usage: wasmdbg [OPTIONS] MODULE [ARGS...]"
    assert error.startswith("wasmdbg: error: argument --format: invalid choice: 'yaml'")
    assert _piped("run", "--format", "yaml", "x.wasm").returncode == 2


@pytest.mark.parametrize(
    ("argv", "status", "expected"),
    [
        (["-W", "nosuch=1", "sample.wasm"], 2, "-W nosuch: unknown key"),
        ([f"{BUILD}/absent.wasm"], 1, "absent.wasm: No such file or directory"),
    ],
    ids=["unknown-limit", "missing-module"],
)
def test_errors_are_one_line_and_the_status_of_run(
    argv: list[str], status: int, expected: str
) -> None:
    debugger = _piped(*argv)
    run = _piped("run", *argv)
    assert debugger.returncode == run.returncode == status
    for result in (debugger, run):
        stderr = result.stderr.decode()
        assert stderr.count("\n") == 1 and "error: " in stderr, stderr
        assert expected in stderr and result.stdout == b"", stderr


def test_help_names_the_debugger_and_help_app_gives_its_keys_and_options() -> None:
    overview = _piped("--help")
    assert overview.returncode == 0 and b"wasmdbg MODULE" in overview.stdout
    app = _piped("--help-app")
    assert app.returncode == 0, app.stderr
    assert app.stdout.startswith(b"usage: wasmdbg [OPTIONS] MODULE [ARGS...]")
    for expected in (b"Keys:", b"q quit", b"--source-root", b"--format", b"-W KEY="):
        assert expected in app.stdout
    assert b"Traceback" not in overview.stderr + app.stderr


# -- a real terminal ----------------------------------------------------------------


class Terminal:
    """wasmdbg on a pty (its controlling terminal), with everything it wrote kept."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd
        self.output = bytearray()
        self.status: int | None = None
        self.closed = False

    @property
    def text(self) -> bytes:
        """The output without CSI sequences: the words drawn, no styles or moves."""
        return _CSI.sub(b"", bytes(self.output))

    def read(self, timeout: float) -> bool:
        """Take what arrives within `timeout`; whether anything did."""
        if self.closed:  # nothing more can come: wait for the exit instead of spinning
            time.sleep(timeout)
            return False
        if not select.select([self.fd], [], [], timeout)[0]:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the last holder of the pty's other end closed it
            data = b""
        self.closed = not data
        self.output += data
        return bool(data)

    def wait_for(self, *words: bytes, also: Callable[[], bool] | None = None) -> None:
        """Read until every word has been drawn (and `also()` holds)."""
        deadline = time.monotonic() + HANG_S
        while time.monotonic() < deadline and not self.exited():
            self.read(0.05)
            if all(word in self.text for word in words) and (also is None or also()):
                return
        missing = [word for word in words if word not in self.text]
        tail = self.text[-3000:]
        raise AssertionError(f"never drew {missing} (exit {self.status}): {tail!r}")

    def press(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def exited(self) -> bool:
        if self.status is None:
            pid, wait_status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.status = os.waitstatus_to_exitcode(wait_status)
        return self.status is not None

    def wait_exit(self, timeout: float) -> int:
        """Read on until wasmdbg exits, and its last output is in; its exit status."""
        deadline = time.monotonic() + timeout
        while not self.exited():
            if time.monotonic() > deadline:
                tail = self.text[-3000:]
                raise AssertionError(f"still running after {timeout} s: {tail!r}")
            self.read(0.05)
        while self.read(0.5) and time.monotonic() < deadline:
            pass  # what it wrote just before exiting
        assert self.status is not None
        return self.status


@contextmanager
def terminal(*argv: str) -> Iterator[Terminal]:
    """`wasmdbg ARGV` in ROOT on a new ROWS x COLUMNS pty, as a shell starts it."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its stdin, stdout, stderr, controlling tty
        try:
            import fcntl
            import struct
            import termios

            size = struct.pack("HHHH", ROWS, COLUMNS, 0, 0)
            fcntl.ioctl(0, termios.TIOCSWINSZ, size)
            os.chdir(ROOT)
            os.execve(WASMDBG, [str(WASMDBG), *argv], env)
        finally:
            os._exit(127)
    session = Terminal(pid, fd)
    try:
        yield session
    finally:
        if not session.exited():  # a failed test leaves nothing running
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        for leftover in _processes_in_session(pid):
            with suppress(ProcessLookupError):
                os.kill(leftover, signal.SIGKILL)
        os.close(fd)


def _processes_in_session(sid: int) -> list[int]:
    """The live (not zombie) processes of session `sid`.

    wasmdbg leads the session pty.fork made; its agent and DWARF reader are in it.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes()
        except OSError:
            continue  # it ended while we looked
        state, _ppid, _pgrp, session = stat[stat.rfind(b")") + 2 :].split()[:4]
        if int(session) == sid and state != b"Z":
            found.append(int(entry.name))
    return found


def _agents(sid: int) -> list[int]:
    agents = []
    for pid in _processes_in_session(sid):
        with suppress(OSError):
            if b"wasmdbg.runner.agent" in Path(f"/proc/{pid}/cmdline").read_bytes():
                agents.append(pid)
    return agents


def assert_terminal_restored(output: bytes) -> None:
    """Alternate screen left after the last draw; what was switched on, switched off."""
    entered, left = output.rfind(b"\x1b[?1049h"), output.rfind(b"\x1b[?1049l")
    last_draw = max(match.start() for match in _CURSOR_TO.finditer(output))
    assert 0 <= entered < last_draw < left, (entered, last_draw, left)
    enabled = [mode for mode in _INPUT_MODES if b"\x1b[?" + mode + b"h" in output]
    assert b"1000" in enabled, "no mouse reporting: the check would prove nothing"
    for mode in enabled:
        set_at = output.rfind(b"\x1b[?" + mode + b"h")
        assert output.rfind(b"\x1b[?" + mode + b"l") > set_at, f"{mode!r} left on"
    hidden = output.rfind(b"\x1b[?25l")
    assert 0 <= hidden < output.rfind(b"\x1b[?25h"), "the cursor is left hidden"


def test_on_a_terminal_the_app_shows_the_trap_and_q_exits_134() -> None:
    with terminal("--source-root", "sample_modules", DIVZERO) as app:
        app.wait_for(b"quotient", b"divzero.c:13")
        app.press(b"q")
        status = app.wait_exit(HANG_S)
    assert status == 134, app.text[-3000:]
    assert_terminal_restored(bytes(app.output))
    assert b"Traceback" not in app.text


def test_quitting_while_the_guest_runs_ends_the_agent_and_restores_the_tty() -> None:
    with terminal(LEAK) as app:
        agents: set[int] = set()

        def agent_running() -> bool:
            agents.update(_agents(app.pid))
            return bool(agents)

        app.wait_for(b"leaked", also=agent_running)  # the guest's output is drawn live
        app.press(b"q")
        status = app.wait_exit(30)
        left = _processes_in_session(app.pid)
    assert status == 0, app.text[-3000:]  # quit before an outcome: 0
    assert b"done, leaked" not in app.text  # quit mid-run, not after the guest finished
    assert left == [], f"still running after wasmdbg exited: {left} (agent {agents})"
    assert_terminal_restored(bytes(app.output))
    assert b"Traceback" not in app.text


@pytest.mark.parametrize(
    ("argv", "status", "expected"),
    [
        (["-W", "nosuch=1", DIVZERO], 2, b"wasmdbg: error: -W nosuch: unknown key"),
        ([f"{BUILD}/absent.wasm"], 1, b"wasmdbg: error: " + BUILD.encode()),
        (["--stdin", "-", DIVZERO], 2, b"wasmdbg: error: --stdin - would share"),
    ],
    ids=["unknown-limit", "missing-module", "stdin-is-the-terminal"],
)
def test_on_a_terminal_errors_are_one_line_and_no_app(
    argv: list[str], status: int, expected: bytes
) -> None:
    with terminal(*argv) as session:
        assert session.wait_exit(HANG_S) == status
    lines = bytes(session.output).splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), lines
    assert b"\x1b[?1049h" not in session.output

"""LiveRun: the wall-clock limit holds whatever the guest does, control from other threads, nothing left on disk."""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ECHO_WAT, SAMPLES, wat
from wasmdbg.errors import WasmdbgError
from wasmdbg.runner import protocol as p
from wasmdbg.runner.limits import RunLimits
from wasmdbg.session.live import LiveRun, RunCancelledError, RunRequest

BUILD = SAMPLES / "build"


@pytest.fixture
def echo(tmp_path: Path) -> Path:
    module = tmp_path / "echo.wasm"
    module.write_bytes(wat(ECHO_WAT))
    return module


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A FIFO whose writer stays open and never writes: a read of it blocks for good."""
    path = tmp_path / "stdin.fifo"
    os.mkfifo(path)
    writer = os.open(path, os.O_RDWR)
    yield path
    os.close(writer)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temp dir this process uses, so a test can see what a run leaves in it."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


def test_a_guest_blocked_reading_stdin_still_times_out(echo: Path, fifo: Path) -> None:
    began = time.monotonic()
    with LiveRun(str(echo), RunRequest(stdin=str(fifo), limits=RunLimits(timeout_s=1))) as live:
        finished = live.wait()
    assert time.monotonic() - began < 30  # bounds a hang only; the limit plus the grace period ends it
    assert finished.outcome.outcome == p.TIMEOUT and finished.ended_by_parent
    assert "blocked outside wasm code" in (finished.outcome.message or "")


def test_an_interrupt_the_guest_cannot_take_ends_the_run(echo: Path, fifo: Path) -> None:
    with LiveRun(str(echo), RunRequest(stdin=str(fifo), limits=RunLimits(timeout_s=None))) as live:
        events = live.events()
        assert isinstance(next(events), p.Started)
        threading.Timer(0.3, live.interrupt, args=("stop",)).start()
        finished = live.wait()
    assert finished.outcome.outcome == p.INTERRUPTED and finished.ended_by_parent


def test_the_guest_reads_a_stdin_file(echo: Path, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_bytes(b"hello guest")
    with LiveRun(str(echo), RunRequest(stdin=str(tmp_path / "in.txt"))) as live:
        live.wait()
        assert bytes(live.stdout) == b"hello guest"


def test_control_and_reads_from_another_thread_while_running() -> None:
    with LiveRun(str(BUILD / "spin.O2.wasm"), RunRequest(limits=RunLimits(timeout_s=None))) as live:
        results: dict[str, object] = {}

        def driver() -> None:
            live.pause()
            results["paused_read"] = live.read_memory(1024, 8)
            live.resume()
            results["size"] = live.memory_size()
            live.interrupt("enough")

        samples = 0
        thread = None
        for event in live.events():
            samples += isinstance(event, p.Sample)
            if samples == 5 and thread is None:
                thread = threading.Thread(target=driver)
                thread.start()
        assert thread is not None
        thread.join(30)
        finished = live.finished
        assert finished is not None and finished.outcome.outcome == p.INTERRUPTED
        assert finished.outcome.message == "enough" and finished.outcome.frames[0].func_name == "spin_forever"
        assert results["paused_read"] == b"spinning" and results["size"] == 2 * 65536
        # and post-mortem, the same memory
        assert live.read_memory(1024, 8) == b"spinning"
        with pytest.raises(WasmdbgError, match="no exported memory 1"):
            live.read_memory(0, 4, memory=1)


def test_cancel_ends_the_run_without_an_outcome() -> None:
    cancel = threading.Event()
    with LiveRun(str(BUILD / "spin.O2.wasm"), RunRequest(limits=RunLimits(timeout_s=None)), cancel=cancel) as live:
        threading.Timer(0.3, cancel.set).start()
        with pytest.raises(RunCancelledError):
            live.wait()
        assert live.finished is None


@pytest.mark.parametrize("ending", ["finished", "killed", "cancelled", "crashed"])
def test_nothing_is_left_in_the_temp_dir(ending: str, private_tmp: Path) -> None:
    cancel = threading.Event()
    module = BUILD / ("hello.O0.wasm" if ending == "finished" else "spin.O2.wasm")
    with LiveRun(str(module), RunRequest(limits=RunLimits(timeout_s=None)), cancel=cancel) as live:
        events = live.events()
        assert isinstance(next(events), p.Started)
        if ending == "killed":
            live._agent.kill()
        elif ending == "crashed":
            os.kill(live._agent.process.pid, signal.SIGABRT)
        elif ending == "cancelled":
            cancel.set()
        for _ in events:
            pass
        assert live.finished is not None or ending == "cancelled"
    assert list(private_tmp.iterdir()) == []


def test_a_missing_stdin_file_is_an_error_of_the_run(tmp_path: Path) -> None:
    with LiveRun(str(BUILD / "hello.O0.wasm"), RunRequest(stdin=str(tmp_path / "absent"))) as live:
        finished = live.wait()
    assert finished.outcome.outcome == p.ERROR and "stdin" in (finished.outcome.message or "")

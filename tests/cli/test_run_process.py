"""`wasmdbg run` as a real process: stdin handed to the guest, output bytes unchanged, Ctrl-C, usage errors."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import ECHO_WAT, ROOT, SAMPLES, run_cli, wat

BUILD = SAMPLES / "build"


def wasmdbg(*argv: str, stdin: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "wasmdbg", *argv], input=stdin, capture_output=True, timeout=timeout, cwd=ROOT
    )


@pytest.fixture
def echo(tmp_path: Path) -> Path:
    module = tmp_path / "echo.wasm"
    module.write_bytes(wat(ECHO_WAT))
    return module


@pytest.mark.parametrize("spelling", ["-", "/dev/stdin"])
def test_the_guest_can_read_wasmdbgs_own_stdin(spelling: str, echo: Path) -> None:
    result = wasmdbg("run", "--stdin", spelling, str(echo), stdin=b"from the terminal")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"from the terminal"


def test_guest_output_passes_through_a_pipe_byte_for_byte(tmp_path: Path) -> None:
    data = random.Random(3).randbytes(100_000)
    (tmp_path / "blob").write_bytes(data)
    result = wasmdbg("run", "--dir", f"{tmp_path}::/d", str(BUILD / "readfile.O0.wasm"), "/d/blob")
    assert result.returncode == 0, result.stderr
    assert result.stdout == data


def test_the_json_report_keeps_text_and_the_exact_bytes(tmp_path: Path) -> None:
    import base64

    data = random.Random(4).randbytes(5_000)
    (tmp_path / "blob").write_bytes(data)
    result = run_cli("run", "--format", "json", "--dir", f"{tmp_path}::/d", str(BUILD / "readfile.O0.wasm"), "/d/blob")
    report = json.loads(result.stdout)
    assert base64.b64decode(report["stdout_base64"]) == data
    assert report["stdout"] == data.decode("utf-8", "replace") and "U+FFFD" in report["output_encoding"]
    plain = json.loads(run_cli("run", "--format", "json", str(BUILD / "hello.O0.wasm")).stdout)
    assert plain["stdout_base64"] is None


def test_ctrl_c_interrupts_the_guest_and_reports_where_it_was() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "wasmdbg", "run", "--format", "json", "-W", "timeout=0", str(BUILD / "spin.O2.wasm")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    try:
        _wait_for_start(proc)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 134, err
    report = json.loads(out)
    assert report["outcome"] == "interrupted" and report["frames"][0]["function"] == "spin_forever"
    assert b"Ctrl-C again" in err


def test_a_second_ctrl_c_quits_at_once(tmp_path: Path, echo: Path) -> None:
    fifo = tmp_path / "stdin.fifo"
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR)  # the guest blocks reading it: the first Ctrl-C cannot stop it at once
    proc = subprocess.Popen(
        [sys.executable, "-m", "wasmdbg", "run", "-W", "timeout=0", "--stdin", str(fifo), str(echo)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    try:
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        os.close(writer)
    assert proc.returncode == 130, err


def _wait_for_start(proc: subprocess.Popen[bytes]) -> None:
    """Until the agent (a child of wasmdbg) runs: the Ctrl-C must reach a running guest, not start-up."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        if children.exists() and children.read_text().strip():
            time.sleep(1.0)  # compiled and spinning
            return
        time.sleep(0.05)
    raise AssertionError("the agent never started")


# -- usage and start-up errors: one line, said before anything runs --------------------------------


def test_w_help_needs_no_module() -> None:
    result = run_cli("run", "-W", "help")
    assert result.status == 0 and "max-memory-size" in result.stdout


def test_a_missing_module_is_a_usage_error() -> None:
    result = run_cli("run")
    assert result.status == 2 and result.stderr.count("\n") == 1 and "MODULE" in result.stderr


def test_a_missing_stdin_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("run", "--stdin", str(tmp_path / "absent.txt"), str(BUILD / "hello.O0.wasm"))
    assert result.status == 2 and result.stderr.count("\n") == 1 and "--stdin" in result.stderr


def test_a_report_in_a_missing_directory_is_refused_before_the_run(tmp_path: Path) -> None:
    began = time.monotonic()
    result = run_cli("run", "--report", str(tmp_path / "nowhere" / "r.json"), "-W", "timeout=30", str(BUILD / "spin.O2.wasm"))
    assert result.status == 2 and result.stderr.count("\n") == 1 and "does not exist" in result.stderr
    assert time.monotonic() - began < 20  # refused at once, not after a 30 s run


@pytest.mark.parametrize(
    ("source", "argv", "expected"),
    [
        ('(module (func (export "helper")) (func (export "other")))', [], "no _start: use --invoke NAME; exports: helper, other"),
        ('(module (func (export "helper")))', ["--invoke", "nothere"], "exported functions: helper"),
        ('(module (func (export "add") (param i32 i32)))', ["--invoke", "add", "MODULE", "1"], "add takes 2 argument(s) (i32, i32), 1 given"),
        ('(module (import "env" "mystery" (func)) (func (export "_start")))', [], "--unknown-imports-trap"),
    ],
    ids=["no-start", "no-such-export", "arity", "missing-import"],
)
def test_start_errors_are_one_line_that_says_what_to_do(source: str, argv: list[str], expected: str, tmp_path: Path) -> None:
    module = tmp_path / "m.wasm"
    module.write_bytes(wat(source))
    args = [str(module) if a == "MODULE" else a for a in argv]
    if "MODULE" not in argv:
        args.append(str(module))
    result = run_cli("run", *args)
    assert result.status == 1
    assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr


def test_output_that_is_not_a_terminal_is_not_wrapped() -> None:
    explanation = json.loads(run_cli("run", "--format", "json", str(BUILD / "oob.O0.wasm")).stdout)["explanation"]
    assert len(explanation) > 100
    result = wasmdbg("run", str(BUILD / "oob.O0.wasm"))
    assert explanation in result.stderr.decode().splitlines()  # the whole paragraph on one line, as in the JSON

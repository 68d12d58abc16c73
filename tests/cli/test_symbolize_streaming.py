"""`wasmdbg symbolize` as a log filter on a stream: each annotation appears while the input is still open."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time

from tests.helpers import SAMPLES, run_cli

MODULE = SAMPLES / "build" / "divzero.O2.wasm"
HANG_BOUND_S = 60.0
TRACE = [
    "2026-12-02T10:00:00Z app started",
    "error while executing at wasm backtrace:",
    "    0:  0x1f4 - <unknown>!compute_ratio",
    "    1:  0x221 - <unknown>!average_per_bucket",
]


def _read_until(proc: subprocess.Popen[bytes], wanted: bytes) -> bytes:
    """What the filter has written, once it contains `wanted`; fails only after HANG_BOUND_S."""
    assert proc.stdout is not None
    seen = b""
    began = time.monotonic()
    while wanted not in seen:
        assert time.monotonic() - began < HANG_BOUND_S, f"never saw {wanted!r}; saw {seen!r}"
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            assert chunk, f"the filter ended before {wanted!r}: {seen!r}"
            seen += chunk
    return seen


def _filter(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "wasmdbg", "symbolize", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip


def test_each_annotation_appears_before_the_input_ends() -> None:
    proc = _filter(str(MODULE))
    assert proc.stdin is not None
    try:
        for line in TRACE:
            proc.stdin.write(line.encode() + b"\n")
            proc.stdin.flush()
            time.sleep(0.05)
        # The input pauses, still open: the trace is annotated now, not at the end.
        seen = _read_until(proc, b"average_per_bucket at ./../c/divzero.c:22")
        assert b"app started\n" in seen and b"quotient at ./../c/divzero.c:13:18 (inlined)" in seen
        proc.stdin.write(b"a second trace follows\n")
        proc.stdin.write(b"error while executing at wasm backtrace:\n    0:  0x1f4 - <unknown>!compute_ratio\n")
        proc.stdin.flush()
        # Its lines and its annotation come at the next pause, the input still open.
        later = _read_until(proc, b"compute_ratio at ./../c/divzero.c:17")
        assert b"a second trace follows\n" in later
    finally:
        proc.stdin.close()
    assert proc.wait(HANG_BOUND_S) == 0


def test_json_mode_emits_each_frame_before_the_input_ends() -> None:
    proc = _filter("--format", "json", str(MODULE))
    assert proc.stdin is not None
    try:
        proc.stdin.write("\n".join(TRACE).encode() + b"\n")
        proc.stdin.flush()
        seen = _read_until(proc, b"average_per_bucket")
        frames = [json.loads(line) for line in seen.decode().splitlines() if line.strip()]
        assert [f["func_name"] for f in frames][:2] == ["compute_ratio", "average_per_bucket"]
    finally:
        proc.stdin.close()
    assert proc.wait(HANG_BOUND_S) == 0


def test_input_without_a_frame_says_so_on_stderr_and_exits_0() -> None:
    result = run_cli("symbolize", str(MODULE), "--input", str(SAMPLES / "README.md"))
    assert result.status == 0
    assert result.stdout == (SAMPLES / "README.md").read_text()
    assert result.stderr.count("\n") == 1 and "no wasm frame recognised" in result.stderr

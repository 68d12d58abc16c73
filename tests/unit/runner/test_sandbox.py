"""The sandbox grants nothing unasked: files outside grants stay unreadable, read-only grants stay unwritten."""

from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime

from tests.helpers import SAMPLES, wat
from wasmdbg.runner.engine import make_config
from wasmdbg.runner.invoke import call_export
from wasmdbg.runner.protocol import EXITED, RETURNED, Outcome
from wasmdbg.runner.grants import DirGrant, SandboxError, parse_dir_grant, parse_env
from wasmdbg.runner.sandbox import Sandbox

# Creates and writes "new.txt" in the first preopened directory (fd 3); exits with the WASI errno.
_WRITER = r"""
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "new.txt")
  (data (i32.const 32) "pwned")
  (func (export "_start") (local $errno i32)
    ;; oflags 1 = O_CREAT; rights fd_write (bit 6); the opened fd lands at address 16
    (local.set $errno (call $path_open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 7)
      (i32.const 1) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 16)))
    (if (local.get $errno) (then (call $exit (local.get $errno))))
    ;; one iovec at 48: {ptr 32, len 5}
    (i32.store (i32.const 48) (i32.const 32))
    (i32.store (i32.const 52) (i32.const 5))
    (call $exit (call $fd_write (i32.load (i32.const 16)) (i32.const 48) (i32.const 1) (i32.const 56)))))
"""

# Exits with the number of environment variables it was given.
_ENV_COUNTER = r"""
(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (drop (call $sizes (i32.const 0) (i32.const 4))) (call $exit (i32.load (i32.const 0)))))
"""


def run(module: bytes | Path, sandbox: Sandbox, tmp_path: Path) -> Outcome:
    engine = wasmtime.Engine(make_config())
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store.set_wasi(sandbox.wasi_config(str(tmp_path / "out"), str(tmp_path / "err")))
    compiled = (
        wasmtime.Module.from_file(engine, str(module)) if isinstance(module, Path) else wasmtime.Module(engine, module)
    )
    return call_export(store, linker.instantiate(store, compiled), "_start", [])


def test_a_read_only_grant_cannot_be_written(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "keep.txt").write_text("original")
    before = sorted(p.name for p in shared.iterdir())
    outcome = run(wat(_WRITER), Sandbox(("w",), dirs=(parse_dir_grant(f"{shared}::/data", writable=False),)), tmp_path)
    assert outcome.outcome == EXITED and outcome.exit_code not in (0, None)  # a WASI errno
    assert sorted(p.name for p in shared.iterdir()) == before and (shared / "keep.txt").read_text() == "original"


def test_a_read_write_grant_can_be_written(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    outcome = run(wat(_WRITER), Sandbox(("w",), dirs=(parse_dir_grant(f"{shared}::/data", writable=True),)), tmp_path)
    assert outcome == Outcome(EXITED, exit_code=0)
    assert (shared / "new.txt").read_text() == "pwned"


@pytest.mark.parametrize("path", ["/etc/passwd", "/data/../../etc/passwd", "../input.txt", "/data/../sample_modules"])
def test_files_outside_the_grants_cannot_be_read(path: str, tmp_path: Path) -> None:
    grant = DirGrant(str(SAMPLES / "data"), "/data", False)
    allowed = run(SAMPLES / "build" / "readfile.O0.wasm", Sandbox(("readfile", "/data/input.txt"), dirs=(grant,)), tmp_path)
    assert allowed.outcome in (EXITED, RETURNED) and allowed.exit_code in (0, None)
    denied = run(SAMPLES / "build" / "readfile.O0.wasm", Sandbox(("readfile", path), dirs=(grant,)), tmp_path)
    assert denied == Outcome(EXITED, exit_code=1)
    assert "root:" not in (tmp_path / "out").read_text()


def test_nothing_is_granted_by_default(tmp_path: Path) -> None:
    outcome = run(SAMPLES / "build" / "readfile.O0.wasm", Sandbox(("readfile", "/data/input.txt")), tmp_path)
    assert outcome == Outcome(EXITED, exit_code=1)
    assert run(wat(_ENV_COUNTER), Sandbox(("e",)), tmp_path) == Outcome(EXITED, exit_code=0)


def test_environment_holds_only_what_was_passed(tmp_path: Path) -> None:
    env = parse_env(["A=1", "HOME", "B=x=y"], {"HOME": "/home/u", "SECRET": "s"})
    assert env == (("A", "1"), ("HOME", "/home/u"), ("B", "x=y"))
    assert run(wat(_ENV_COUNTER), Sandbox(("e",), env=env), tmp_path) == Outcome(EXITED, exit_code=3)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda tmp: parse_dir_grant(str(tmp / "missing"), writable=False), "is not a directory"),
        (lambda tmp: parse_dir_grant(f"{tmp}::", writable=False), "expected HOST or HOST::GUEST"),
        (lambda tmp: parse_env(["UNSET_VARIABLE"], {}), "not set"),
        (lambda tmp: parse_env(["=x"], {}), "expected NAME"),
    ],
)
def test_bad_grants_are_errors(call: object, message: str, tmp_path: Path) -> None:
    with pytest.raises(SandboxError, match=message):
        call(tmp_path)  # type: ignore[operator]

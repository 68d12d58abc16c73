"""Guests that attack their host through `wasmdbg run`: limits hold, grants hold, nothing leaks.

Each guest is a WAT module written here (or a committed sample) run as a user would run it
(`harness.guarded`, or `launched` where the test must act while it runs): a memory bomb ends at the
cap, a stack bomb as a stack overflow, a call-free spin and guests blocked reading stdin at the
timeout, a flood of output at its timeout without filling the disk; raw WASI calls cannot leave a
granted directory, nor change anything in a read-only one; the guest sees no environment variable
and no argument it was not given.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.adversarial.harness import HANG_BOUND_S, Guarded, assert_contained, guarded
from tests.adversarial.test_engine_failure import gone, launched
from tests.helpers import ECHO_WAT, SAMPLES, wat

MIB = 1 << 20
TRAP = 134
"""README, `wasmdbg run`, "Exit status": any trap, timeout included."""
RSS_ALLOWANCE_MIB = 256
"""What the CLI and the agent may use besides the guest's linear memory (two interpreters and wasmtime)."""


def _module(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.wasm"
    path.write_bytes(wat(text))
    return path


def _report(result: Guarded) -> dict[str, object]:
    report = json.loads(result.stdout)
    assert isinstance(report, dict)
    return report


def _frames(report: dict[str, object]) -> list[str | None]:
    frames = report["frames"]
    assert isinstance(frames, list)
    return [frame["function"] for frame in frames]


# -- limits ---------------------------------------------------------------------------------------

# Grows its memory a MiB at a time, writing every byte of it, until memory.grow fails; then exits 7.
MEMORY_BOMB = r"""
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $old i32)
    (loop $grow
      (local.set $old (memory.grow (i32.const 16)))
      (if (i32.eq (local.get $old) (i32.const -1)) (then (call $exit (i32.const 7))))
      (memory.fill (i32.mul (local.get $old) (i32.const 65536)) (i32.const 1) (i32.const 1048576))
      (br $grow))))
"""


@pytest.mark.parametrize("cap_mib", [None, 64], ids=["default-cap", "max-memory-size=64MiB"])
def test_a_memory_bomb_ends_at_the_cap_and_the_report_says_so(cap_mib: int | None, tmp_path: Path) -> None:
    module = _module(tmp_path, "memory_bomb", MEMORY_BOMB)
    cap = (cap_mib or 512) * MIB  # README: the default cap is 512 MiB
    options = () if cap_mib is None else ("-W", f"max-memory-size={cap}")
    result = guarded("run", "--format", "json", "-W", "timeout=30s", *options, str(module))
    assert_contained(result, {7}, max_stderr_lines=0)
    report = _report(result)
    memory = report["memory"]
    assert isinstance(memory, dict)
    peak = memory["peak_pages"] * memory["page_bytes"]
    assert (report["outcome"], report["exit_code"], memory["limit_bytes"]) == ("exited", 7, cap), report
    assert cap - 2 * MIB < peak <= cap and "memory" in report["limits_hit"], memory  # the guest had all it may have
    assert result.peak_mib < cap / MIB + RSS_ALLOWANCE_MIB, f"peak RSS {result.peak_mib:.0f} MiB for a {cap / MIB:.0f} MiB cap"
    text = guarded("run", "-W", "timeout=30s", *options, str(module))
    assert_contained(text, {7}, max_stderr_lines=24)
    assert "(cap hit)" in text.err and "max-memory-size" in text.err, text.err


# Recursion without end; every 256th level writes one byte, so the output says how deep it went.
STACK_BOMB = r"""
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 32) "d")
  (func $down (param $depth i32) (result i32)
    (if (i32.eqz (i32.and (local.get $depth) (i32.const 255)))
      (then
        (i32.store (i32.const 48) (i32.const 32)) (i32.store (i32.const 52) (i32.const 1))
        (drop (call $write (i32.const 1) (i32.const 48) (i32.const 1) (i32.const 24)))))
    (i32.add (call $down (i32.add (local.get $depth) (i32.const 1))) (i32.const 1)))
  (func (export "_start") (drop (call $down (i32.const 1)))))
"""


def test_a_stack_bomb_ends_as_a_stack_overflow_within_the_stack_limit(tmp_path: Path) -> None:
    module = _module(tmp_path, "stack_bomb", STACK_BOMB)
    depths = {}
    for stack in (None, 65536):
        options = () if stack is None else ("-W", f"max-wasm-stack={stack}")
        result = guarded("run", "--format", "json", *options, str(module))
        assert_contained(result, {TRAP}, max_stderr_lines=0)
        report = _report(result)
        assert (report["outcome"], report["exit_status"]) == ("trapped", TRAP), report
        assert report["trap"]["kind"] == "stack_overflow" and report["frames_truncated"], report["trap"]
        assert set(_frames(report)) == {"down"}, _frames(report)
        depths[stack] = len(str(report["stdout"]))
    # A smaller max-wasm-stack is in force: the recursion stops (much) earlier than under the default 512 KiB.
    assert 0 < depths[65536] * 2 < depths[None], depths
    text = guarded("run", str(SAMPLES / "build" / "stackoverflow.O0.wasm"))
    assert_contained(text, {TRAP}, max_stderr_lines=40)
    assert "stack_overflow" in text.err and "walk_tree" in text.err, text.err


# A loop without a call in it: only the engine's epoch checks can stop it.
SPIN = r"""
(module
  (func $spin (loop $forever (br $forever)))
  (func (export "_start") (call $spin)))
"""


def test_a_call_free_spin_ends_at_the_timeout_with_where_it_was(tmp_path: Path) -> None:
    result = guarded("run", "--format", "json", "-W", "timeout=2s", str(_module(tmp_path, "spin", SPIN)))
    assert_contained(result, {TRAP}, max_stderr_lines=0)
    report = _report(result)
    assert (report["outcome"], report["exit_status"], report["limits_hit"]) == ("timeout", TRAP, ["timeout"]), report
    # The engine stopped it (not wasmdbg ending the agent), so the frames are known.
    assert report["ended_by_parent"] is False and _frames(report) == ["spin", "_start"], report
    text = guarded("run", "-W", "timeout=2s", str(SAMPLES / "build" / "spin.O0.wasm"))
    assert_contained(text, {TRAP}, max_stderr_lines=24)
    assert text.stdout == b"spinning forever\n" and "timeout" in text.err and "spin_forever" in text.err, text.err


def test_a_spin_ends_when_its_fuel_is_spent(tmp_path: Path) -> None:
    result = guarded("run", "--format", "json", "-W", "fuel=1000000", str(_module(tmp_path, "spin", SPIN)))
    assert_contained(result, {TRAP}, max_stderr_lines=0)
    report = _report(result)
    assert report["outcome"] == "trapped", report
    assert (report["trap"]["kind"], report["limits_hit"]) == ("out_of_fuel", ["fuel"]), report
    assert report["fuel_consumed"] == 1000000 and _frames(report)[0] == "spin", report


# -- blocking reads -------------------------------------------------------------------------------


def _assert_ended_by_wasmdbg_at_the_timeout(result: Guarded, agents: set[int]) -> None:
    assert_contained(result, {TRAP}, max_stderr_lines=0)
    report = _report(result)
    assert (report["outcome"], report["exit_status"], report["ended_by_parent"]) == ("timeout", TRAP, True), report
    assert str(report["message"]).startswith("timeout after 2 s") and "blocked" in str(report["message"]), report
    assert all(gone(pid) for pid in agents), f"an agent of {sorted(agents)} outlived wasmdbg"


@pytest.mark.parametrize("writer", [False, True], ids=["no-writer", "silent-writer"])
def test_a_guest_blocked_on_a_fifo_stdin_ends_at_the_timeout(writer: bool, tmp_path: Path) -> None:
    # Without a writer the agent blocks opening the FIFO; with a silent one, the guest in fd_read.
    fifo = tmp_path / "stdin.fifo"
    os.mkfifo(fifo)
    held = os.open(fifo, os.O_RDWR | os.O_NONBLOCK) if writer else None
    try:
        with launched("run", "--format", "json", "-W", "timeout=2s", "--stdin", str(fifo), str(_module(tmp_path, "echo", ECHO_WAT))) as run:
            run.running_agent(started=writer)  # without a writer, the agent never gets as far as the output files
            result = run.finish()
            _assert_ended_by_wasmdbg_at_the_timeout(result, run.seen)
    finally:
        if held is not None:
            os.close(held)


def test_a_guest_blocked_on_wasmdbgs_own_stdin_pipe_ends_at_the_timeout(tmp_path: Path) -> None:
    module = _module(tmp_path, "echo", ECHO_WAT)
    with launched("run", "--format", "json", "-W", "timeout=2s", "--stdin", "-", str(module), stdin=subprocess.PIPE) as run:
        run.running_agent()
        result = run.finish()  # the pipe is still open: nothing was written, nothing closed
        assert run.process.stdin is not None and not run.process.stdin.closed
        _assert_ended_by_wasmdbg_at_the_timeout(result, run.seen)


# -- output ---------------------------------------------------------------------------------------

# Writes a 1 MiB buffer to stdout 3072 times (3 GiB) unless stopped first.
FLOOD = r"""
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 17)
  (func (export "_start") (local $i i32)
    (memory.fill (i32.const 65536) (i32.const 0x41) (i32.const 1048576))
    (i32.store (i32.const 0) (i32.const 65536)) (i32.store (i32.const 4) (i32.const 1048576))
    (loop $again
      (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 3072))))))
"""
DISK_BOUND = 128 * MIB
"""Disk the guest's output files may take at any moment: what it writes between two of the agent's
forwarding steps (10 ms apart, `PUMP_INTERVAL_S`), far less than the gigabytes it writes in all."""


def test_gigabytes_of_output_end_at_the_timeout_without_filling_the_disk(tmp_path: Path) -> None:
    module = _module(tmp_path, "flood", FLOOD)
    on_disk = 0
    with launched("run", "--format", "json", "-W", "timeout=6s", str(module)) as run:
        end = time.monotonic() + HANG_BOUND_S
        while run.process.poll() is None and time.monotonic() < end:
            # wasmtime writes guest output to files the agent has already unlinked: only its
            # descriptors show them, and their allocated blocks are the disk they take.
            for path in run.output_files():
                try:
                    on_disk = max(on_disk, os.stat(path).st_blocks * 512)
                except OSError:
                    pass  # closed meanwhile
            time.sleep(0.02)
        result = run.finish()
    assert_contained(result, {TRAP, 0}, max_stderr_lines=0)
    report = _report(result)
    assert report["outcome"] in ("timeout", "returned"), report["outcome"]  # 3 GiB may all be written first
    forwarded, dropped = str(report["stdout"]), report["stdout_dropped"]
    assert isinstance(dropped, int)
    assert forwarded == "A" * MIB, len(forwarded)  # the agent forwards 1 MiB; the rest is counted
    assert dropped > 2 * DISK_BOUND, f"the guest wrote only {dropped} bytes: too few to tell"  # 43 MB/s suffice
    assert on_disk <= DISK_BOUND, f"the guest's output took {on_disk / MIB:.0f} MiB of disk (it wrote {dropped / MIB:.0f} MiB)"
    assert result.peak_mib < RSS_ALLOWANCE_MIB, f"peak RSS {result.peak_mib:.0f} MiB"


# -- grants ---------------------------------------------------------------------------------------

FD_READ, FD_WRITE = 1 << 1, 1 << 6
"""WASI rights."""
O_CREAT, O_TRUNC = 1, 8
"""WASI oflags."""

_WASI = """
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file" (func $path_unlink_file (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory" (func $path_create_directory (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_remove_directory" (func $path_remove_directory (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename" (func $path_rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_set_times"
    (func $path_filestat_set_times (param i32 i32 i32 i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink" (func $path_symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 32) "pwned")
"""
_OPEN = """
    (local.set $e (call $path_open (i32.const 3) (i32.const 1) (i32.const 1024) (i32.const {n})
      (i32.const {oflags}) (i64.const {rights}) (i64.const 0) (i32.const 0) (i32.const 16)))
    (if (local.get $e) (then (call $exit (local.get $e))))"""
_BODIES = {
    # the file's first 4 KiB to stdout
    "read": _OPEN + """
    (i32.store (i32.const 48) (i32.const 4096)) (i32.store (i32.const 52) (i32.const 4096))
    (local.set $e (call $fd_read (i32.load (i32.const 16)) (i32.const 48) (i32.const 1) (i32.const 24)))
    (if (local.get $e) (then (call $exit (local.get $e))))
    (i32.store (i32.const 52) (i32.load (i32.const 24)))
    (drop (call $fd_write (i32.const 1) (i32.const 48) (i32.const 1) (i32.const 24)))
    (call $exit (i32.const 0))""",
    # "pwned" into the file
    "write": _OPEN + """
    (i32.store (i32.const 48) (i32.const 32)) (i32.store (i32.const 52) (i32.const 5))
    (call $exit (call $fd_write (i32.load (i32.const 16)) (i32.const 48) (i32.const 1) (i32.const 24)))""",
    "open": _OPEN + "\n    (call $exit (i32.const 0))",
    "unlink": "(call $exit (call $path_unlink_file (i32.const 3) (i32.const 1024) (i32.const {n})))",
    "mkdir": "(call $exit (call $path_create_directory (i32.const 3) (i32.const 1024) (i32.const {n})))",
    "rmdir": "(call $exit (call $path_remove_directory (i32.const 3) (i32.const 1024) (i32.const {n})))",
    "rename": """(call $exit (call $path_rename (i32.const 3) (i32.const 1024) (i32.const {n})
      (i32.const 3) (i32.const 2048) (i32.const {n2})))""",
    # atime and mtime to the epoch (fst_flags ATIM | MTIM)
    "settimes": """(call $exit (call $path_filestat_set_times (i32.const 3) (i32.const 1) (i32.const 1024) (i32.const {n})
      (i64.const 0) (i64.const 0) (i32.const 5)))""",
    # a link named PATH pointing at OTHER
    "symlink": "(call $exit (call $path_symlink (i32.const 2048) (i32.const {n2}) (i32.const 3) (i32.const 1024) (i32.const {n})))",
}


@dataclass(frozen=True)
class Attempt:
    """One WASI call on the first granted directory (fd 3); the guest exits with its errno, 0 if it worked."""

    op: str
    path: str
    other: str = ""
    """The second path: the new name of `rename`, the target of `symlink`."""
    oflags: int = 0
    rights: int = FD_WRITE

    def module(self, tmp_path: Path) -> Path:
        def data(at: int, text: str) -> str:
            escaped = "".join(f"\\{b:02x}" for b in text.encode())  # every byte escaped: any path is valid WAT
            return f'(data (i32.const {at}) "{escaped}")' if text else ""

        body = _BODIES[self.op].format(n=len(self.path.encode()), n2=len(self.other.encode()), oflags=self.oflags, rights=self.rights)
        text = f"(module {_WASI} {data(1024, self.path)} {data(2048, self.other)}\n  (func (export \"_start\") (local $e i32)\n    {body}))"
        return _module(tmp_path, "attempt", text)


SECRET = b"SECRET-TOKEN-7f3a9c\n"
KEPT = b"original bytes of a granted file\n"
OLD = 1_000_000_000
"""An mtime in 2001: any write, truncation or utime of a file or directory moves it."""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """root/grant (keep.txt, sub/, links in and out) and root/secret.txt, every mtime in 2001."""
    root = tmp_path / "root"
    grant = root / "grant"
    (grant / "sub").mkdir(parents=True)
    (grant / "keep.txt").write_bytes(KEPT)
    (root / "secret.txt").write_bytes(SECRET)
    (grant / "link-out").symlink_to("../secret.txt")
    (grant / "link-abs").symlink_to(root / "secret.txt")
    (grant / "link-in").symlink_to("keep.txt")
    for path in [*root.rglob("*"), root]:
        os.utime(path, (OLD, OLD), follow_symlinks=False)
    return root


def _snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Every entry under `root` (itself included): its kind, contents or link target, and mtime."""
    out: dict[str, tuple[object, ...]] = {}
    for path in [root, *root.rglob("*")]:
        info = path.lstat()
        if path.is_symlink():
            out[str(path.relative_to(root))] = ("link", os.readlink(path), info.st_mtime_ns)
        elif path.is_dir():
            out[str(path.relative_to(root))] = ("dir", info.st_mtime_ns)
        else:
            out[str(path.relative_to(root))] = ("file", path.read_bytes(), info.st_mtime_ns)
    return out


def _attempt(attempt: Attempt, tree: Path, tmp_path: Path, *, writable: bool) -> Guarded:
    flag = "--dir-rw" if writable else "--dir"
    result = guarded("run", "--format", "json", flag, f"{tree / 'grant'}::/data", str(attempt.module(tmp_path)))
    assert_contained(result, set(range(256)), max_stderr_lines=0)
    return result


def _assert_refused(attempt: Attempt, result: Guarded, tree: Path, before: dict[str, tuple[object, ...]]) -> None:
    report = _report(result)
    assert report["outcome"] == "exited" and 0 < result.status <= 76, f"{attempt}: {report['outcome']} {result.status}"  # a WASI errno
    assert _snapshot(tree) == before, f"{attempt} changed the host's files"
    assert SECRET.strip() not in result.stdout, f"{attempt} read the secret"


REFUSED_READ_ONLY = {
    "O_TRUNC": Attempt("write", "keep.txt", oflags=O_TRUNC),
    "O_TRUNC-without-write-rights": Attempt("open", "keep.txt", oflags=O_TRUNC, rights=FD_READ),
    "O_TRUNC-trailing-slash": Attempt("write", "keep.txt/", oflags=O_TRUNC),
    "write-in-place": Attempt("write", "keep.txt"),
    "O_CREAT": Attempt("write", "new.txt", oflags=O_CREAT),
    "O_CREAT-through-link": Attempt("write", "link-in", oflags=O_CREAT | O_TRUNC),
    "unlink": Attempt("unlink", "keep.txt"),
    "mkdir": Attempt("mkdir", "made"),
    "rmdir": Attempt("rmdir", "sub"),
    "rename": Attempt("rename", "keep.txt", "moved.txt"),
    "utimes": Attempt("settimes", "keep.txt"),
    "symlink": Attempt("symlink", "made-link", "keep.txt"),
}


@pytest.mark.parametrize("name", sorted(REFUSED_READ_ONLY))
def test_a_read_only_grant_refuses_every_change(name: str, tree: Path, tmp_path: Path) -> None:
    attempt = REFUSED_READ_ONLY[name]
    before = _snapshot(tree)
    _assert_refused(attempt, _attempt(attempt, tree, tmp_path, writable=False), tree, before)


# The same guests do what they say under --dir-rw: the refusals above are the grant's, not the guests' failures.
DONE_READ_WRITE: dict[str, tuple[Attempt, Callable[[Path], bool]]] = {
    "O_TRUNC": (REFUSED_READ_ONLY["O_TRUNC"], lambda g: (g / "keep.txt").read_bytes() == b"pwned"),
    "write-in-place": (REFUSED_READ_ONLY["write-in-place"], lambda g: (g / "keep.txt").read_bytes() == b"pwned" + KEPT[5:]),
    "O_CREAT": (REFUSED_READ_ONLY["O_CREAT"], lambda g: (g / "new.txt").read_bytes() == b"pwned"),
    "unlink": (REFUSED_READ_ONLY["unlink"], lambda g: not (g / "keep.txt").exists()),
    "mkdir": (REFUSED_READ_ONLY["mkdir"], lambda g: (g / "made").is_dir()),
    "rmdir": (REFUSED_READ_ONLY["rmdir"], lambda g: not (g / "sub").exists()),
    "rename": (REFUSED_READ_ONLY["rename"], lambda g: (g / "moved.txt").read_bytes() == KEPT),
    "utimes": (REFUSED_READ_ONLY["utimes"], lambda g: (g / "keep.txt").stat().st_mtime_ns == 0),
    "symlink": (REFUSED_READ_ONLY["symlink"], lambda g: os.readlink(g / "made-link") == "keep.txt"),
}


@pytest.mark.parametrize("name", sorted(DONE_READ_WRITE))
def test_the_same_changes_are_made_under_dir_rw(name: str, tree: Path, tmp_path: Path) -> None:
    attempt, done = DONE_READ_WRITE[name]
    result = _attempt(attempt, tree, tmp_path, writable=True)
    assert result.status == 0, f"{attempt}: exit {result.status}"
    assert done(tree / "grant"), f"{attempt} did not do what it says"
    assert (tree / "secret.txt").read_bytes() == SECRET


ESCAPES: dict[str, tuple[Attempt, bool]] = {
    # name: (attempt, under --dir-rw)
    "dotdot": (Attempt("read", "../secret.txt", rights=FD_READ), False),
    "dotdot-through-a-subdir": (Attempt("read", "sub/../../secret.txt", rights=FD_READ), False),
    "guest-absolute": (Attempt("read", "/data/../../secret.txt", rights=FD_READ), False),
    "host-absolute": (Attempt("read", "HOST/secret.txt", rights=FD_READ), False),
    "symlink-out": (Attempt("read", "link-out", rights=FD_READ), False),
    "absolute-symlink-out": (Attempt("read", "link-abs", rights=FD_READ), False),
    "trailing-slash-on-a-file": (Attempt("read", "keep.txt/", rights=FD_READ), False),
    "rw-O_CREAT-dotdot": (Attempt("write", "../escaped.txt", oflags=O_CREAT), True),
    "rw-O_TRUNC-symlink-out": (Attempt("write", "link-out", oflags=O_TRUNC), True),
    "rw-O_TRUNC-trailing-slash": (Attempt("write", "keep.txt/", oflags=O_TRUNC), True),
    "rw-unlink-dotdot": (Attempt("unlink", "../secret.txt"), True),
    "rw-rename-out": (Attempt("rename", "keep.txt", "../moved.txt"), True),
    "rw-utimes-symlink-out": (Attempt("settimes", "link-out"), True),
}


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_paths_out_of_a_grant_are_refused(name: str, tree: Path, tmp_path: Path) -> None:
    attempt, writable = ESCAPES[name]
    if attempt.path.startswith("HOST/"):
        attempt = Attempt(attempt.op, str(tree) + attempt.path.removeprefix("HOST"), rights=attempt.rights)
    before = _snapshot(tree)
    _assert_refused(attempt, _attempt(attempt, tree, tmp_path, writable=writable), tree, before)


@pytest.mark.parametrize("path", ["keep.txt", "link-in", "sub/../keep.txt"])
def test_a_file_inside_the_grant_is_read(path: str, tree: Path, tmp_path: Path) -> None:
    result = _attempt(Attempt("read", path, rights=FD_READ), tree, tmp_path, writable=False)
    assert result.status == 0 and _report(result)["stdout"] == KEPT.decode(), result.stdout[-500:]


@pytest.mark.parametrize("path", ["/data/../secret.txt", "HOST/secret.txt", "/data/link-out", "/data/keep.txt"])
def test_wasi_libc_paths_out_of_a_grant_are_refused(path: str, tree: Path) -> None:
    # wasi-libc maps absolute paths to the preopen whose name prefixes them, as a C program sees it.
    path = path.replace("HOST", str(tree))
    readfile = SAMPLES / "build" / "readfile.O0.wasm"
    result = guarded("run", "--format", "json", "--dir", f"{tree / 'grant'}::/data", str(readfile), path)
    assert_contained(result, {0, 1}, max_stderr_lines=0)
    report = _report(result)
    if path == "/data/keep.txt":  # the control: a granted file is read
        assert (result.status, report["stdout"]) == (0, KEPT.decode()), report
    else:
        assert result.status == 1 and report["stdout"] == "" and "readfile:" in str(report["stderr"]), report
        assert SECRET.strip() not in result.stdout


# -- environment and arguments ---------------------------------------------------------------------

# Writes its arguments (NUL-terminated) to stdout and its environment to stderr.
ARGS_AND_ENV = r"""
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $env (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $args_sizes (i32.const 0) (i32.const 4)))
    (drop (call $args (i32.const 1024) (i32.const 8192)))
    (i32.store (i32.const 48) (i32.const 8192)) (i32.store (i32.const 52) (i32.load (i32.const 4)))
    (drop (call $write (i32.const 1) (i32.const 48) (i32.const 1) (i32.const 24)))
    (drop (call $env_sizes (i32.const 0) (i32.const 4)))
    (drop (call $env (i32.const 1024) (i32.const 16384)))
    (i32.store (i32.const 48) (i32.const 16384)) (i32.store (i32.const 52) (i32.load (i32.const 4)))
    (drop (call $write (i32.const 2) (i32.const 48) (i32.const 1) (i32.const 24)))))
"""
TOKEN = "hunter2-5b1e"


@pytest.mark.parametrize(
    ("options", "env"),
    [((), []), (("--env", "SECRET"), [f"SECRET={TOKEN}"]), (("--env", "OTHER=1"), ["OTHER=1"])],
    ids=["nothing-passed", "env-SECRET", "env-OTHER"],
)
def test_the_guest_sees_only_the_arguments_and_variables_it_was_given(options: tuple[str, ...], env: list[str], tmp_path: Path) -> None:
    module = _module(tmp_path, "args_env", ARGS_AND_ENV)
    # Everything after MODULE is the guest's, wasmdbg's own options included.
    guest_args = ["a b", "--env", "SECRET", "--dir", "/"]
    result = guarded("run", "--format", "json", *options, str(module), *guest_args, env={"SECRET": TOKEN})
    assert_contained(result, {0}, max_stderr_lines=0)
    report = _report(result)
    assert str(report["stdout"]).split("\0")[:-1] == [module.name, *guest_args], report["stdout"]
    assert [v for v in str(report["stderr"]).split("\0") if v] == env, report["stderr"]
    if not env or env[0] != f"SECRET={TOKEN}":
        assert TOKEN.encode() not in result.stdout + result.stderr

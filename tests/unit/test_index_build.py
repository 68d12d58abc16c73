"""Building the DWARF index in the background: progress reports, cancellation, and what is left after.

The real sample is panic.O0.wasm (a Rust build with 64 units and a 5.5 MB `.debug_info`, seconds
to index cold), so a cancel lands mid-build. Only hangs are bounded (joins time out at 10 s);
no test asserts how fast anything is.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import SAMPLES
from wasmdbg.dwarf import cache, isolate
from wasmdbg.dwarf.index import DwarfIndex
from wasmdbg.dwarf.isolate import DwarfBuildCancelled, DwarfBuildError, build_index_bytes
from wasmdbg.dwarf.progress import READING_UNITS, RESOLVING_NAMES, WRITING_INDEX, IndexProgress
from wasmdbg.symbols.debug_files import find_debug_info
from wasmdbg.symbols.symbolizer import SymbolizeOptions, Symbolizer
from wasmdbg.wasm.module import WasmModule, read_module

BUILD = SAMPLES / "build"
PANIC = BUILD / "panic.O0.wasm"
SMALL = BUILD / "divzero.O0.wasm"
HANG_S = 10.0


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(directory))
    return directory


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    """Every child process the index build starts during the test."""
    children: list[subprocess.Popen[bytes]] = []
    real = subprocess.Popen

    class Recording(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            children.append(self)

    monkeypatch.setattr(subprocess, "Popen", Recording)  # the module isolate.py starts its child with
    return children


def _module(path: Path) -> WasmModule:
    return read_module(path.read_bytes())


def _sections(path: Path) -> dict[str, bytes]:
    return find_debug_info(_module(path), str(path), None).dwarf_sections()


def _assert_gone(child: subprocess.Popen[bytes]) -> None:
    """The child exited and was reaped: not running, and no zombie left for its pid."""
    assert child.returncode is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)
    for stream in (child.stdin, child.stdout, child.stderr):
        assert stream is None or stream.closed


def _assert_nothing_left(directory: Path) -> None:
    left = sorted(p.name for p in directory.iterdir()) if directory.exists() else []
    assert not [name for name in left if name.endswith(".failed") or name.startswith(".tmp-")], left


def test_progress_is_reported_in_order_when_the_index_is_built(
    private_cache: Path, spawned: list[subprocess.Popen[bytes]]
) -> None:
    seen: list[tuple[IndexProgress, int]] = []
    built = Symbolizer.for_module(
        _module(PANIC), str(PANIC), SymbolizeOptions(),
        on_progress=lambda p: seen.append((p, threading.get_ident())),
    )  # fmt: skip
    assert built.index is not None and not built.notes
    progress = [p for p, _ in seen]
    assert {thread for _, thread in seen} == {threading.get_ident()}  # called in the calling thread
    done = [p.units_done for p in progress]
    assert done == sorted(done) and len(set(done)) >= 2
    total = progress[0].units_total
    assert total is not None and total > 1 and all(p.units_total == total for p in progress)
    assert progress[0] == IndexProgress(0, total, READING_UNITS)
    assert [p.phase for p in progress[-2:]] == [RESOLVING_NAMES, WRITING_INDEX]
    assert progress[-1].units_done == total and progress[-1].fraction == 1.0
    assert {p.phase for p in progress} == {READING_UNITS, RESOLVING_NAMES, WRITING_INDEX}
    (child,) = spawned
    _assert_gone(child)

    again: list[IndexProgress] = []
    cached = Symbolizer.for_module(_module(PANIC), str(PANIC), SymbolizeOptions(), on_progress=again.append)
    assert again == [] and len(spawned) == 1  # a cache hit builds nothing and reports nothing
    assert cached.index is not None and cached.index.find_frames(0x100) == built.index.find_frames(0x100)


def test_a_build_cancelled_from_another_thread_stops_and_is_not_remembered_when_in_flight(
    private_cache: Path, spawned: list[subprocess.Popen[bytes]]
) -> None:
    cancel = threading.Event()
    reported = threading.Event()
    outcome: list[BaseException | Symbolizer] = []

    def build() -> None:
        try:
            outcome.append(
                Symbolizer.for_module(
                    _module(PANIC), str(PANIC), SymbolizeOptions(), cancel=cancel,
                    on_progress=lambda _: reported.set(),
                )  # fmt: skip
            )
        except BaseException as error:  # handed to the test thread
            outcome.append(error)

    worker = threading.Thread(target=build, daemon=True)
    worker.start()
    assert reported.wait(HANG_S), "no progress before the build finished or hung"
    cancel.set()
    worker.join(HANG_S)
    assert not worker.is_alive(), "the cancelled build did not return"
    (error,) = outcome
    assert isinstance(error, DwarfBuildCancelled) and not isinstance(error, DwarfBuildError)
    (child,) = spawned
    _assert_gone(child)
    _assert_nothing_left(private_cache)

    later = Symbolizer.for_module(_module(PANIC), str(PANIC), SymbolizeOptions())
    assert later.index is not None and not later.notes  # built afresh, not a remembered failure
    key = cache.cache_key(later.debug.dwarf_sections(), split_dir=str(PANIC.resolve().parent))
    assert isinstance(cache.load(key), DwarfIndex)
    assert not list(private_cache.glob("*.failed"))


def test_a_cancel_set_before_the_build_starts_no_child(spawned: list[subprocess.Popen[bytes]]) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(DwarfBuildCancelled):
        build_index_bytes(_sections(SMALL), "k", cancel=cancel)
    assert spawned == []


def test_a_cancelled_build_raises_out_of_for_module_when_the_cache_is_off(
    spawned: list[subprocess.Popen[bytes]],
) -> None:
    cancel = threading.Event()

    def stop(progress: IndexProgress) -> None:
        cancel.set()  # from the build's own thread: the next poll sees it

    with pytest.raises(DwarfBuildCancelled):
        Symbolizer.for_module(_module(PANIC), str(PANIC), SymbolizeOptions(use_cache=False), cancel=cancel, on_progress=stop)
    (child,) = spawned
    _assert_gone(child)


def test_an_error_in_on_progress_kills_the_child_when_raised(spawned: list[subprocess.Popen[bytes]]) -> None:
    def fail(progress: IndexProgress) -> None:
        raise KeyError("from the callback")

    with pytest.raises(KeyError, match="from the callback"):
        build_index_bytes(_sections(PANIC), "k", on_progress=fail)
    (child,) = spawned
    _assert_gone(child)


def test_the_wall_clock_budget_still_kills_the_child_when_it_runs_out(
    spawned: list[subprocess.Popen[bytes]],
) -> None:
    with pytest.raises(DwarfBuildError, match="longer than"):
        build_index_bytes(_sections(PANIC), "k", timeout_s=0.5)
    (child,) = spawned
    _assert_gone(child)


def test_the_memory_limit_still_applies_when_progress_is_reported(spawned: list[subprocess.Popen[bytes]]) -> None:
    # Far below what this build needs. At some limits like this one the child's interpreter spins
    # at the cap instead of raising MemoryError (CPython < 3.13): the parent's watch ends it.
    with pytest.raises(DwarfBuildError, match="(?i)memory"):
        build_index_bytes(_sections(PANIC), "k", memory_bytes=60 << 20, on_progress=lambda _: None)
    (child,) = spawned
    _assert_gone(child)


def test_a_small_build_reports_every_phase_when_it_succeeds() -> None:
    seen: list[IndexProgress] = []
    data = build_index_bytes(_sections(SMALL), "k", on_progress=seen.append)
    assert DwarfIndex.from_bytes(data, "k").notes == []
    assert [p.phase for p in seen][0] == READING_UNITS and seen[-1].phase == WRITING_INDEX


@pytest.mark.parametrize(
    "progress",
    [IndexProgress(0, None, READING_UNITS), IndexProgress(3, 64, "line tables"), IndexProgress(64, 64, WRITING_INDEX)],
)
def test_progress_lines_round_trip_when_encoded(progress: IndexProgress) -> None:
    line = isolate.encode_progress(progress)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert isolate.decode_progress(line.rstrip(b"\n")) == progress


@pytest.mark.parametrize("line", [b"", b"garbage", b"1 2", b"-1 2 x", b"1 two x", b"\xff\xfe 1 x"])
def test_a_line_that_is_not_progress_is_ignored_when_decoded(line: bytes) -> None:
    assert isolate.decode_progress(line) is None


def test_fraction_is_none_without_a_total_and_clamped_with_one() -> None:
    assert IndexProgress(3, None, READING_UNITS).fraction is None
    assert IndexProgress(1, 4, READING_UNITS).fraction == 0.25
    assert IndexProgress(9, 4, READING_UNITS).fraction == 1.0
    assert IndexProgress(0, 0, WRITING_INDEX).fraction == 1.0


def test_progress_module_uses_the_standard_library_only() -> None:
    code = "import sys, wasmdbg.dwarf.progress; print(sorted(m for m in sys.modules if m.startswith(('elftools', 'wasmdbg.'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['wasmdbg.dwarf', 'wasmdbg.dwarf.progress']"


def test_a_build_out_of_memory_says_so_in_one_line() -> None:
    # 140 MiB of address space lets the child start and read (120 does here), not build panic.O0's
    # index (200 does): the reason must be the child's own line, whatever the dying interpreter printed.
    with pytest.raises(DwarfBuildError) as raised:
        build_index_bytes(_sections(PANIC), memory_bytes=140 << 20)
    assert str(raised.value) == "reading the DWARF needed more than 140 MiB of memory"


_AT_THE_CAP = """
import resource, sys
size = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[20])
resource.setrlimit(resource.RLIMIT_AS, (size + (256 << 10), size + (256 << 10)))
print(size + (256 << 10), flush=True)
while True:
    pass
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="the watch reads /proc (Linux)")
def test_a_child_pinned_at_its_cap_is_taken_as_out_of_memory_and_one_far_below_is_not() -> None:
    proc = subprocess.Popen([sys.executable, "-c", _AT_THE_CAP], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        limit = int(proc.stdout.readline())
        pinned, roomy = isolate._AtTheCap(proc.pid, limit), isolate._AtTheCap(proc.pid, limit + (64 << 20))
        assert pinned() is False  # the first look starts the clock; only staying there counts
        deadline = time.monotonic() + HANG_S
        while not pinned():
            assert time.monotonic() < deadline and proc.poll() is None
            assert roomy() is False
            time.sleep(0.05)
        assert isolate.address_space_size(f"/proc/{proc.pid}/stat") == pytest.approx(limit, abs=isolate._CAP_MARGIN)
    finally:
        proc.kill()
        proc.wait()
    assert isolate.address_space_size(f"/proc/{proc.pid}/stat") is None  # reaped: nothing to read

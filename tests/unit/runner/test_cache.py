"""wasmtime's compile cache under wasmdbg's cache directory: filled by a run, never a reason for one to fail."""

from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime

from tests.helpers import SAMPLES
from wasmdbg.runner import cache
from wasmdbg.runner import protocol as p
from wasmdbg.runner.client import Agent
from wasmdbg.runner.limits import RunLimits
from wasmdbg.session.live import LiveRun, RunRequest

HELLO = SAMPLES / "build" / "hello.O2.wasm"


def _run(request: RunRequest = RunRequest()) -> p.Finished:
    with LiveRun(str(HELLO), request) as live:
        return live.wait()


def _cached_files(root: Path) -> list[Path]:
    return [f for f in (root / "wasmtime").rglob("*") if f.is_file()] if (root / "wasmtime").is_dir() else []


def test_a_run_fills_the_wasmtime_cache_in_wasmdbgs_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    assert _run().outcome.outcome in (p.EXITED, p.RETURNED)
    first = _cached_files(tmp_path)
    assert first, "the compiled module was not cached"
    # A second run finds it (the same files, no new entry) and runs the same.
    assert _run().outcome.outcome in (p.EXITED, p.RETURNED)
    assert {f.name for f in _cached_files(tmp_path) if not f.name.startswith(".")} >= {f.name for f in first if not f.name.startswith(".")}


def test_no_cache_leaves_the_directory_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    assert _run(RunRequest(compile_cache=False)).outcome.outcome in (p.EXITED, p.RETURNED)
    assert not _cached_files(tmp_path)


def test_an_unusable_cache_dir_still_runs_the_guest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(cache.CACHE_ENV, str(blocker / "cache"))  # cannot be created, even by root
    with Agent() as agent:
        agent.send(p.Start(module=str(HELLO), argv=("hello",), output_dir=agent.output_dir, limits=RunLimits(timeout_s=30)))
        finished = None
        while finished is None:
            event = agent.next_event(60)
            assert event is not None, "the agent never finished"
            if isinstance(event, p.Finished):
                finished = event
    assert finished.outcome.outcome in (p.EXITED, p.RETURNED), finished.outcome
    assert cache.write_config() is None


def test_wasmtime_accepts_the_configuration_wasmdbg_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # wasmtime 33 removed `enabled` from the [cache] table; the file must be the form this wasmtime reads.
    odd = tmp_path / 'dir "with" \\ quotes'
    monkeypatch.setenv(cache.CACHE_ENV, str(odd))
    path = cache.write_config()
    assert path is not None and Path(path).parent == odd
    config = wasmtime.Config()
    config.cache = path
    assert cache.enable(wasmtime.Config())
    assert cache.compile_cache_dir() == odd / "wasmtime"



@pytest.mark.parametrize("loose", ["root", "wasmtime"])
def test_a_cache_dir_others_can_write_is_never_used(loose: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # wasmtime runs the machine code it finds in its cache: a directory another user may write to
    # would let them run code as this user, so the run compiles instead and stores nothing there.
    root = tmp_path / "shared-cache"
    (root / "wasmtime").mkdir(parents=True)
    (root if loose == "root" else root / "wasmtime").chmod(0o777 if loose == "root" else 0o770)
    monkeypatch.setenv(cache.CACHE_ENV, str(root))
    assert cache.write_config() is None and not cache.enable(wasmtime.Config())
    assert _run().outcome.outcome in (p.EXITED, p.RETURNED)
    assert not _cached_files(root) and not (root / "wasmtime-cache.toml").exists()


def test_a_cache_dir_wasmdbg_creates_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "new"))
    assert cache.write_config() is not None
    assert (tmp_path / "new" / "wasmtime").stat().st_mode & 0o077 == 0

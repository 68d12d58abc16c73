"""A short coverage-guided run of every fuzz target, and a replay of every input a fuzzer ever crashed on.

The long runs are by hand (fuzz/README.md); this keeps the harness working and the found bugs fixed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fuzz.targets import TARGETS
from tests.helpers import SAMPLES

ROOT = Path(__file__).resolve().parents[2]
REGRESSIONS = ROOT / "fuzz" / "regressions"
SMALL_SEEDS = {
    "reader": [SAMPLES / "build" / name for name in ("hello.O2.wasm", "divzero.O2.wasm", "multi.wasm")],
    "coredump": sorted((ROOT / "tests" / "fixtures" / "coredump").glob("*.coredump")),
    "traces": sorted((ROOT / "tests" / "fixtures" / "backtraces").rglob("*.txt"))[:40],
    "dwarf_lines": [],
    "dwarf_dies": [],
}


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_each_target_survives_a_short_fuzzing_run(name: str, tmp_path: Path) -> None:
    pytest.importorskip("atheris", reason="atheris has wheels for Linux x86-64 only")
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for seed in SMALL_SEEDS[name]:
        (seeds / seed.name).write_bytes(seed.read_bytes())
    done = subprocess.run(
        [sys.executable, str(ROOT / "fuzz" / "run.py"), name, str(seeds),
         "-runs=400", "-seed=1", "-timeout=20", "-rss_limit_mb=2048", "-max_len=65536",
         f"-artifact_prefix={tmp_path}/"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env={**os.environ, "PYTHONHASHSEED": "0"},
    )  # fmt: skip
    crashes = sorted(p.name for p in tmp_path.glob("crash-*")) + sorted(p.name for p in tmp_path.glob("timeout-*"))
    assert done.returncode == 0 and not crashes, done.stderr[-3000:]
    assert re.search(r"Done 400 runs", done.stderr), done.stderr[-2000:]


def test_every_saved_crash_is_handled_now() -> None:
    """fuzz/regressions/TARGET/* holds each input a fuzzer crashed or hung on; each must now pass."""
    for target in sorted(p for p in REGRESSIONS.iterdir() if p.is_dir()):
        assert target.name in TARGETS, f"fuzz/regressions/{target.name}: no such target"
        for path in sorted(target.iterdir()):
            TARGETS[target.name](path.read_bytes())

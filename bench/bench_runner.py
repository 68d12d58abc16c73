"""Benchmark `wasmdbg run` against a bare wasmtime-py embedder on compute-bound, call-heavy and trivial guests.

Run:  .venv/bin/python bench/bench_runner.py [COMPUTE_MILLIONS [SQL_ROWS]]

Build the guests first with bench/build_modules.sh. Both sides are whole commands, run 5 times
each, the commands interleaved round by round so that load on the machine hits them alike; medians
are quoted and each ratio is against the reference measured in the same run:

- reference: bench/bare_run.py, exactly what a plain embedder does (Engine() defaults, Store,
  Linker.define_wasi(), WasiConfig argv, Module.from_file, `_start`), with no compile cache;
- wasmdbg: `wasmdbg run --format json MODULE ARGS` with its defaults (sandbox process, memory cap,
  60 s timeout, live samples, symbolized report), its cache dir (WASMDBG_CACHE_DIR, a fresh temp dir)
  warmed by one unmeasured run, so compiled code may come from wasmdbg's compile cache.

Guests: (a) bench/build/compute.wasm, an integer hash loop with no calls (>= 3 s);
(b) bench/build/sqlbench.wasm `query N`, SQLite's VDBE over a recursive CTE (call-heavy, >= 2 s);
(c) sample_modules/build/hello.O2.wasm, trivial: start-up and tear-down end to end.

The bare script compiles the module every time (a plain embedder has no cache): the `compile s`
column is that compile alone (Module.from_file in this process, median of 5), which wasmdbg's
warm compile cache skips; for sqlbench (4 MB) it is most of a short run, hence the large row count.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

import wasmtime

import timing

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BUILD = ROOT / "bench" / "build"
BARE = ROOT / "bench" / "bare_run.py"
REPEATS = 5


def compile_s(module: Path) -> float:
    """Median seconds of compiling `module` as the bare script does (default Engine, no cache)."""
    engine = wasmtime.Engine()
    return timing.median_s(lambda: wasmtime.Module.from_file(engine, str(module)), REPEATS)


def main(compute_millions: int, sql_rows: int) -> None:
    guests = [
        ("compute (no calls)", BUILD / "compute.wasm", [str(compute_millions)], 1.05, 3.0),
        ("sqlbench query (call-heavy)", BUILD / "sqlbench.wasm", ["query", str(sql_rows)], 1.15, 2.0),
        ("hello.O2 (trivial)", ROOT / "sample_modules" / "build" / "hello.O2.wasm", [], 1.5, 0.0),
    ]
    missing = [str(path) for _, path, _, _, _ in guests if not path.exists()]
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}: run bench/build_modules.sh")
    timing.begin()
    with tempfile.TemporaryDirectory(prefix="wasmdbg-bench-cache-") as cache_dir:
        env = dict(os.environ, WASMDBG_CACHE_DIR=cache_dir)
        print(f"wasmdbg's cache dir is warm (one unmeasured run per guest first); the bare script has no cache. "
              f"Median of {REPEATS}.")
        print(f"{'guest':30} {'args':>15} {'bare s':>8} {'compile s':>10} {'wasmdbg s':>10} {'ratio':>6} "
              f"{'target':>7}")
        notes = []
        for name, module, args, target, at_least in guests:
            bare = [sys.executable, str(BARE), str(module), *args]
            ours = [str(BIN / "wasmdbg"), "run", "--format", "json", str(module), *args]
            timing.measure(ours, env)  # warm wasmdbg's caches
            timing.measure(bare, env)  # and the OS page cache, alike
            bare_s, ours_s = [], []
            for _ in range(REPEATS):
                bare_s.append(timing.measure(bare, env).seconds)
                ours_s.append(timing.measure(ours, env).seconds)
            reference, measured = statistics.median(bare_s), statistics.median(ours_s)
            ratio = measured / reference
            compiling = compile_s(module)
            print(f"{name:30} {' '.join(args):>15} {reference:8.3f} {compiling:10.3f} {measured:10.3f} "
                  f"{ratio:6.2f} "
                  f"{'<= ' + str(target):>7}{'' if ratio <= target else '  (not met)'}")
            if reference - compiling < at_least:
                notes.append(f"{name}: the bare run less its compile took {reference - compiling:.2f} s, under the "
                             f"{at_least:.0f} s intended: "
                             "give a bigger argument")
        for note in notes:
            print("note:", note)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000, int(sys.argv[2]) if len(sys.argv) > 2 else 6_000_000)

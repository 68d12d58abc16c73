"""Benchmark the runner's overhead on a compute-bound guest against a bare wasmtime-py script.

Run:  .venv/bin/python bench/bench_runner.py [FUEL]

The guest is sample_modules/build/spin.O2.wasm, which loops until its fuel runs out. Both sides
are whole commands, run the same number of times, medians quoted:

- reference: a bare wasmtime-py script (fuel metering on, nothing else), as a plain embedder runs it;
- wasmdbg: `wasmdbg run -W fuel=N --format json` (agent process, epoch ticks every 10 ms, live
  samples, symbolized report).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import timing

ROOT = Path(__file__).resolve().parents[1]
MODULE = ROOT / "sample_modules" / "build" / "spin.O2.wasm"
BIN = Path(sys.executable).parent

BARE = """
import sys, wasmtime
config = wasmtime.Config(); config.consume_fuel = True
engine = wasmtime.Engine(config); store = wasmtime.Store(engine); store.set_fuel(int(sys.argv[2]))
linker = wasmtime.Linker(engine); linker.define_wasi()
wasi = wasmtime.WasiConfig(); wasi.argv = ["spin"]; store.set_wasi(wasi)
instance = linker.instantiate(store, wasmtime.Module.from_file(engine, sys.argv[1]))
try:
    instance.exports(store)["_start"](store)
except wasmtime.Trap as trap:
    assert trap.trap_code == wasmtime.TrapCode.OUT_OF_FUEL, trap
"""


def median_s(argv: list[str], repeats: int = 5) -> float:
    env = dict(os.environ, WASMDBG_CACHE_DIR=str(ROOT / ".bench-cache"))
    return timing.median_s(timing.command(argv, env), repeats)


def main(fuel: int) -> None:
    reference = median_s([sys.executable, "-c", BARE, str(MODULE), str(fuel)])
    ours = median_s([str(BIN / "wasmdbg"), "run", "-W", f"fuel={fuel},timeout=0", "--format", "json", str(MODULE)])
    print(f"guest: {MODULE.name} until {fuel:,} fuel is spent")
    print(f"{'run':40} {'median s':>9} {'ratio':>6}")
    print(f"{'bare wasmtime-py script (reference)':40} {reference:9.3f} {1.0:6.2f}")
    print(f"{'wasmdbg run (agent, ticks, report)':40} {ours:9.3f} {ours / reference:6.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000_000)

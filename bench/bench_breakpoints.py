"""Benchmark what breakpoints cost: a run with none, with one off the hot path, with one that wraps it.

Run:  .venv/bin/python bench/bench_breakpoints.py [CALLS_MILLIONS [WRAPPED_MILLIONS]]

Build the guest first with bench/build_modules.sh. Whole commands, `wasmdbg run --format json`,
5 runs each, interleaved round by round; medians, each against the reference measured in the same
run, the run with no breakpoint (which is not instrumented at all):

- `--break finish`: the module is rewritten (one probe in finish(), reached once at the end, where
  the run stops); main's call of step() is not wrapped, because step() cannot reach finish(). The
  hot loop pays nothing: the ratio says what the rewrite and its compile cost.
- `--break rare`: rare() is called from step(), so main's call of step() is wrapped (the caller's
  locals are kept for the outer frames' variables): two host calls per iteration. It runs fewer
  iterations (WRAPPED_MILLIONS, default 1, against CALLS_MILLIONS, default 2000), with its own
  reference; the per-call cost is (this run - its reference) / (2 x iterations).

(c) The guest alone, in this process (a plain embedder: no agent, no report): the original, the
module rewritten with no probe (renumbered), and with the probe in finish(), medians of 5,
interleaved: whether the rewritten hot loop itself is slower; and as the app runs it with a
breakpoint, every line of the user's code probed behind a guard byte (all off but the breakpoints'),
which is what lets breakpoints be set, and steps taken, while the guest runs.

(b) The rewrite alone, in this process, against decoding every instruction (`check_code`) as the
reference, median of 5: renumbering only (what any breakpoint costs) for bench/build/sqlbench.wasm
and sample_modules/build/panic.O0.wasm, and a probe before every instruction of panic.O0.wasm
(the differential tests' extreme).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import timing

from wasmdbg.instrument import instrument, probe_points
from wasmdbg.wasm.module import read_module

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CALLS = ROOT / "bench" / "build" / "calls.wasm"
PANIC = ROOT / "sample_modules" / "build" / "panic.O0.wasm"
SQLBENCH = ROOT / "bench" / "build" / "sqlbench.wasm"
REPEATS = 5


def medians(cases: list[tuple[str, list[str], int]]) -> list[float]:
    """Median seconds of each (name, flags, millions) case, its runs interleaved with the others'."""
    with tempfile.TemporaryDirectory(prefix="wasmdbg-bench-cache-") as cache_dir:
        env = dict(os.environ, WASMDBG_CACHE_DIR=cache_dir)
        commands = [[str(BIN / "wasmdbg"), "run", "--format", "json", *flags, str(CALLS), str(n)] for _, flags, n in cases]
        for argv in commands:
            timing.measure(argv, env, check=False)  # warm the caches alike
        seconds: list[list[float]] = [[] for _ in cases]
        for _ in range(REPEATS):
            for k, argv in enumerate(commands):
                seconds[k].append(timing.measure(argv, env, check=False).seconds)
    return [statistics.median(s) for s in seconds]


def runs(millions: int, wrapped_millions: int) -> None:
    off_path = [("no breakpoint (reference)", [], millions), ("--break finish", ["--break", "finish"], millions)]
    wrapped = [("no breakpoint (reference)", [], wrapped_millions), ("--break rare", ["--break", "rare"], wrapped_millions)]
    print(f"calls.wasm; median of {REPEATS}")
    print(f"{'run':28} {'iterations':>12} {'s':>8} {'ratio':>7}")
    for group in (off_path, wrapped):
        values = medians(group)
        for (name, _, n), value in zip(group, values):
            print(f"{name:28} {n * 1_000_000:12,} {value:8.3f} {value / values[0]:7.2f}")
        if group is wrapped:
            host_calls = 2 * wrapped_millions * 1_000_000
            print(f"cost of a wrapped call: {(values[1] - values[0]) / host_calls * 1e6:.2f} µs per host call "
                  f"({host_calls:,} calls)")


def rewrite() -> None:
    for path in (SQLBENCH, PANIC):
        if not path.exists():
            continue
        data = path.read_bytes()
        module = read_module(data)
        points = probe_points(module)
        decode = timing.median_s(lambda: read_module(data).check_code(), REPEATS)
        renumber = timing.median_s(lambda: instrument(data, []), REPEATS)
        print(f"rewrite of {path.name} ({len(points):,} instructions): decoding them {decode:.3f} s; "
              f"renumbering only (a breakpoint's own cost) {renumber:.3f} s, ratio {renumber / decode:.2f}", end="")
        if path is PANIC:
            everywhere = timing.median_s(lambda: instrument(data, points), REPEATS)
            print(f"; a probe before every instruction {everywhere:.3f} s, ratio {everywhere / decode:.2f}", end="")
        print()


def guest_time(millions: int) -> None:
    """(c) The guest alone, in this process (no agent, no report): is the rewritten loop slower?"""
    import wasmtime

    from wasmdbg.runner.engine import make_config

    data = CALLS.read_bytes()
    module = read_module(data)
    finish = next(b for b in module.bodies if module.names and module.names.functions.get(b.func_index) == "finish")
    engine = wasmtime.Engine(make_config(epochs=True))
    kinds = {"i32": wasmtime.ValType.i32, "i64": wasmtime.ValType.i64, "f32": wasmtime.ValType.f32, "f64": wasmtime.ValType.f64}

    def run(code: bytes, imports: tuple[tuple[str, tuple[str, ...]], ...], guards: str | None = None) -> float:
        store = wasmtime.Store(engine)
        store.set_epoch_deadline(1 << 40)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        wasi = wasmtime.WasiConfig()
        wasi.argv = ["calls", str(millions)]
        store.set_wasi(wasi)
        for name, params in imports:
            func_type = wasmtime.FuncType([kinds[t]() for t in params], [])
            linker.define(store, "wasmdbg", name, wasmtime.Func(store, func_type, lambda *_: None))
        instance = linker.instantiate(store, wasmtime.Module(engine, code))
        if guards is not None:  # as the agent does: every guard off but the breakpoints' (none here)
            memory = instance.exports(store)[guards]
            assert isinstance(memory, wasmtime.Memory)
            memory.write(store, b"\x01" * memory.data_len(store), 0)
        start = time.perf_counter()
        instance.exports(store)["_start"](store)
        return time.perf_counter() - start

    from wasmdbg.session.session import Session

    session = Session.open(CALLS)
    plan = session.plan_breakpoints(["finish"], live=True)
    live = instrument(data, {*plan.offsets, *plan.live_points}, call_sites=plan.call_sites, guarded=True)
    headless = session.plan_breakpoints(["finish"])  # as `run --break finish` rewrites it
    as_run = instrument(data, headless.offsets, call_sites=headless.call_sites)
    variants = [("original", data, ()), ("renumbered, no probe", instrument(data, []), None),
                ("a probe in finish()", instrument(data, [finish.code_offset]), None),
                (f"--break finish as run plans it ({len(headless.call_sites)} call wrapped)", as_run, None),
                (f"app: every line guarded ({len(plan.live_points)})", live, None)]  # fmt: skip
    times: list[list[float]] = [[] for _ in variants]
    for _ in range(REPEATS):
        for k, (_, code, imports) in enumerate(variants):
            if isinstance(code, bytes):
                times[k].append(run(code, ()))
            else:
                times[k].append(run(code.data, tuple((i.name, i.params) for i in code.imports), code.guard_export))
    values = [statistics.median(t) for t in times]
    print(f"guest alone, in process, {millions:,} million iterations; median of {REPEATS}")
    for (name, _, _), value in zip(variants, values):
        print(f"  {name:34} {value:8.3f} s  ratio {value / values[0]:5.2f}")


def main(millions: int, wrapped_millions: int) -> None:
    if not CALLS.exists():
        raise SystemExit(f"missing {CALLS}: run bench/build_modules.sh")
    timing.begin()
    runs(millions, wrapped_millions)
    guest_time(millions // 3 or 1)
    rewrite()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000, int(sys.argv[2]) if len(sys.argv) > 2 else 1)

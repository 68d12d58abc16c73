"""The rewriter changes nothing a program can observe: every spec trap module, probed at every instruction.

Each module of ../shared/corpus/spec/traps.jsonl is instrumented with a probe before every
instruction and around every call, validated by `wasm-tools validate` (an independent validator),
and run on both sides: every assert_trap case traps with the same trap kind, and every frame of
the instrumented run, mapped back through the offset map, is the original run's frame. Every
exported function that takes numbers is also called with zeros on both sides and must give the
same results (or the same trap, with the same frames).
"""

from __future__ import annotations

import struct
import subprocess
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import wasmtime

from tests.helpers import CORPUS, wasm_tools_path
from tests.unit.runner.test_spec_traps import CASES, argument, spectest
from wasmdbg.instrument import CALL, RETURN, Instrumented, instrument, probe_points
from wasmdbg.runner.engine import make_config
from wasmdbg.runner.invoke import call_export
from wasmdbg.runner.protocol import RETURNED, Outcome
from wasmdbg.wasm.module import read_module

pytestmark = [pytest.mark.corpus, pytest.mark.skipif(not CASES, reason="../shared/corpus is absent (present in CI)")]
FUEL = 2_000_000
"""Fuel for a zero-argument call of the original; the probed one gets FUEL_FACTOR times as much."""
FUEL_FACTOR = 200
_TYPES = {"i32": wasmtime.ValType.i32, "i64": wasmtime.ValType.i64, "f32": wasmtime.ValType.f32, "f64": wasmtime.ValType.f64}


@pytest.fixture(autouse=True, scope="module")
def _release() -> Iterator[None]:
    """Drop the cached modules while wasmtime is still loaded (not at interpreter exit)."""
    yield
    probed.cache_clear()
    original.cache_clear()
    engine.cache_clear()


def bits(results: tuple[object, ...] | None) -> tuple[object, ...] | None:
    """Results compared bit for bit (a NaN equals the same NaN)."""
    if results is None:
        return None
    return tuple(struct.pack("<d", r) if isinstance(r, float) else r for r in results)


@cache
def engine() -> wasmtime.Engine:
    return wasmtime.Engine(make_config(fuel=True))


@cache
def original(path: str) -> tuple[bytes, wasmtime.Module]:
    data = (CORPUS / "spec" / path).read_bytes()
    return data, wasmtime.Module(engine(), data)


def rewritten_module(path: str, guarded: bool) -> Instrumented:
    data, _ = original(path)
    module = read_module(data)
    calls = [i.offset for b in module.bodies for i in module.instructions(b.func_index) if i.mnemonic.startswith("call")]
    return instrument(data, probe_points(module), call_sites=calls, guarded=guarded)


@cache
def probed(path: str) -> tuple[Instrumented, wasmtime.Module]:
    rewritten = rewritten_module(path, guarded=False)
    return rewritten, wasmtime.Module(engine(), rewritten.data)


class Probes:
    """Host side of the probes: counts hits and checks that call/return probes nest."""

    def __init__(self, instrumented: Instrumented) -> None:
        self.instrumented = instrumented
        self.hits = 0
        self.depth = 0
        self.bad: list[str] = []

    def define(self, store: wasmtime.Store, linker: wasmtime.Linker) -> None:
        for spec in self.instrumented.imports:
            func_type = wasmtime.FuncType([_TYPES[t]() for t in spec.params], [])
            linker.define(store, "wasmdbg", spec.name, wasmtime.Func(store, func_type, self.callback(spec.params)))

    def callback(self, params: tuple[str, ...]) -> Callable[..., None]:
        def hit(probe_id: int, *values: Any) -> None:
            self.hits += 1
            probe = self.instrumented.probes[probe_id]
            if len(values) != len(probe.locals):
                self.bad.append(f"probe {probe_id} got {len(values)} locals, expected {len(probe.locals)}")
            self.depth += 1 if probe.kind == CALL else -1 if probe.kind == RETURN else 0

        return hit


def run(path: str, func: str, args: list[object], fuel: int, rewritten: bool) -> tuple[Outcome, Probes | None]:
    store = wasmtime.Store(engine())
    store.set_fuel(fuel * (FUEL_FACTOR if rewritten else 1))
    linker = wasmtime.Linker(engine())
    if any(i.module == "spectest" for i in read_module(original(path)[0]).imports):
        spectest(store, linker)
    probes = None
    if rewritten:
        instrumented, module = probed(path)
        probes = Probes(instrumented)
        probes.define(store, linker)
    else:
        module = original(path)[1]
    instance = linker.instantiate(store, module)
    return call_export(store, instance, func, args), probes


def mapped(outcome: Outcome, instrumented: Instrumented) -> list[tuple[int | None, int | None]]:
    return [
        (instrumented.original_function(f.func_index), None if f.module_offset is None else instrumented.original_offset(f.module_offset))
        for f in outcome.frames
    ]  # fmt: skip


def frames(outcome: Outcome) -> list[tuple[int | None, int | None]]:
    return [(f.func_index, f.module_offset) for f in outcome.frames]


def same_frames(before: Outcome, after: Outcome, instrumented: Instrumented) -> bool:
    """Frames equal after mapping; for a stack overflow, the same set of frames.

    Probes make frames bigger, so runaway recursion exhausts the stack at another depth: which of
    two mutually recursive functions is innermost (the one overflowing on entry, with no offset)
    legitimately differs, the frames themselves not.
    """
    if before.trap_kind == "stack_overflow":
        located = {f for f in mapped(after, instrumented) if f[1] is not None}
        functions = {f[0] for f in mapped(after, instrumented)}
        return located == {f for f in frames(before) if f[1] is not None} and functions == {f[0] for f in frames(before)}
    return mapped(after, instrumented) == frames(before)


@pytest.mark.parametrize("guarded", [False, True], ids=["plain", "guarded"])
def test_every_probed_spec_module_validates(tmp_path: Path, guarded: bool) -> None:
    invalid = []
    for path in sorted({case["module"] for case in CASES}):
        instrumented = rewritten_module(path, guarded)
        target = tmp_path / "probed.wasm"
        target.write_bytes(instrumented.data)
        result = subprocess.run([wasm_tools_path(), "validate", "--features", "all", str(target)], capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            invalid.append((path, result.stderr.strip()[:200]))
        assert instrumented.probes, path
    assert invalid == []


def test_every_trap_case_traps_the_same_way_with_the_same_frames() -> None:
    wrong = []
    probe_hits = 0
    for case in CASES:
        args = [argument(a) for a in case["args"]]
        before, _ = run(case["module"], case["func"], args, FUEL, rewritten=False)
        after, probes = run(case["module"], case["func"], args, FUEL, rewritten=True)
        assert probes is not None
        probe_hits += probes.hits
        instrumented, _ = probed(case["module"])
        if (after.outcome, after.trap_kind) != (before.outcome, before.trap_kind):
            wrong.append((case["id"], before.trap_kind, after.trap_kind))
        elif not same_frames(before, after, instrumented):
            wrong.append((case["id"], frames(before), mapped(after, instrumented)))
        if probes.bad:
            wrong.append((case["id"], probes.bad[:3]))
    assert len(CASES) == 3155
    assert wrong == []
    assert probe_hits > len(CASES)  # the probes ran: every case executes at least one instruction


def test_every_numeric_export_gives_the_same_results_when_called_with_zeros() -> None:
    wrong, compared, balanced = [], 0, 0
    for path in sorted({case["module"] for case in CASES}):
        store = wasmtime.Store(engine())
        for export in original(path)[1].exports:
            ty = export.type
            if not isinstance(ty, wasmtime.FuncType) or not all(str(p) in _TYPES for p in ty.params):
                continue
            zeros: list[object] = [0.0 if str(p).startswith("f") else 0 for p in ty.params]
            before, _ = run(path, export.name, zeros, FUEL, rewritten=False)
            if before.trap_kind == "out_of_fuel":
                continue  # a loop that does not end on zeros: nothing to compare
            after, probes = run(path, export.name, zeros, FUEL, rewritten=True)
            assert probes is not None
            compared += 1
            instrumented, _ = probed(path)
            same = (after.outcome, bits(after.results), after.trap_kind) == (before.outcome, bits(before.results), before.trap_kind)
            if not same or not same_frames(before, after, instrumented):
                wrong.append((path, export.name, before.outcome, before.results, after.outcome, after.results, after.trap_kind))
            if after.outcome == RETURNED:
                balanced += probes.depth == 0
                if probes.depth != 0:
                    wrong.append((path, export.name, "call/return probes unbalanced", probes.depth))
        del store
    assert compared > 1000
    assert wrong == []
    assert balanced > 0

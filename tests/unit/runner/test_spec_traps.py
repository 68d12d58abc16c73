"""The spec suite's trap cases, run through `call_export`, give wasmtime's trap kinds.

../shared/corpus/spec/traps.jsonl (present in CI) lists 3,155 assert_trap cases that run on a fresh
instance, with the TrapCode wasmtime 50 raises for each; 19 import from the spec's `spectest`
module, which is provided here as the spec's harness defines it.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from functools import cache

import pytest
import wasmtime

from tests.helpers import CORPUS
from wasmdbg.runner.engine import make_config
from wasmdbg.runner.invoke import call_export
from wasmdbg.runner.protocol import TRAPPED

LISTING = CORPUS / "spec" / "traps.jsonl"
CASES = [json.loads(line) for line in LISTING.read_text().splitlines()] if LISTING.exists() else []


@pytest.fixture(autouse=True, scope="module")
def _release() -> Iterator[None]:
    """Drop the cached modules and engine while wasmtime is still loaded: collected at interpreter
    exit, an Engine's finalizer finds the bindings' ffi gone ("Exception ignored in Managed.__del__")."""
    yield
    module.cache_clear()
    engine.cache_clear()


@cache
def engine() -> wasmtime.Engine:
    return wasmtime.Engine(make_config())


@cache
def module(path: str) -> wasmtime.Module:
    return wasmtime.Module.from_file(engine(), str(CORPUS / "spec" / path))


def spectest(store: wasmtime.Store, linker: wasmtime.Linker) -> None:
    """The spec interpreter's host module: print functions, globals 666, a table of 10, a memory of 1 page."""
    ty = wasmtime.ValType
    for name, params in {
        "print": [], "print_i32": [ty.i32()], "print_i64": [ty.i64()], "print_f32": [ty.f32()],
        "print_f64": [ty.f64()], "print_i32_f32": [ty.i32(), ty.f32()], "print_f64_f64": [ty.f64(), ty.f64()],
    }.items():  # fmt: skip
        linker.define(store, "spectest", name, wasmtime.Func(store, wasmtime.FuncType(params, []), lambda *a: None))
    for name, val_type, value in (
        ("global_i32", ty.i32(), wasmtime.Val.i32(666)),
        ("global_i64", ty.i64(), wasmtime.Val.i64(666)),
        ("global_f32", ty.f32(), wasmtime.Val.f32(666.6)),
        ("global_f64", ty.f64(), wasmtime.Val.f64(666.6)),
    ):
        linker.define(store, "spectest", name, wasmtime.Global(store, wasmtime.GlobalType(val_type, False), value))
    table_type = wasmtime.TableType(ty.funcref(), wasmtime.Limits(10, 20))
    linker.define(store, "spectest", "table", wasmtime.Table(store, table_type, None))
    memory_type = wasmtime.MemoryType(wasmtime.Limits(1, 2))
    linker.define(store, "spectest", "memory", wasmtime.Memory(store, memory_type))


def argument(arg: dict[str, str]) -> object:
    """A spec JSON argument: integers as decimal literals, floats as decimal bit patterns."""
    kind, value = arg["type"], arg["value"]
    if kind in ("i32", "i64"):
        bits = 32 if kind == "i32" else 64
        number = int(value) % (1 << bits)
        return number - (1 << bits) if number >= 1 << (bits - 1) else number
    if kind == "f32":
        return struct.unpack("<f", struct.pack("<I", int(value)))[0]
    if kind == "f64":
        return struct.unpack("<d", struct.pack("<Q", int(value)))[0]
    return None if value == "null" else int(value)  # externref / funcref


@pytest.mark.corpus
@pytest.mark.skipif(not CASES, reason="../shared/corpus is absent (present in CI)")
def test_every_spec_trap_case_gives_wasmtimes_trap_kind() -> None:
    wrong = []
    for case in CASES:
        store = wasmtime.Store(engine())
        linker = wasmtime.Linker(engine())
        if case["imports"]:
            spectest(store, linker)
        instance = linker.instantiate(store, module(case["module"]))
        outcome = call_export(store, instance, case["func"], [argument(a) for a in case["args"]])
        if outcome.outcome != TRAPPED or outcome.trap_kind != case["wasmtime_trap_code"].lower():
            wrong.append((case["id"], outcome.outcome, outcome.trap_kind, case["wasmtime_trap_code"]))
    assert len(CASES) == 3155
    assert wrong == []

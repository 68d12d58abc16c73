"""Outcomes of real sample runs, and `--invoke` argument parsing, as the wasmtime CLI parses them."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import wasmtime

from tests.helpers import SAMPLES, sample_manifest
from wasmdbg.runner.engine import make_config
from wasmdbg.runner.epoch import EpochWatch
from wasmdbg.runner.invoke import InvokeArgumentError, call_export, parse_argument
from wasmdbg.runner.protocol import EXITED, INTERRUPTED, RETURNED, TIMEOUT, TRAPPED, Outcome

BUILD = SAMPLES / "build"


def run_start(path: Path, tmp_path: Path, *, epochs: bool = False, interrupt_with: str | None = None) -> Outcome:
    engine = wasmtime.Engine(make_config(epochs=epochs))
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    wasi = wasmtime.WasiConfig()
    wasi.argv = ["guest"]
    wasi.stdout_file = str(tmp_path / "stdout")
    wasi.stderr_file = str(tmp_path / "stderr")
    store.set_wasi(wasi)
    instance = linker.instantiate(store, wasmtime.Module.from_file(engine, str(path)))
    if interrupt_with is None:
        return call_export(store, instance, "_start", [])
    with EpochWatch(engine, store) as watch:
        timer = threading.Timer(0.2, watch.interrupt, args=(interrupt_with,))
        timer.start()
        try:
            return call_export(store, instance, "_start", [])
        finally:
            timer.cancel()


TRAPPING = [e for e in sample_manifest() if e["expect"]["outcome"] == "trapped" and e["variant"] in ("O0", "O2")]  # type: ignore[index]


@pytest.mark.parametrize("entry", TRAPPING, ids=lambda e: str(e["module"]))
def test_trap_samples_give_their_trap_kind_and_frames(entry: dict[str, object], tmp_path: Path) -> None:
    outcome = run_start(SAMPLES / str(entry["module"]), tmp_path)
    assert outcome.outcome == TRAPPED
    assert outcome.trap_kind == str(entry["expect"]["trap_code"]).lower()  # type: ignore[index]
    recorded = [(f["func_index"], f["module_offset"]) for f in entry["trap_frames"]]  # type: ignore[attr-defined]
    assert [(f.func_index, f.module_offset) for f in outcome.frames] == recorded


def test_a_memory_fault_reports_address_and_memory_size(tmp_path: Path) -> None:
    outcome = run_start(BUILD / "oob.O2.wasm", tmp_path)
    assert (outcome.fault_address, outcome.memory_size) == (0x7FFFFFF0, 0x20000)
    assert outcome.message == "out of bounds memory access"


def test_stack_overflow_frames_are_cut_at_twenty_and_the_unknown_offset_is_none(tmp_path: Path) -> None:
    outcome = run_start(BUILD / "stackoverflow.O2.wasm", tmp_path)
    assert outcome.trap_kind == "stack_overflow"
    assert outcome.frames[0].module_offset is None and outcome.frames_truncated and len(outcome.frames) == 20


def test_exit_code_is_the_guests(tmp_path: Path) -> None:
    assert run_start(BUILD / "exitcode.O0.wasm", tmp_path) == Outcome(EXITED, exit_code=3)
    assert run_start(BUILD / "hello.O0.wasm", tmp_path).outcome == RETURNED


@pytest.mark.parametrize(("reason", "kind"), [("timeout after 0.2 s", TIMEOUT), ("stopped by the user", INTERRUPTED)])
def test_an_interrupted_spin_says_where_it_was(reason: str, kind: str, tmp_path: Path) -> None:
    from wasmdbg.wasm.module import read_module

    outcome = run_start(BUILD / "spin.O2.wasm", tmp_path, epochs=True, interrupt_with=reason)
    assert (outcome.outcome, outcome.message) == (kind, reason)
    names = read_module((BUILD / "spin.O2.wasm").read_bytes()).names
    assert names is not None and names.functions[outcome.frames[0].func_index] == "spin_forever"


@pytest.mark.parametrize(
    ("text", "val_type", "value"),
    [
        ("7", "i32", 7), ("-1", "i32", -1), ("0xffffffff", "i32", -1), ("4294967295", "i32", -1),
        ("0x7fffffffffffffff", "i64", 2**63 - 1), ("-0x10", "i64", -16),
        ("1.5", "f64", 1.5), ("inf", "f32", float("inf")), ("-inf", "f64", float("-inf")),
    ],
)  # fmt: skip
def test_invoke_arguments_parse_as_wasmtime_does(text: str, val_type: str, value: object) -> None:
    assert parse_argument(text, val_type) == value


def test_nan_arguments_are_nan() -> None:
    value = parse_argument("nan", "f64")
    assert isinstance(value, float) and value != value


@pytest.mark.parametrize(
    ("text", "val_type"),
    [("4294967296", "i32"), ("-2147483649", "i32"), ("1.0", "i32"), ("x", "i64"), ("1e", "f32"), ("0", "v128")],
)
def test_bad_invoke_arguments_are_errors(text: str, val_type: str) -> None:
    with pytest.raises(InvokeArgumentError):
        parse_argument(text, val_type)

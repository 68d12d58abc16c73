"""`-W` limits: wasmtime's key spelling and value grammar, and errors for anything else."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.helpers import ROOT
from wasmdbg.runner.limits import (
    HEADLESS_LIMITS,
    HELP,
    INTERACTIVE_LIMITS,
    MAX_FUEL,
    MAX_MEMORY_SIZE,
    MAX_TIMEOUT_S,
    MAX_WASM_STACK,
    MIN_WASM_STACK,
    LimitsError,
    RunLimits,
    parse_limits,
)


def test_defaults_are_the_documented_ones() -> None:
    assert HEADLESS_LIMITS == RunLimits(512 << 20, None, 60.0, None)
    assert INTERACTIVE_LIMITS.timeout_s is None and INTERACTIVE_LIMITS.max_memory_bytes == 512 << 20
    assert HEADLESS_LIMITS.to_json() == {
        "max-memory-size": 536870912, "fuel": None, "timeout": 60.0, "max-wasm-stack": None
    }


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["fuel=1000"], RunLimits(fuel=1000)),
        (["fuel=1_000_000"], RunLimits(fuel=1_000_000)),
        (["max-memory-size=0x4000_0000"], RunLimits(max_memory_bytes=1 << 30)),
        (["timeout=10"], RunLimits(timeout_s=10.0)),
        (["timeout=1500ms"], RunLimits(timeout_s=1.5)),
        (["timeout=250us"], RunLimits(timeout_s=250e-6)),
        (["timeout=100ns"], RunLimits(timeout_s=100e-9)),
        (["timeout=2s"], RunLimits(timeout_s=2.0)),
        (["timeout=0"], RunLimits(timeout_s=None)),
        (["max-wasm-stack=0x10000"], RunLimits(max_wasm_stack=65536)),
        (["fuel=5,timeout=1s", "fuel=7"], RunLimits(fuel=7, timeout_s=1.0)),
    ],
)
def test_values_parse_as_wasmtime_writes_them(options: list[str], expected: RunLimits) -> None:
    assert parse_limits(options) == expected


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("fuel", "expected KEY=VALUE"),
        ("fuel=", "expected KEY=VALUE"),
        ("fuel=-1", "not an integer"),
        ("fuel=1e6", "not an integer"),
        ("fuel=10_", "not an integer"),
        ("fuel=0xg", "not an integer"),
        ("timeout=5m", "not a duration"),
        ("timeout=soon", "not a duration"),
        ("max-memory=1", "unknown key"),
        ("simd=y", "unknown key"),
        ("fuel=" + "9" * 60, "not an integer"),
    ],
)
def test_bad_options_are_errors_not_ignored(option: str, message: str) -> None:
    with pytest.raises(LimitsError, match=message):
        parse_limits([option])


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("fuel=18446744073709551616", "(0 to 18446744073709551615)"),
        ("fuel=0x1_0000_0000_0000_0000", "(0 to 18446744073709551615)"),
        ("max-wasm-stack=0", "(1 to 2097152 bytes"),
        ("max-wasm-stack=2097153", "(1 to 2097152 bytes"),
        ("max-wasm-stack=0x80_0000", "(1 to 2097152 bytes"),
        ("max-memory-size=9223372036854775808", "(0 to 9223372036854775807)"),
        ("max-memory-size=18446744073709551616", "(0 to 9223372036854775807)"),
        (f"timeout={int(MAX_TIMEOUT_S) + 1}", f"(0 to {MAX_TIMEOUT_S:.0f} s; 0 disables)"),
        ("timeout=" + "9" * 40 + "ms", f"(0 to {MAX_TIMEOUT_S:.0f} s; 0 disables)"),
    ],
)
def test_values_wasmtime_cannot_take_are_errors_naming_the_range(option: str, message: str) -> None:
    with pytest.raises(LimitsError) as error:
        parse_limits([option])
    text = str(error.value)
    assert text.startswith(f"-W {option}: out of range ") and message in text and "\n" not in text


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("fuel=0", RunLimits(fuel=0)),
        (f"fuel={MAX_FUEL}", RunLimits(fuel=MAX_FUEL)),
        ("fuel=0xffff_ffff_ffff_ffff", RunLimits(fuel=2**64 - 1)),
        (f"max-wasm-stack={MIN_WASM_STACK}", RunLimits(max_wasm_stack=1)),
        (f"max-wasm-stack={MAX_WASM_STACK}", RunLimits(max_wasm_stack=2 << 20)),
        ("max-memory-size=0", RunLimits(max_memory_bytes=0)),
        (f"max-memory-size={MAX_MEMORY_SIZE}", RunLimits(max_memory_bytes=2**63 - 1)),
        (f"timeout={int(MAX_TIMEOUT_S)}", RunLimits(timeout_s=MAX_TIMEOUT_S)),
    ],
)
def test_the_range_boundaries_are_accepted(option: str, expected: RunLimits) -> None:
    assert parse_limits([option]) == expected


def test_help_names_the_ranges() -> None:
    assert f"0 to {MAX_FUEL}" in HELP and f"0 to {MAX_MEMORY_SIZE}" in HELP
    assert f"{MIN_WASM_STACK} to {MAX_WASM_STACK}" in HELP and f"at most {MAX_TIMEOUT_S:.0f} s" in HELP


_WAT = (
    '(module (memory 1) (func (export "grow") (result i32) (memory.grow (i32.const 1)))'
    ' (func $rec (export "rec") (param i32) (result i32)'
    "  (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))"
    "   (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1))))))))"
)

_ENGINE_PROBE = f"""
import sys, threading
import wasmtime
from wasmdbg.runner.engine import make_config
from wasmdbg.runner.limits import MAX_FUEL, MAX_MEMORY_SIZE, MAX_TIMEOUT_S

engine = wasmtime.Engine(make_config(fuel=True, epochs=True, max_wasm_stack=int(sys.argv[1])))
store = wasmtime.Store(engine)
store.set_fuel(MAX_FUEL)
assert store.get_fuel() == MAX_FUEL, store.get_fuel()
store.set_limits(memory_size=MAX_MEMORY_SIZE)
store.set_epoch_deadline(1_000_000)
exports = wasmtime.Instance(store, wasmtime.Module(engine, {_WAT!r}), []).exports(store)
assert exports["grow"](store) == 1
assert exports["rec"](store, 20_000) == 20_000  # deeper than wasmtime's 512 KiB default allows
consumed = MAX_FUEL - store.get_fuel()
assert 0 < consumed < 10**7, consumed
try:
    exports["rec"](store, 10**8)
except wasmtime.Trap as trap:
    assert "call stack exhausted" in str(trap), trap
else:
    raise AssertionError("no stack overflow")
store.set_fuel(MAX_FUEL + 1)  # one past the bound wraps, silently, to no fuel at all
assert store.get_fuel() == 0, store.get_fuel()
lock = threading.Lock()  # the agent's threading.Timer waits like this
assert lock.acquire(True, MAX_TIMEOUT_S)
lock.release()
try:
    lock.acquire(True, MAX_TIMEOUT_S + 1)
except OverflowError:
    pass
else:
    raise AssertionError("threading.TIMEOUT_MAX is not the bound")
print("ok")
"""


def _probe(stack: int) -> subprocess.CompletedProcess[str]:
    """The engine probe in its own process: a bad max_wasm_stack aborts the process (a Rust panic)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_ENGINE_PROBE), str(stack)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )


def test_the_largest_accepted_values_really_work_in_an_engine() -> None:
    result = _probe(MAX_WASM_STACK)
    assert result.returncode == 0 and result.stdout == "ok\n", result.stderr[-2000:]


@pytest.mark.parametrize(
    ("stack", "panic"),
    [
        (MAX_WASM_STACK + 1, "max_wasm_stack size cannot exceed the async_stack_size"),
        (MIN_WASM_STACK - 1, "max_wasm_stack size cannot be zero"),
    ],
)
def test_one_past_the_stack_bounds_aborts_the_engine(stack: int, panic: str) -> None:
    """Why parse_limits rejects these: the bounds are wasmtime's, not guesses."""
    result = _probe(stack)
    assert result.returncode != 0 and panic in result.stderr, result.stderr[-2000:]


def test_help_lists_every_key() -> None:
    with pytest.raises(LimitsError) as error:
        parse_limits(["help"])
    assert error.value.hint == HELP
    for key in ("max-memory-size", "fuel", "timeout", "max-wasm-stack"):
        assert key in HELP


def test_memory_cap_hit_is_a_peak_within_one_growth_step_of_the_cap() -> None:
    from wasmdbg.runner.limits import CAP_MARGIN, memory_cap_hit

    assert memory_cap_hit(8 << 20, 8 << 20) and memory_cap_hit((8 << 20) - CAP_MARGIN + 1, 8 << 20)
    assert not memory_cap_hit((8 << 20) - CAP_MARGIN, 8 << 20)
    assert not memory_cap_hit(1 << 30, None)

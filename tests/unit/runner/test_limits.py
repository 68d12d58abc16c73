"""`-W` limits: wasmtime's key spelling and value grammar, and errors for anything else."""

from __future__ import annotations

import pytest

from wasmdbg.runner.limits import HEADLESS_LIMITS, INTERACTIVE_LIMITS, HELP, LimitsError, RunLimits, parse_limits


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

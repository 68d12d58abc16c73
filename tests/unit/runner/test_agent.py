"""The agent process: real runs over the pipe, limits enforced, and a parent that survives its death."""

from __future__ import annotations

import base64
import os
import signal
import time
from typing import Any

import pytest

from tests.helpers import SAMPLES, sample_manifest, wat
from wasmdbg.runner.client import Agent
from wasmdbg.runner.limits import RunLimits

BUILD = SAMPLES / "build"
MANIFEST = {str(e["module"]): e for e in sample_manifest()}


def start(agent: Agent, module: str, limits: RunLimits = RunLimits(), **extra: Any) -> None:
    agent.send(
        "start",
        module=module,
        argv=["guest"],
        limits={"max_memory_bytes": limits.max_memory_bytes, "fuel": limits.fuel, "timeout_s": limits.timeout_s,
                "max_wasm_stack": limits.max_wasm_stack},
        **extra,
    )  # fmt: skip


def run(module: str, limits: RunLimits = RunLimits(), **extra: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with Agent() as agent:
        start(agent, module, limits, **extra)
        events = list(agent.events())
    return events[-1], events


def output(events: list[dict[str, Any]], stream: str = "stdout") -> bytes:
    return b"".join(base64.b64decode(e["data"]) for e in events if e["ev"] == "output" and e["stream"] == stream)


def test_a_trap_comes_back_with_kind_frames_output_and_post_mortem_memory() -> None:
    with Agent() as agent:
        start(agent, str(BUILD / "divzero.O2.wasm"))
        events = list(agent.events())
        outcome = events[-1]
        assert (outcome["outcome"], outcome["trap_kind"]) == ("trapped", "integer_division_by_zero")
        recorded = [[f["func_index"], f["module_offset"]] for f in MANIFEST["build/divzero.O2.wasm"]["trap_frames"]]  # type: ignore[index]
        assert [f[:2] for f in outcome["frames"]] == recorded
        assert b"dividing 42 items into 0 buckets" in output(events)
        assert agent.request("memory_size")["bytes"] == outcome["memory_pages"][0] * 65536
        memory = agent.request("read_memory", address=0, length=64)
        assert len(base64.b64decode(memory["data"])) == 64


def test_a_spinning_guest_times_out_within_the_limit_and_says_where() -> None:
    began = time.monotonic()
    outcome, events = run(str(BUILD / "spin.O2.wasm"), RunLimits(timeout_s=0.5))
    assert time.monotonic() - began < 0.5 + 1.0
    assert outcome["outcome"] == "timeout" and outcome["frames"][0][2] == "spin_forever"
    assert sum(1 for e in events if e["ev"] == "sample") >= 5


def test_out_of_fuel_is_a_trap() -> None:
    outcome, _ = run(str(BUILD / "spin.O2.wasm"), RunLimits(fuel=100_000, timeout_s=10))
    assert (outcome["outcome"], outcome["trap_kind"]) == ("trapped", "out_of_fuel")


def test_a_leak_stops_at_the_memory_cap() -> None:
    cap = 8 << 20
    outcome, events = run(str(BUILD / "leak.O0.wasm"), RunLimits(max_memory_bytes=cap, timeout_s=30))
    peak = outcome["peak_pages"][0] * 65536
    assert peak <= cap and cap - peak <= 2 << 20  # grew until the next 1 MiB chunk no longer fit
    assert outcome["trap_kind"] == "unreachable"  # the guest aborts when malloc fails
    assert [e["memory_pages"][0] for e in events if e["ev"] == "sample"] == sorted(
        e["memory_pages"][0] for e in events if e["ev"] == "sample"
    )


def test_a_killed_agent_is_reported_and_the_parent_goes_on() -> None:
    with Agent() as agent:
        start(agent, str(BUILD / "spin.O2.wasm"), RunLimits(timeout_s=None))
        events = agent.events()
        assert next(events)["ev"] == "started"
        os.kill(agent.process.pid, signal.SIGKILL)
        outcome = list(events)[-1]
    assert outcome["outcome"] == "engine_crashed" and outcome["signal"] == signal.SIGKILL
    assert "SIGKILL" in outcome["message"]
    again, _ = run(str(BUILD / "hello.O0.wasm"))
    assert again["outcome"] == "returned"


def test_missing_imports_are_named(tmp_path: Any) -> None:
    module = tmp_path / "missing_import.wasm"
    module.write_bytes(wat('(module (import "env" "mystery" (func)) (func (export "_start")))'))
    outcome, _ = run(str(module))
    assert outcome["outcome"] == "error" and "mystery" in outcome["message"]
    trapping, _ = run(str(module), unknown_imports_trap=True)
    assert trapping["outcome"] == "returned"


@pytest.mark.parametrize(("args", "expected"), [(["3", "4"], ("returned", [7])), (["3"], ("error", None))])
def test_invoke_calls_an_export_with_parsed_arguments(args: list[str], expected: tuple[str, Any], tmp_path: Any) -> None:
    module = tmp_path / "add.wasm"
    module.write_bytes(wat('(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))'))
    outcome, _ = run(str(module), invoke={"name": "add", "args": args})
    assert (outcome["outcome"], outcome["results"]) == expected


def test_backtrace_details_in_the_callers_environment_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    plain, _ = run(str(BUILD / "divzero.O2.wasm"))
    monkeypatch.setenv("WASMTIME_BACKTRACE_DETAILS", "1")
    detailed, _ = run(str(BUILD / "divzero.O2.wasm"))
    assert detailed["frames"] == plain["frames"] and detailed["message"] == plain["message"]


def test_pause_resume_and_interrupt_over_the_pipe() -> None:
    with Agent() as agent:
        start(agent, str(BUILD / "spin.O2.wasm"), RunLimits(timeout_s=None))
        events = agent.events()
        assert next(events)["ev"] == "started"
        samples = (e for e in events if e["ev"] == "sample")
        for _ in range(5):  # past its greeting, into the loop
            next(samples)
        agent.send("pause")
        time.sleep(0.3)
        agent.send("resume")
        assert next(samples)  # and spinning again
        agent.send("interrupt", reason="stopped by the user")
        outcome = list(events)[-1]
    assert (outcome["outcome"], outcome["message"]) == ("interrupted", "stopped by the user")
    assert outcome["frames"][0][2] == "spin_forever"


def test_exported_globals_can_be_read_after_the_run(tmp_path: Any) -> None:
    module = tmp_path / "g.wasm"
    module.write_bytes(wat('(module (global (export "counter") (mut i32) (i32.const 5)) (global (export "pi") f64 (f64.const 3.5))'
                           ' (func (export "_start") (global.set 0 (i32.const 42))))'))
    with Agent() as agent:
        start(agent, str(module))
        assert list(agent.events())[-1]["outcome"] == "returned"
        reply = agent.request("globals")
    assert {g["name"]: g["value"] for g in reply["globals"]} == {"counter": 42, "pi": 3.5}


def test_an_engine_panic_is_reported_with_its_message() -> None:
    # wasmtime panics (and aborts the process) for a wasm stack larger than its async stack.
    outcome, _ = run(str(BUILD / "hello.O0.wasm"), RunLimits(max_wasm_stack=8 << 20))
    assert outcome["outcome"] == "engine_crashed" and outcome["signal"] == signal.SIGABRT
    assert "max_wasm_stack size cannot exceed the async_stack_size" in outcome["message"]

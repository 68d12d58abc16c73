"""The agent process over the typed protocol: real runs, limits enforced, replies matched by id, and a parent that survives its death."""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.helpers import SAMPLES, sample_manifest, wat
from wasmdbg.runner import protocol as p
from wasmdbg.runner.client import Agent, AgentGoneError
from wasmdbg.runner.limits import RunLimits

BUILD = SAMPLES / "build"
MANIFEST = {str(e["module"]): e for e in sample_manifest()}


def start(agent: Agent, module: str | Path, limits: RunLimits = RunLimits(), **extra: object) -> None:
    fields: dict[str, object] = {"argv": ("guest",), **extra}
    agent.send(p.Start(module=str(module), output_dir=agent.output_dir, limits=limits, **fields))  # type: ignore[arg-type]


def drain(agent: Agent, timeout_s: float = 60) -> list[p.Event]:
    """Events until Finished; the timeout only bounds a hang."""
    events: list[p.Event] = []
    deadline = time.monotonic() + timeout_s
    while not events or not isinstance(events[-1], p.Finished):
        assert time.monotonic() < deadline, "the agent never finished"
        event = agent.next_event(1.0)
        if event is not None:
            events.append(event)
    return events


def run(module: str | Path, limits: RunLimits = RunLimits(), **extra: object) -> tuple[p.Finished, list[p.Event]]:
    with Agent() as agent:
        start(agent, module, limits, **extra)
        events = drain(agent)
    finished = events[-1]
    assert isinstance(finished, p.Finished)
    return finished, events


def output(events: list[p.Event], stream: str = p.STDOUT) -> bytes:
    return b"".join(e.data for e in events if isinstance(e, p.Output) and e.stream == stream)


def samples(events: list[p.Event]) -> list[p.Sample]:
    return [e for e in events if isinstance(e, p.Sample)]


def test_a_trap_comes_back_with_kind_frames_output_and_post_mortem_memory() -> None:
    with Agent() as agent:
        start(agent, BUILD / "divzero.O2.wasm")
        events = drain(agent)
        finished = events[-1]
        assert isinstance(finished, p.Finished)
        outcome = finished.outcome
        assert (outcome.outcome, outcome.trap_kind) == (p.TRAPPED, "integer_division_by_zero")
        recorded = [(f["func_index"], f["module_offset"]) for f in MANIFEST["build/divzero.O2.wasm"]["trap_frames"]]  # type: ignore[index]
        assert [(f.func_index, f.module_offset) for f in outcome.frames] == recorded
        assert b"dividing 42 items into 0 buckets" in output(events)
        size = agent.request(p.MemorySize())
        assert isinstance(size, p.MemorySizeReply) and size.size_bytes == finished.memory_pages[0] * 65536
        memory = agent.request(p.ReadMemory(address=0, length=64))
        assert isinstance(memory, p.MemoryBytes) and len(memory.data) == 64
        past_end = agent.request(p.ReadMemory(address=size.size_bytes - 4, length=64))
        assert isinstance(past_end, p.MemoryBytes) and len(past_end.data) == 4
        assert isinstance(agent.request(p.MemorySize(memory=3)), p.Refused)


def test_every_message_survives_the_wire() -> None:
    from wasmdbg.runner.grants import DirGrant

    messages: list[p.Message] = [
        p.Start(module="/m.wasm", argv=("m", "x"), output_dir="/tmp/o", env=(("A", "1"),),
                dirs=(DirGrant("/h", "/g", False),), stdin="/dev/fd/5", limits=RunLimits(fuel=7, timeout_s=None),
                invoke="f", invoke_args=("1",), unknown_imports_trap=True, tick_s=0.02, meter_fuel=True,
                compile_cache=False, id=9),
        p.Pause(id=1), p.Resume(id=2), p.Interrupt("why", id=3), p.ReadMemory(16, 4, memory=1, id=4),
        p.MemorySize(2, id=5), p.ReadGlobals(id=6), p.Quit(id=7), p.Started(),
        p.Sample(0.5, (2, 3), 100, 0.25, (65536, 1)), p.Output(p.STDERR, bytes(range(256))),
        p.Finished(p.Outcome(p.TRAPPED, trap_kind="unreachable", results=(1, 2.5, "ref"),
                             frames=(p.GuestFrame(3, None, "f"), p.GuestFrame(4, 100, None)), frames_truncated=True),
                   fuel_consumed=5, fuel_exact=False, memory_pages=(1,), peak_pages=(2,), page_bytes=(65536,),
                   duration_s=0.5, stdout_dropped=3, signal=9, ended_by_parent=True, fuel_metered=True,
                   cpu_time_s=0.25),
        p.MemoryBytes(4, 0, 16, b"\x00\xff"), p.MemorySizeReply(5, 0, 65536),
        p.Globals(6, (p.GlobalValue("g", "i32", -1),)), p.Refused(7, "no"),
        p.Start(module="/m.wasm", argv=("m",), output_dir="/o", breakpoints=(10, 20), call_sites=(15,), live_points=(10, 30)),
        p.Continue(id=8), p.SetBreakpoints((30,), id=9), p.Step("out", 3, id=10),
        p.Stopped(0x493, 2, (p.GuestFrame(7, 0x493, "post"), p.GuestFrame(6, None, None)),
                  ((1, -2, 2.5, None), None), True, (66560, None, 1.5), (2,)),
        p.Stopped(0x4bf, 0, (), (), step="over"),
    ]  # fmt: skip
    for message in messages:
        assert p.decode(p.encode(message)) == message
    for bad in (b"", b"{", b'{"type": "nope"}', b'{"type": "pause", "bogus": 1}', b'{"type": "output", "stream": "x", "data": "!!"}'):
        with pytest.raises(p.ProtocolError):
            p.decode(bad)


def test_a_spinning_guest_times_out_within_the_limit_and_says_where() -> None:
    began = time.monotonic()
    finished, events = run(BUILD / "spin.O2.wasm", RunLimits(timeout_s=0.5))
    assert time.monotonic() - began < 0.5 + 5  # bounds a hang only
    assert finished.outcome.outcome == p.TIMEOUT and finished.outcome.frames[0].func_name == "spin_forever"
    assert len(samples(events)) >= 5
    assert not finished.fuel_exact  # an interrupted call never wrote its fuel counter back


def test_fuel_shown_mid_run_says_how_long_it_has_not_moved() -> None:
    # A call-free loop keeps fuel in a register: the figure freezes, and the sample says for how long.
    _, events = run(BUILD / "spin.O2.wasm", RunLimits(timeout_s=0.5), meter_fuel=True)
    later = [s for s in samples(events) if s.t_s > 0.3]
    assert later and all(s.fuel_stale_s > 0.1 for s in later)
    assert all(a.fuel_consumed is not None and b.fuel_consumed is not None and a.fuel_consumed <= b.fuel_consumed
               for a, b in zip(samples(events), samples(events)[1:]))  # fmt: skip


def test_fuel_is_not_metered_unless_asked_for_or_budgeted() -> None:
    # Metering slows the guest: as in wasmtime, a run without a budget does not meter, and says so.
    finished, events = run(BUILD / "hello.O2.wasm")
    assert finished.outcome.outcome in (p.EXITED, p.RETURNED)
    assert (finished.fuel_consumed, finished.fuel_exact, finished.fuel_metered) == (None, False, False)
    assert all(s.fuel_consumed is None for s in samples(events))
    metered, _ = run(BUILD / "hello.O2.wasm", meter_fuel=True)
    assert metered.fuel_metered and metered.fuel_exact and (metered.fuel_consumed or 0) > 0
    budgeted, _ = run(BUILD / "hello.O2.wasm", RunLimits(fuel=10**12))
    assert budgeted.fuel_metered and budgeted.fuel_exact and (budgeted.fuel_consumed or 0) > 0
    assert budgeted.fuel_consumed == metered.fuel_consumed  # the same guest burns the same fuel


def test_the_guest_cpu_time_is_reported_metered_or_not() -> None:
    for limits in (RunLimits(), RunLimits(fuel=10**15)):
        finished, _ = run(BUILD / "spin.O2.wasm", replace(limits, timeout_s=0.3))
        assert finished.outcome.outcome == p.TIMEOUT
        assert finished.cpu_time_s is not None and finished.cpu_time_s > 0  # it spun on its own thread
        assert finished.duration_s is not None and finished.cpu_time_s <= finished.duration_s + 0.05
    failed, _ = run(SAMPLES / "nonexistent.wasm")
    assert failed.outcome.error_kind == p.COMPILE and failed.cpu_time_s is None and failed.fuel_metered is None


def test_out_of_fuel_is_a_trap() -> None:
    finished, _ = run(BUILD / "spin.O2.wasm", RunLimits(fuel=100_000, timeout_s=10))
    assert (finished.outcome.outcome, finished.outcome.trap_kind) == (p.TRAPPED, "out_of_fuel")
    assert finished.fuel_consumed == 100_000 and finished.fuel_exact and finished.fuel_metered


def test_a_leak_stops_at_the_memory_cap() -> None:
    cap = 8 << 20
    finished, events = run(BUILD / "leak.O0.wasm", RunLimits(max_memory_bytes=cap, timeout_s=30))
    peak = finished.peak_pages[0] * finished.page_bytes[0]
    assert peak <= cap and cap - peak <= 2 << 20  # grew until the next 1 MiB chunk no longer fit
    assert finished.outcome.trap_kind == "unreachable"  # the guest aborts when malloc fails
    pages = [s.memory_pages[0] for s in samples(events) if s.memory_pages]
    assert pages == sorted(pages)


def test_a_killed_agent_is_reported_and_the_parent_goes_on() -> None:
    with Agent() as agent:
        start(agent, BUILD / "spin.O2.wasm", RunLimits(timeout_s=None))
        assert isinstance(agent.next_event(30), p.Started)
        os.kill(agent.process.pid, signal.SIGKILL)
        finished = drain(agent)[-1]
        with pytest.raises(AgentGoneError):
            agent.request(p.MemorySize())
    assert isinstance(finished, p.Finished)
    assert finished.outcome.outcome == p.ENGINE_CRASHED and finished.signal == signal.SIGKILL
    assert "SIGKILL" in (finished.outcome.message or "")
    again, _ = run(BUILD / "hello.O0.wasm")
    assert again.outcome.outcome == p.RETURNED


def test_missing_imports_are_named(tmp_path: Path) -> None:
    module = tmp_path / "missing_import.wasm"
    module.write_bytes(wat('(module (import "env" "mystery" (func)) (func (export "_start")))'))
    finished, _ = run(module)
    assert finished.outcome.outcome == p.ERROR and "mystery" in (finished.outcome.message or "")
    assert finished.outcome.error_kind == p.MISSING_IMPORT
    trapping, _ = run(module, unknown_imports_trap=True)
    assert trapping.outcome.outcome == p.RETURNED


def test_a_module_without_start_says_so(tmp_path: Path) -> None:
    module = tmp_path / "library.wasm"
    module.write_bytes(wat('(module (func (export "helper")))'))
    finished, _ = run(module)
    assert (finished.outcome.outcome, finished.outcome.error_kind) == (p.ERROR, p.NO_START)


@pytest.mark.parametrize(
    ("args", "expected"),
    [(("3", "4"), (p.RETURNED, (7,), None)), (("3",), (p.ERROR, None, p.ARITY)), (("x", "4"), (p.ERROR, None, p.BAD_ARGUMENT))],
)
def test_invoke_calls_an_export_with_parsed_arguments(args: tuple[str, ...], expected: tuple[object, ...], tmp_path: Path) -> None:
    module = tmp_path / "add.wasm"
    module.write_bytes(wat('(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))'))
    finished, _ = run(module, invoke="add", invoke_args=args)
    outcome = finished.outcome
    assert (outcome.outcome, outcome.results, outcome.error_kind) == expected


def test_text_format_modules_run(tmp_path: Path) -> None:
    module = tmp_path / "add.wat"
    module.write_text('(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))')
    finished, _ = run(module, invoke="add", invoke_args=("20", "22"))
    assert finished.outcome.results == (42,)


def test_backtrace_details_in_the_callers_environment_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    plain, _ = run(BUILD / "divzero.O2.wasm")
    monkeypatch.setenv("WASMTIME_BACKTRACE_DETAILS", "1")
    detailed, _ = run(BUILD / "divzero.O2.wasm")
    assert detailed.outcome.frames == plain.outcome.frames and detailed.outcome.message == plain.outcome.message


def test_replies_are_matched_by_id_while_samples_flow() -> None:
    """Reads from several threads during a run each get their own reply, never a sample or another's."""
    with Agent() as agent:
        start(agent, BUILD / "spin.O2.wasm", RunLimits(timeout_s=None))
        assert isinstance(agent.next_event(30), p.Started)
        while not isinstance(agent.next_event(30), p.Sample):
            pass
        replies: dict[int, p.Reply] = {}

        def read(address: int) -> None:
            replies[address] = agent.request(p.ReadMemory(address=address, length=address % 7 + 1))

        readers = [threading.Thread(target=read, args=(1024 + i,)) for i in range(8)]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(30)
        agent.send(p.Interrupt("done"))
        finished = drain(agent)[-1]
    assert isinstance(finished, p.Finished) and finished.outcome.outcome == p.INTERRUPTED
    assert sorted(replies) == [1024 + i for i in range(8)]
    for address, reply in replies.items():
        assert isinstance(reply, p.MemoryBytes) and reply.address == address and len(reply.data) == address % 7 + 1


def test_pause_resume_and_interrupt_over_the_pipe() -> None:
    with Agent() as agent:
        start(agent, BUILD / "spin.O2.wasm", RunLimits(timeout_s=None))
        seen = 0
        while seen < 5:  # past its greeting, into the loop
            seen += isinstance(agent.next_event(30), p.Sample)
        agent.send(p.Pause())
        time.sleep(0.3)
        while agent.next_event(0.2) is not None:  # samples already on their way
            pass
        assert agent.next_event(0.3) is None  # paused: no samples come
        reply = agent.request(p.ReadMemory(address=1024, length=8))  # served while paused
        assert isinstance(reply, p.MemoryBytes) and len(reply.data) == 8
        agent.send(p.Resume())
        assert isinstance(agent.next_event(10), p.Sample)  # and spinning again
        agent.send(p.Interrupt("stopped by the user"))
        finished = drain(agent)[-1]
    assert isinstance(finished, p.Finished)
    assert (finished.outcome.outcome, finished.outcome.message) == (p.INTERRUPTED, "stopped by the user")
    assert finished.outcome.frames[0].func_name == "spin_forever"


def test_exported_globals_can_be_read_after_the_run(tmp_path: Path) -> None:
    module = tmp_path / "g.wasm"
    module.write_bytes(wat('(module (global (export "counter") (mut i32) (i32.const 5)) (global (export "pi") f64 (f64.const 3.5))'
                           ' (func (export "_start") (global.set 0 (i32.const 42))))'))
    with Agent() as agent:
        start(agent, module)
        finished = drain(agent)[-1]
        assert isinstance(finished, p.Finished) and finished.outcome.outcome == p.RETURNED
        reply = agent.request(p.ReadGlobals())
    assert isinstance(reply, p.Globals)
    assert {g.name: g.value for g in reply.globals} == {"counter": 42, "pi": 3.5}


def test_an_engine_panic_is_reported_with_its_message() -> None:
    # wasmtime panics (and aborts the process) for a wasm stack larger than its async stack.
    finished, _ = run(BUILD / "hello.O0.wasm", RunLimits(max_wasm_stack=8 << 20))
    assert finished.outcome.outcome == p.ENGINE_CRASHED and finished.signal == signal.SIGABRT
    assert "max_wasm_stack size cannot exceed the async_stack_size" in (finished.outcome.message or "")


def test_guest_output_bytes_arrive_unchanged(tmp_path: Path) -> None:
    import random

    data = random.Random(7).randbytes(100_000)
    (tmp_path / "blob").write_bytes(data)
    finished, events = run(BUILD / "readfile.O0.wasm", dirs=(_grant(tmp_path),), argv=("readfile", "/d/blob"))
    assert finished.outcome.outcome in (p.RETURNED, p.EXITED)
    assert output(events) == data


def _grant(path: Path) -> object:
    from wasmdbg.runner.grants import DirGrant

    return DirGrant(str(path), "/d", False)

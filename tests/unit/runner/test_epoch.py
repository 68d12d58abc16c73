"""EpochWatch on real guests: ticks, fuel and memory samples, pause, interrupt with a backtrace.

Every guest runs `_start` in a worker thread; `_running` always interrupts it, joins with a timeout
and stops the watch, so no test can hang on a guest that never ends.
"""

from __future__ import annotations

import ctypes
import gc
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import wasmtime

from tests.helpers import SAMPLES
from wasmdbg.runner import epoch
from wasmdbg.runner.epoch import INTERRUPT_PREFIX, EpochWatch, Tick, error_frames
from wasmdbg.wasm.module import read_module

BUILD = SAMPLES / "build"
FUEL = 10**15
JOIN_S = 5.0


@dataclass
class Guest:
    """One instantiated WASI command, its memory and where its stdout goes."""

    engine: wasmtime.Engine
    store: wasmtime.Store
    instance: wasmtime.Instance
    memory: wasmtime.Memory
    stdout: Path

    def start(self) -> None:
        start = self.instance.exports(self.store)["_start"]
        assert isinstance(start, wasmtime.Func)
        start(self.store)


def make_guest(name: str, argv: list[str], tmp_path: Path, *, epoch_on: bool = True, fuel: int = FUEL) -> Guest:
    config = wasmtime.Config()
    config.epoch_interruption = epoch_on
    config.consume_fuel = True
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    module = wasmtime.Module.from_file(engine, str(BUILD / name))
    wasi = wasmtime.WasiConfig()
    wasi.argv = argv
    # Files, not stdout_custom: a Python stdout callback makes wasmtime's tokio worker panic at
    # interpreter exit (seen with hello alone, no watch involved).
    stdout = tmp_path / f"{name}.stdout"
    wasi.stdout_file = str(stdout)
    wasi.stderr_file = str(tmp_path / f"{name}.stderr")
    store.set_wasi(wasi)
    store.set_fuel(fuel)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    instance = linker.instantiate(store, module)
    memory = instance.exports(store)["memory"]
    assert isinstance(memory, wasmtime.Memory)
    return Guest(engine, store, instance, memory, stdout)


@dataclass
class Run:
    """The outcome of `_start` in a worker thread."""

    thread: threading.Thread | None = None
    error: BaseException | None = None
    returned: bool = False
    ticks: list[Tick] = field(default_factory=list)

    def join(self, timeout_s: float = JOIN_S) -> float:
        """Join the worker; returns how long it took; fails the test if it is still running."""
        assert self.thread is not None
        t0 = time.monotonic()
        self.thread.join(timeout_s)
        assert not self.thread.is_alive(), f"guest still running after {timeout_s} s"
        return time.monotonic() - t0


@contextmanager
def running(guest: Guest, watch: EpochWatch, run: Run) -> Iterator[Run]:
    """Run the guest in a thread under `watch`; always interrupt, join and stop on the way out."""

    def body() -> None:
        try:
            guest.start()
            run.returned = True
        except BaseException as error:  # noqa: BLE001 - the test inspects it
            run.error = error

    watch.start()
    run.thread = threading.Thread(target=body, name="guest", daemon=True)
    run.thread.start()
    try:
        yield run
    finally:
        watch.interrupt("test cleanup")
        run.thread.join(JOIN_S)
        watch.stop()
        assert not watch.ticker_alive
        assert not run.thread.is_alive(), "guest did not end after the cleanup interrupt"


def wait_for(predicate: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


def function_index(module_file: str, name: str) -> int:
    module = read_module((BUILD / module_file).read_bytes())
    assert module.names is not None
    return next(index for index, fname in module.names.functions.items() if fname == name)


def stdout_lines(guest: Guest) -> int:
    return len(guest.stdout.read_text().splitlines()) if guest.stdout.exists() else 0


# -- spin: a call-free infinite loop ------------------------------------------------------------


def test_spin_ticks_arrive_and_fuel_reads_are_stale_inside_call_free_loops(tmp_path: Path) -> None:
    guest = make_guest("spin.O2.wasm", ["spin"], tmp_path)
    run = Run()
    watch = EpochWatch(guest.engine, guest.store, [guest.memory], initial_fuel=FUEL, on_tick=run.ticks.append)
    with running(guest, watch, run):
        assert wait_for(lambda: len(run.ticks) >= 10, 1.0), f"only {len(run.ticks)} ticks in 1 s"
    assert [t.index for t in run.ticks] == list(range(len(run.ticks)))
    assert all(t.memory_pages == (2,) for t in run.ticks)
    times = [t.t_s for t in run.ticks]
    assert times == sorted(times)
    fuels = [t.fuel_consumed for t in run.ticks]
    assert all(f is not None and f > 0 for f in fuels)
    # Observed with wasmtime 50: compiled code keeps fuel in a register and writes it back at calls
    # only, so inside spin_forever the value read from the callback is frozen at what main had used
    # when it called spin_forever. Monotone, but stale: not a progress signal for call-free loops.
    assert fuels == sorted(fuels)  # type: ignore[type-var]
    assert len(set(fuels)) == 1, f"fuel now advances inside a call-free loop: {fuels[:10]}"


def test_interrupt_ends_spin_with_reason_and_frames(tmp_path: Path) -> None:
    guest = make_guest("spin.O2.wasm", ["spin"], tmp_path)
    run = Run()
    watch = EpochWatch(guest.engine, guest.store, [guest.memory], initial_fuel=FUEL, on_tick=run.ticks.append)
    with running(guest, watch, run):
        assert wait_for(lambda: len(run.ticks) >= 3, 1.0)
        watch.interrupt("where is it spinning?")
        took = run.join(JOIN_S)
    assert took < 0.5
    assert watch.interrupt_delivered and watch.interrupt_reason == "where is it spinning?"
    error = run.error
    assert isinstance(error, wasmtime.WasmtimeError) and not isinstance(error, wasmtime.ExitTrap)
    assert INTERRUPT_PREFIX + "where is it spinning?" in str(error)
    frames = error_frames(error)
    assert frames, "interrupt error carries no wasm backtrace"
    spin_index = function_index("spin.O2.wasm", "spin_forever")
    assert frames[0].func_index == spin_index
    assert frames[0].func_name == "spin_forever"
    assert frames[0].module_offset == 452  # the loop header (sample_modules/README.md)
    assert [f.func_name for f in frames[1:3]] == ["main", "__main_void"]


def test_pause_stops_progress_and_resume_continues(tmp_path: Path) -> None:
    guest = make_guest("spin.O2.wasm", ["spin"], tmp_path)
    # Fuel is stale inside spin_forever (see above), so progress is read from memory: the loop
    # stores the volatile g_counter on every iteration. The pointer is valid while nothing grows
    # memory; reading it from this thread races with the guest, which is harmless for a snapshot.
    base = guest.memory.data_ptr(guest.store)
    size = guest.memory.data_len(guest.store)

    def snapshot() -> bytes:
        return ctypes.string_at(base, size)

    run = Run()
    watch = EpochWatch(guest.engine, guest.store, [guest.memory], initial_fuel=FUEL, on_tick=run.ticks.append)
    with running(guest, watch, run):
        assert wait_for(lambda: len(run.ticks) >= 2, 1.0)
        before = snapshot()
        time.sleep(0.02)
        assert snapshot() != before, "spin makes no visible progress while running"

        watch.pause()
        assert watch.wait_paused(1.0)
        assert watch.is_paused
        ticks_at_pause = len(run.ticks)
        frozen = snapshot()
        time.sleep(0.2)
        assert snapshot() == frozen, "memory changed while paused"
        assert len(run.ticks) == ticks_at_pause, "ticks arrived while paused"
        assert run.thread is not None and run.thread.is_alive()

        watch.resume()
        assert wait_for(lambda: not watch.is_paused, 1.0)
        assert wait_for(lambda: snapshot() != frozen, 1.0), "no progress after resume"
        assert wait_for(lambda: len(run.ticks) >= ticks_at_pause + 3, 1.0)
    assert isinstance(run.error, wasmtime.WasmtimeError)
    assert "test cleanup" in str(run.error)


def test_interrupt_releases_a_paused_guest(tmp_path: Path) -> None:
    guest = make_guest("spin.O2.wasm", ["spin"], tmp_path)
    run = Run()
    watch = EpochWatch(guest.engine, guest.store, [guest.memory], initial_fuel=FUEL, on_tick=run.ticks.append)
    with running(guest, watch, run):
        # A pause requested before the guest starts parks it at its very first epoch check, in
        # _start.command_export; wait until it is inside spin_forever.
        assert wait_for(lambda: len(run.ticks) >= 3, 1.0)
        watch.pause()
        assert watch.wait_paused(1.0)
        watch.interrupt("stop while paused")
        assert run.join(1.0) < 0.5
    assert "stop while paused" in str(run.error)
    assert error_frames(run.error)[0].func_name == "spin_forever"  # type: ignore[arg-type]


def test_stop_releases_a_paused_guest_and_interrupt_still_works_after_stop(tmp_path: Path) -> None:
    guest = make_guest("spin.O2.wasm", ["spin"], tmp_path)
    run = Run()
    watch = EpochWatch(guest.engine, guest.store, [guest.memory], initial_fuel=FUEL, on_tick=run.ticks.append)
    with running(guest, watch, run):
        watch.pause()
        assert watch.wait_paused(1.0)
        t0 = time.monotonic()
        watch.stop()
        assert time.monotonic() - t0 < 0.5
        assert not watch.ticker_alive
        assert wait_for(lambda: not watch.is_paused, 1.0)
        assert run.thread is not None and run.thread.is_alive()  # released, still spinning
        ticks_after_stop = len(run.ticks)
        watch.interrupt("after stop")
        run.join(JOIN_S)
        assert len(run.ticks) == ticks_after_stop  # a stopped watch no longer samples
    assert "after stop" in str(run.error)


def test_on_tick_errors_are_contained_and_on_tick_may_interrupt(tmp_path: Path) -> None:
    guest = make_guest("spin.O2.wasm", ["spin"], tmp_path)
    run = Run()
    seen: list[Tick] = []

    def on_tick(tick: Tick) -> None:
        seen.append(tick)
        if tick.index < 3:
            raise RuntimeError("observer bug")
        if tick.index == 5:
            watch.interrupt("from on_tick")

    watch = EpochWatch(guest.engine, guest.store, [guest.memory], initial_fuel=FUEL, on_tick=on_tick)
    with running(guest, watch, run):
        run.join(JOIN_S)
    assert watch.callback_errors == 3
    assert [t.index for t in seen] == [0, 1, 2, 3, 4, 5]  # interrupted on the tick that asked
    assert "from on_tick" in str(run.error)


# -- leak: grows memory, sleeps in WASI between steps ------------------------------------------


def test_leak_memory_and_fuel_grow_pause_holds_them(tmp_path: Path) -> None:
    guest = make_guest("leak.O0.wasm", ["leak"], tmp_path)
    run = Run()
    watch = EpochWatch(guest.engine, guest.store, [guest.memory], initial_fuel=FUEL, on_tick=run.ticks.append)
    with running(guest, watch, run):
        time.sleep(1.0)
        samples = list(run.ticks)
        # leak sleeps 100 ms per step in poll_oneoff, where no epoch check runs: about one tick per
        # step, not one per 10 ms.
        assert 4 <= len(samples) <= 40
        pages = [t.memory_pages[0] for t in samples]
        assert pages == sorted(pages) and pages[-1] >= pages[0] + 16 * 4, pages
        fuels = [t.fuel_consumed or 0 for t in samples]
        assert fuels == sorted(fuels) and fuels[-1] > fuels[0], fuels  # memset and malloc are calls

        watch.pause()
        assert watch.wait_paused(1.0)  # within one sleep
        lines = stdout_lines(guest)
        held = guest.memory.size(guest.store)  # safe: the guest is parked inside the callback
        time.sleep(0.3)
        assert stdout_lines(guest) == lines and guest.memory.size(guest.store) == held
        watch.resume()
        assert wait_for(lambda: stdout_lines(guest) > lines, 1.0)

        watch.interrupt("leak is enough")
        run.join(JOIN_S)  # a hang bound: it is released at most one 100 ms sleep away
    assert "leak is enough" in str(run.error)
    assert 0 < len(error_frames(run.error)) <= 10  # type: ignore[arg-type]


# -- hello: a normal exit under the watch ------------------------------------------------------


def test_hello_finishes_normally_under_the_watch(tmp_path: Path) -> None:
    guest = make_guest("hello.O0.wasm", ["hello"], tmp_path)
    run = Run()
    watch = EpochWatch(guest.engine, guest.store, [guest.memory], initial_fuel=FUEL, on_tick=run.ticks.append)
    watch.start()
    try:
        time.sleep(0.05)  # let the epoch run ahead, so the first epoch check calls back at once
        try:
            guest.start()
            run.returned = True
        except wasmtime.ExitTrap as exit_trap:
            assert exit_trap.code == 0
    finally:
        watch.stop()
    assert run.returned or run.error is None
    assert not watch.ticker_alive
    assert not any(t.name == "wasmdbg-epoch-ticker" for t in threading.enumerate())
    assert guest.stdout.read_text().count("\n") == 3
    assert len(run.ticks) >= 1 and run.ticks[0].fuel_consumed is not None


def test_watch_is_released_with_its_store(tmp_path: Path) -> None:
    guest = make_guest("hello.O0.wasm", ["hello"], tmp_path)
    before = len(epoch._WATCHES)
    watch = EpochWatch(guest.engine, guest.store, [guest.memory])
    with watch:
        assert len(epoch._WATCHES) == before + 1
    assert len(epoch._WATCHES) == before + 1  # the store may still call back
    guest.store.close()
    assert len(epoch._WATCHES) == before  # wasmtime ran the finalizer
    del guest, watch
    gc.collect()


def test_rejects_bad_tick() -> None:
    engine = wasmtime.Engine()
    with pytest.raises(ValueError, match="tick_s"):
        EpochWatch(engine, wasmtime.Store(engine), tick_s=0)


# -- overhead on a compute-bound guest ---------------------------------------------------------


def _time_to_exhaust(tmp_path: Path, fuel: int, *, epoch_on: bool, watched: bool) -> float:
    guest = make_guest("spin.O2.wasm", ["spin"], tmp_path, epoch_on=epoch_on, fuel=fuel)
    if epoch_on and not watched:
        guest.store.set_epoch_deadline(2**62)
    watch = EpochWatch(guest.engine, guest.store, [guest.memory], initial_fuel=fuel, on_tick=lambda t: None)
    if watched:
        watch.start()
    try:
        t0 = time.perf_counter()
        with pytest.raises(wasmtime.Trap) as trap:
            guest.start()
        elapsed = time.perf_counter() - t0
    finally:
        watch.stop()
    assert trap.value.trap_code == wasmtime.TrapCode.OUT_OF_FUEL
    return elapsed


def test_overhead_of_the_watch_on_a_compute_bound_guest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Reports (does not assert) the wall-time ratio of spin with fuel F: watched vs unwatched."""
    fuel = 2_000_000_000
    plain = min(_time_to_exhaust(tmp_path, fuel, epoch_on=False, watched=False) for _ in range(2))
    epoch_only = min(_time_to_exhaust(tmp_path, fuel, epoch_on=True, watched=False) for _ in range(2))
    watched = min(_time_to_exhaust(tmp_path, fuel, epoch_on=True, watched=True) for _ in range(2))
    with capsys.disabled():
        print(
            f"\nspin.O2 fuel={fuel}: no epochs {plain:.3f} s, epoch checks {epoch_only:.3f} s "
            f"({epoch_only / plain:.2f}x), watched 10 ms ticks {watched:.3f} s ({watched / plain:.2f}x)"
        )

"""The status line's clock: pauses are left out, the engine's duration is final."""

from __future__ import annotations

from wasmdbg.tui.clock import RunClock


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_pauses_are_left_out_and_the_engines_duration_is_final() -> None:
    time = FakeTime()
    clock = RunClock(time)
    assert clock.elapsed() is None
    clock.start()
    time.now += 2
    assert clock.elapsed() == 2
    clock.pause()
    time.now += 10
    assert clock.elapsed() == 2  # stands still while paused
    clock.pause()  # a second pause changes nothing
    clock.resume()
    time.now += 1
    assert clock.elapsed() == 3
    clock.stop(2.9)
    time.now += 50
    assert clock.elapsed() == 2.9


def test_a_stop_without_the_engines_duration_keeps_the_wall_time() -> None:
    time = FakeTime()
    clock = RunClock(time)
    clock.start()
    time.now += 4
    clock.pause()
    time.now += 4
    clock.stop(None)
    time.now += 4
    assert clock.elapsed() == 4

"""Run the interactive app as `wasmdbg MODULE ARGS...` does, measuring how late a 10 ms timer fires.

Run (under a terminal; bench/bench_app.py runs it in a pseudo-terminal):
    .venv/bin/python bench/app_probe.py OUT.json [--idle SECONDS | MODULE ARGS...]

With MODULE, it is the real CLI (`wasmdbg.cli.main`) with one addition: the app is started with an
auto-pilot that sets a Textual interval timer of 10 ms and records when each tick runs. A tick can
only run when the event loop is free, so the gap between two ticks less 10 ms is how long the loop
was stalled (rendering, handling the guest's output, symbolizing...). The app is left running
until its run has stopped and one more second has passed (the trap view drawn), then it exits and
OUT.json gets the gaps. With --idle, a bare Textual app (one Static) does the same for SECONDS:
the reference, the timer's own jitter on this machine.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Static

TICK_S = 0.01
AFTER_STOP_S = 1.0
BOUND_S = 120.0


class Probe:
    """The tick times of a 10 ms timer on an app, written to OUT.json at the end."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.ticks: list[float] = []
        self.started = time.perf_counter()
        self.stopped: float | None = None

    def tick(self) -> None:
        self.ticks.append(time.perf_counter())

    def write(self, **extra: Any) -> None:
        gaps = [b - a for a, b in zip(self.ticks, self.ticks[1:])]
        self.out.write_text(json.dumps({
            "gaps_s": gaps, "ticks_s": [t - self.started for t in self.ticks], "first_tick_s": self.ticks[0] - self.started if self.ticks else None,
            "stopped_s": None if self.stopped is None else self.stopped - self.started, **extra,
        }))

    def pilot(self, done: Any) -> Any:
        async def auto_pilot(pilot: Pilot[Any]) -> None:
            app = pilot.app
            app.set_interval(TICK_S, self.tick)
            began = time.monotonic()
            while not done(app) and time.monotonic() - began < BOUND_S:
                await asyncio.sleep(0.02)
            self.stopped = time.perf_counter()
            await asyncio.sleep(AFTER_STOP_S)
            report = getattr(app, "report", None)
            self.write(outcome=None if report is None else str(getattr(report, "outcome", None)))
            app.exit()

        return auto_pilot


class Idle(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("idle: the reference for the timer's jitter")


def main(argv: list[str]) -> int:
    probe = Probe(Path(argv[0]))
    if argv[1] == "--idle":
        seconds = float(argv[2])
        start = time.monotonic()
        Idle().run(auto_pilot=probe.pilot(lambda app: time.monotonic() - start >= seconds))
        return 0
    import wasmdbg.tui.app as tui_app
    from wasmdbg.cli.main import main as cli_main

    make_app = tui_app.make_app

    def probed_make_app(*args: Any, **kwargs: Any) -> Any:
        app = make_app(*args, **kwargs)
        run = app.run
        app.run = lambda **options: run(auto_pilot=probe.pilot(lambda a: a.report is not None), **options)
        return app

    tui_app.make_app = probed_make_app  # type: ignore[assignment]
    return int(cli_main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

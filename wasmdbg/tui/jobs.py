"""The app's two background jobs, as plain functions of a Session: build the symbolizer, drive a run.

They run in the app's thread workers and reach the UI only through `post` (the app's
thread-safe `post_message`); they never touch a widget. Guest output goes into a deque that the
app's timer drains, so a flood costs the UI thread one bounded batch per tick.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from textual.message import Message

from wasmdbg.dwarf.progress import IndexProgress
from wasmdbg.errors import WasmdbgError
from wasmdbg.runner import protocol as p
from wasmdbg.session.coredump import coredump_bytes, write_file
from wasmdbg.session.live import LiveRun, RunRequest
from wasmdbg.session.report import RunReport
from wasmdbg.session.session import Session
from wasmdbg.session.stops import StopDescriber
from wasmdbg.tui.messages import (
    BreakpointsPlanned,
    GuestStarted,
    ReportReady,
    RunEnded,
    RunFailed,
    RunStarted,
    SampleArrived,
    StopReady,
    SymbolsFailed,
    SymbolsProgress,
    SymbolsReady,
)

Post = Callable[[Message], object]
Output = deque[tuple[str, bytes]]
"""Guest output in the order it came: (stream, bytes)."""


class LiveMemory:
    """A stopped run's linear memory, read through its agent (the memory view calls it from a worker)."""

    def __init__(self, live: LiveRun) -> None:
        self.live = live

    def read(self, address: int, length: int) -> bytes:
        return self.live.read_memory(address, length)


def build_symbols(session: Session, cancel: threading.Event, post: Post) -> str | None:
    """Build the session's symbolizer, posting its progress; return why it failed, or None.

    A cancelled build (the app is quitting) returns None without a word.
    """

    def progress(step: IndexProgress) -> None:
        post(SymbolsProgress(step))

    try:
        session.symbolizer(cancel=cancel, on_progress=progress)
    except WasmdbgError as error:
        return None if cancel.is_set() else error.message
    return None


def build_symbols_into(session: Session, state: SymbolsState, cancel: threading.Event, post: Post) -> None:
    """`build_symbols`, its outcome recorded in `state` (`failure` before `done`, which waiters read),
    then `SymbolsReady` or `SymbolsFailed` posted."""
    failure = None
    try:
        failure = build_symbols(session, cancel, post)
        state.failure = failure
    finally:
        state.done.set()
    post(SymbolsFailed(failure) if failure is not None else SymbolsReady())


class SymbolsState:
    """What the run job needs to know of the symbolizer's build, set from the build's thread."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.failure: str | None = None
        """Why the build failed; set before `done`."""


def _wait_symbols(symbols: SymbolsState, cancel: threading.Event) -> bool:
    """Wait for the symbolizer's build; False if the run was cancelled or the build failed."""
    while not symbols.done.wait(0.1):
        if cancel.is_set():
            return False
    return symbols.failure is None


def plan_run(
    session: Session, request: RunRequest, specs: tuple[str, ...], generation: int, post: Post
) -> tuple[RunRequest, StopDescriber | None]:
    """The request with the breakpoints that resolve (the others are reported, and left out)."""
    from dataclasses import replace

    from wasmdbg.symbols.breakpoints import BreakpointError

    good: list[str] = []
    chosen: list[str] = []
    refused: list[str] = []
    for spec in specs:
        try:
            plan = session.plan_breakpoints([spec])
        except BreakpointError as error:
            refused.append(error.message)
            continue
        good.append(spec)
        chosen.extend(bp.chosen for bp in plan.breakpoints)
    if not good:
        post(BreakpointsPlanned(tuple(chosen), tuple(refused), generation, None))
        return request, None
    # Live: every line of the user's code is probed behind a guard, so `b` takes effect at once.
    plan = session.plan_breakpoints(good, live=True)
    describer = session.stop_describer(plan)
    post(BreakpointsPlanned(tuple(chosen), tuple(refused), generation, describer))
    planned = replace(request, breakpoints=plan.offsets, call_sites=plan.call_sites, live_points=plan.live_points)
    return planned, describer


def _stop_ready(session: Session, live: LiveRun, describer: StopDescriber, stopped: p.Stopped, generation: int, post: Post) -> None:
    try:
        stop = describer.describe(stopped, lambda address, size: live.read_memory(address, size))
        report = session.stop_report(stop, live)
        size = live.memory_size() if session.module.memories else None
    except WasmdbgError as error:
        post(RunFailed(error.message, generation))
        return
    post(StopReady(report, generation, size))


def drive_run(
    session: Session,
    request: RunRequest,
    generation: int,
    output: Output,
    cancel: threading.Event,
    post: Post,
    symbols: SymbolsState,
    breakpoints: tuple[str, ...] = (),
) -> None:
    """Start a run, post its events, then its report once the frames can be named.

    With `breakpoints` (specs), the run is planned first (the line tables are needed), and each
    stop is posted as a `StopReady` with its variables; the guest stays held until the UI continues.
    A cancelled run (restart, quit) is closed here: nothing it had on disk is left behind.
    """
    describer = None
    if breakpoints:
        if not _wait_symbols(symbols, cancel):
            return
        request, describer = plan_run(session, request, breakpoints, generation, post)
    try:
        live = session.start_run(request, cancel=cancel)
    except WasmdbgError as error:
        post(RunFailed(error.message, generation))
        return
    post(RunStarted(live, generation))
    for event in live.events():
        if isinstance(event, p.Stopped) and describer is not None:
            if _wait_symbols(symbols, cancel):
                _stop_ready(session, live, describer, event, generation, post)
            continue
        if isinstance(event, p.Output):
            output.append((event.stream, event.data))
        elif isinstance(event, p.Sample):
            post(SampleArrived(event, generation))
        elif isinstance(event, p.Started):
            post(GuestStarted(generation))
        elif isinstance(event, p.Finished):
            post(RunEnded(event, generation))
    finished = live.finished
    if finished is None:
        live.close()
        return
    # The report names frames: wait for the index being built rather than build a second one.
    if not _wait_symbols(symbols, cancel):
        return  # cancelled, or the app is saying why the symbols failed and leaving
    try:
        report = session.report(
            finished, live.request, samples=live.samples, stdout=bytes(live.stdout), stderr=bytes(live.stderr)
        )
    except WasmdbgError as error:
        post(RunFailed(error.message, generation))
        return
    size = None
    if live.engine_alive and session.module.memories:
        try:
            size = live.memory_size()
        except WasmdbgError:
            size = None  # the memory is not exported, or the engine ended: the pane says so
    post(ReportReady(report, generation, size))


def save_coredump(session: Session, live: LiveRun, report: RunReport, path: str) -> str:
    """Write the stopped run as a coredump at `path`; return what to tell the user (done, or why not)."""
    try:
        write_file(path, coredump_bytes(session.module, session.path, live, report))
    except WasmdbgError as error:
        return f"no coredump written: {error.message}"
    return f"coredump written to {path} (open it with: wasmdbg open {path})"

"""A live run you can steer: one agent, its events as they come, pause/resume/interrupt, post-mortem reads.

`LiveRun` is what every front end drives: the CLI drains `events()` and prints output as it
streams; the app's worker thread does the same and posts each event to the UI, while the UI thread
calls `pause()`, `resume()` and `interrupt()`. After the outcome the agent stays up for
`read_memory`, `memory_size` and `globals` until `close()`.

The wall-clock limit holds whatever the guest does. The agent enforces it at epoch checks, which
a guest blocked in a host call (reading a FIFO, say) never reaches; so the parent keeps its own
deadline, the limit plus a grace period, after which it kills the agent and reports `timeout`
itself. An interrupt that the guest cannot take for the same reason ends the same way.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType

from wasmdbg.errors import WasmdbgError
from wasmdbg.runner import protocol as p
from wasmdbg.runner.client import Agent, AgentGoneError
from wasmdbg.runner.grants import DirGrant
from wasmdbg.runner.limits import RunLimits
from wasmdbg.runner.spawn import AgentProcess

HEADLESS_TICK_S = 0.1
"""The sampling interval of a run nobody watches live (`wasmdbg run`): samples only fill the
report's series there, and each one stops the guest for a callback into Python."""

STDIN_INHERIT = "-"
"""`RunRequest.stdin` value meaning wasmdbg's own stdin (the terminal or pipe it was started with)."""

GRACE_S = 1.0
"""How long past a deadline (the timeout, or an interrupt) the parent waits before it ends the agent itself."""
START_ALLOWANCE_S = 120.0
"""How long compiling a module may take before the parent gives up on the agent."""
MAX_SAMPLES = 20_000
"""Samples kept for the report; past this, every other one is dropped (the chart keeps its shape)."""
_POLL_S = 0.1


class RunCancelledError(WasmdbgError):
    """The caller's cancel event was set before the run finished."""


@dataclass(frozen=True)
class RunRequest:
    """How to run a module: guest arguments, grants and limits (the module is the session's)."""

    args: Sequence[str] = ()
    argv0: str | None = None
    env: Sequence[tuple[str, str]] = ()
    dirs: Sequence[DirGrant] = ()
    stdin: str | None = None
    """A file for the guest's stdin, STDIN_INHERIT for wasmdbg's own, or None for an empty one."""
    limits: RunLimits = field(default_factory=RunLimits)
    invoke: str | None = None
    invoke_args: Sequence[str] = ()
    unknown_imports_trap: bool = False
    tick_s: float = 0.01
    """How often the guest is sampled for the live view (pause, interrupt and the timeout do not
    wait for a tick: each makes the guest reach its next epoch check at once)."""
    meter_fuel: bool = False
    """Meter fuel even without a `limits.fuel` budget (the app shows it live); a budget always meters."""
    compile_cache: bool = True
    """Keep compiled code in wasmtime's cache under wasmdbg's cache directory."""
    breakpoints: Sequence[int] = ()
    """Module offsets to stop before (a `Stopped` event each time); the run is then of an instrumented copy."""
    call_sites: Sequence[int] = ()
    """Call instructions whose callers' locals a stop reports (see `Session.plan_breakpoints`)."""
    live_points: Sequence[int] = ()
    """Offsets probed behind guards: `set_breakpoints` can stop at these while the guest runs."""

    @property
    def fuel_metered(self) -> bool:
        """Whether the run meters fuel: asked for, or needed by a budget."""
        return self.meter_fuel or self.limits.fuel is not None


class LiveRun:
    """One run of a module in its own agent process; use it as a context manager.

    Args:
        module_path: the module to run (binary or text format).
        request: arguments, grants and limits.
        cancel: set it (from any thread) to end the run at once; `events()` then stops without a
            Finished event. The app's worker passes its own cancelled-event here.
        started: an agent process started before the request was known (see `runner.spawn`); taken
            over, or discarded when the run hands the guest this process's stdin.

    Raises:
        WasmdbgError: the stdin file cannot be opened.
    """

    def __init__(
        self, module_path: str, request: RunRequest, *, cancel: threading.Event | None = None,
        started: AgentProcess | None = None,
    ) -> None:
        self.request = request
        self.cancel = cancel or threading.Event()
        self.samples: list[p.Sample] = []
        """Samples so far (thinned past MAX_SAMPLES)."""
        self.stdout = bytearray()
        self.stderr = bytearray()
        """Guest output as forwarded (the agent forwards at most 1 MiB per stream)."""
        self.finished: p.Finished | None = None
        """The outcome, once it has come."""
        self.last_sample: p.Sample | None = None
        self.stopped: p.Stopped | None = None
        """The breakpoint stop the guest is held at, until `continue_()`."""
        self._held_remaining: float | None = None
        self._started_at: float | None = None
        self._deadline: float | None = None
        self._interrupted: tuple[str, float] | None = None
        self._lock = threading.Lock()
        self._stride = 1
        self._seen = 0
        stdin_fd = os.dup(0) if request.stdin == STDIN_INHERIT else None
        if started is not None and stdin_fd is not None:
            started.discard()  # it was started without the guest's stdin descriptor
            started = None
        try:
            self._agent = Agent(stdin_fd=stdin_fd, started=started)
        finally:
            if stdin_fd is not None:
                os.close(stdin_fd)  # the agent has its own copy
        if request.stdin == STDIN_INHERIT:
            stdin = self._agent.guest_stdin
        else:
            stdin = None if request.stdin is None else os.path.abspath(request.stdin)
        argv = (request.argv0 or os.path.basename(module_path), *request.args)
        self._agent.send(
            p.Start(
                module=os.path.abspath(module_path),
                argv=tuple(argv),
                output_dir=self._agent.output_dir,
                env=tuple(request.env),
                dirs=tuple(request.dirs),
                stdin=stdin,
                limits=request.limits,
                invoke=request.invoke,
                invoke_args=tuple(request.invoke_args),
                unknown_imports_trap=request.unknown_imports_trap,
                tick_s=request.tick_s,
                meter_fuel=request.fuel_metered,
                compile_cache=request.compile_cache,
                breakpoints=tuple(request.breakpoints),
                call_sites=tuple(request.call_sites),
                live_points=tuple(request.live_points),
            )
        )
        self._deadline = time.monotonic() + START_ALLOWANCE_S + (request.limits.timeout_s or 0)

    # -- events ---------------------------------------------------------------------------------

    def events(self) -> Iterator[p.Started | p.Sample | p.Output | p.Stopped | p.Finished]:
        """Events until the run's Finished (inclusive); ends early, without one, when `cancel` is set."""
        while self.finished is None:
            if self.cancel.is_set():
                self._agent.kill()
                return
            now = time.monotonic()
            deadline = self._current_deadline()
            if deadline is not None and now >= deadline:
                yield self._end_stuck_run()
                return
            wait = _POLL_S if deadline is None else max(0.0, min(_POLL_S, deadline - now))
            event = self._agent.next_event(wait)
            if event is None:
                continue
            self._record(event)
            yield event

    def wait(self) -> p.Finished:
        """Drain the events and return the outcome.

        Raises:
            RunCancelledError: `cancel` was set first.
        """
        for _ in self.events():
            pass
        if self.finished is None:
            raise RunCancelledError("the run was cancelled")
        return self.finished

    def _record(self, event: p.Event) -> None:
        if isinstance(event, p.Started):
            self._started_at = time.monotonic()
            timeout = self.request.limits.timeout_s
            self._deadline = None if timeout is None else self._started_at + timeout + GRACE_S
        elif isinstance(event, p.Sample):
            self.last_sample = event
            self._seen += 1
            if self._seen % self._stride == 0:
                self.samples.append(event)
                if len(self.samples) > MAX_SAMPLES:
                    self.samples = self.samples[::2]
                    self._stride *= 2
        elif isinstance(event, p.Output):
            (self.stdout if event.stream == p.STDOUT else self.stderr).extend(event.data)
        elif isinstance(event, p.Stopped):
            # Held at a breakpoint, the guest does not use its time: the deadline waits with it.
            with self._lock:
                self.stopped = event
                if self._deadline is not None and self._started_at is not None:
                    self._held_remaining = max(0.0, self._deadline - time.monotonic())
                    self._deadline = None
        elif isinstance(event, p.Finished):
            self.finished = event
            self.stopped = None

    def _current_deadline(self) -> float | None:
        with self._lock:
            interrupted = self._interrupted
        candidates = [d for d in (self._deadline, interrupted[1] if interrupted else None) if d is not None]
        return min(candidates) if candidates else None

    def _end_stuck_run(self) -> p.Finished:
        """The guest did not reach an epoch check in time (blocked in a host call): end the agent and say so."""
        self._agent.kill()
        with self._lock:
            interrupted = self._interrupted
        timeout = self.request.limits.timeout_s
        elapsed = time.monotonic() - self._started_at if self._started_at is not None else None
        stuck = "the guest was blocked outside wasm code (in a host call such as a read of stdin), so wasmdbg ended the engine"
        if interrupted is not None and (self._deadline is None or interrupted[1] <= self._deadline):
            outcome = p.Outcome(p.INTERRUPTED, message=f"{interrupted[0]}; {stuck}")
        elif self._started_at is None:
            outcome = p.Outcome(p.ERROR, message=f"the engine did not start within {START_ALLOWANCE_S:g} s", error_kind=p.COMPILE)
        else:
            outcome = p.Outcome(p.TIMEOUT, message=f"timeout after {timeout:g} s; {stuck}")
        last = self.last_sample
        pages = last.memory_pages if last else ()
        peaks = [max((s.memory_pages[i] for s in self.samples if len(s.memory_pages) > i), default=0) for i in range(len(pages))]
        finished = p.Finished(
            outcome,
            fuel_consumed=last.fuel_consumed if last else None,
            memory_pages=pages,
            peak_pages=tuple(peaks),
            page_bytes=last.page_bytes if last else (),
            duration_s=None if elapsed is None else round(elapsed, 4),
            ended_by_parent=True,
            fuel_exact=False,
            fuel_metered=self.request.fuel_metered if self._started_at is not None else None,
        )
        self.finished = finished
        return finished

    # -- control, from any thread ---------------------------------------------------------------

    def pause(self) -> None:
        """Hold the guest at its next epoch check (the chart and output stop too)."""
        self._agent.send(p.Pause())

    def resume(self) -> None:
        """Let a paused guest go on."""
        self._agent.send(p.Resume())

    def _leave_stop(self) -> None:
        """The guest goes on from a stop: its deadline counts again from what was left."""
        with self._lock:
            self.stopped = None
            if self._held_remaining is not None:
                self._deadline = time.monotonic() + self._held_remaining
                self._held_remaining = None

    def continue_(self) -> None:
        """Let a guest held at a breakpoint go on, to the next hit or the end."""
        self._leave_stop()
        self._agent.send(p.Continue())

    def step(self, mode: str) -> bool:
        """From a stop, run to the next line by `mode` (`p.STEP_MODES`); False (nothing sent) when not stopped
        in a run with live points."""
        with self._lock:
            stopped = self.stopped
        if stopped is None or not self.request.live_points or mode not in p.STEP_MODES:
            return False
        self._leave_stop()
        self._agent.send(p.Step(mode, len(stopped.frames)))
        return True

    def set_breakpoints(self, offsets: Sequence[int]) -> bool:
        """Stop at these offsets from now on; False (nothing sent) unless all are among `live_points`."""
        if not set(offsets) <= set(self.request.live_points):
            return False
        self._agent.send(p.SetBreakpoints(tuple(offsets)))
        return True

    def interrupt(self, reason: str = "interrupted by the user") -> None:
        """End the guest's call where it is; the outcome (`interrupted`) carries its frames.

        If the guest cannot take the interrupt within GRACE_S (it is blocked in a host call), the
        agent is ended and the outcome says so.
        """
        with self._lock:
            if self._interrupted is None:
                self._interrupted = (reason, time.monotonic() + GRACE_S)
        self._agent.send(p.Interrupt(reason))

    # -- reads, while running or post-mortem ----------------------------------------------------

    def read_memory(self, address: int, length: int, memory: int = 0) -> bytes:
        """Bytes of an exported memory from `address` (fewer past its end).

        Raises:
            WasmdbgError: no such memory, or the engine is gone or did not answer.
        """
        reply = self._ask(p.ReadMemory(address, length, memory))
        assert isinstance(reply, p.MemoryBytes)
        return reply.data

    def memory_size(self, memory: int = 0) -> int:
        """Bytes of an exported memory now."""
        reply = self._ask(p.MemorySize(memory))
        assert isinstance(reply, p.MemorySizeReply)
        return reply.size_bytes

    def globals(self) -> tuple[p.GlobalValue, ...]:
        """The exported globals' values after the run (a running guest's globals cannot be read)."""
        reply = self._ask(p.ReadGlobals())
        assert isinstance(reply, p.Globals)
        return reply.globals

    def _ask(self, request: p.ReadMemory | p.MemorySize | p.ReadGlobals) -> p.Reply:
        try:
            reply = self._agent.request(request)
        except AgentGoneError as error:
            raise WasmdbgError(error.message) from None
        if isinstance(reply, p.Refused):
            raise WasmdbgError(reply.message)
        return reply

    @property
    def engine_alive(self) -> bool:
        """Whether post-mortem reads can still be served."""
        return self._agent.alive

    # -- lifetime -------------------------------------------------------------------------------

    def close(self) -> None:
        """End the agent (and the guest, if it is still running) and remove everything it had on disk."""
        if self.finished is None:
            self._agent.kill()  # a running guest would not read a polite Quit before close gives up on it
        self._agent.close()

    def __enter__(self) -> LiveRun:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


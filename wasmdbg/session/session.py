"""`Session`: one loaded module and everything a front end asks of it.

The CLI commands and the app are thin callers of this: it reads the module once, builds its
symbolizer lazily (in the background if the caller wants, with progress, cancellable), starts
runs (`start_run` -> `LiveRun`), turns a finished run into a `RunReport` (`finish`), symbolizes
pasted text, reads source under the user's roots and disassembles functions.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from wasmdbg.addresses import ModuleOffset
from wasmdbg.dwarf.progress import IndexProgress
from wasmdbg.explanation import explain
from wasmdbg.facts import page_bytes
from wasmdbg.inspection.module_info import ModuleInfo, describe_module
from wasmdbg.runner import protocol as p
from wasmdbg.runner.limits import memory_cap_hit
from wasmdbg.runner.text_format import read_module_source
from wasmdbg.session.annotation import PastedText, symbolize_text
from wasmdbg.session.disassembly import Disassembly, disassemble
from wasmdbg.session.live import LiveRun, RunRequest
from wasmdbg.session.guest_traceback import with_abort_position, with_go_traceback
from wasmdbg.session.report import FUEL, MEMORY, TIMEOUT_HIT, MemoryUse, ModuleRef, RunReport, Trap, UserFrameRef
from wasmdbg.session.stops import BreakPlan, BreakPlanner, BreakpointStop, StopDescriber
from wasmdbg.symbols.breakpoints import Breakpoint
from wasmdbg.symbols.frames import SourceFrame, SymbolizedAddress
from wasmdbg.symbols.runtime import user_frame
from wasmdbg.symbols.sources import SourceExcerpt, SourceMissing, SourceRoots
from wasmdbg.symbols.stack import StackFrame, symbolize_stack
from wasmdbg.symbols.symbolizer import SymbolizeOptions, Symbolizer
from wasmdbg.wasm.module import WasmModule, read_module


@dataclass(frozen=True)
class SessionOptions:
    """Where a session finds debug information and sources."""

    symbolize: SymbolizeOptions = field(default_factory=SymbolizeOptions)
    source_roots: Sequence[str] = ()
    """Directories sources may be read from; none given: the module's directory."""
    substitutions: Sequence[str] = ()
    """`FROM=TO` rewrites of build paths to local ones, tried in order."""


class Session:
    """One module, loaded once, and the symbolizer, runs and views built on it."""

    def __init__(self, path: str, module: WasmModule, options: SessionOptions, *, text_format: bool = False) -> None:
        self.path = path
        """The module's path as the user gave it."""
        self.module = module
        self.options = options
        self.text_format = text_format
        """Whether the file was the text format (then `data` is its assembled binary)."""
        self.sources = SourceRoots.for_module(path, list(options.source_roots), list(options.substitutions))
        self._symbolizer: Symbolizer | None = None
        self._symbolizer_lock = threading.Lock()
        self._planner: BreakPlanner | None = None
        self._planner_lock = threading.Lock()

    @classmethod
    def open(cls, path: str | os.PathLike[str], options: SessionOptions | None = None) -> Session:
        """Read a module (binary or text format).

        Raises:
            WasmdbgError: the file is missing, unreadable, malformed, or text that does not assemble.
        """
        data, text_format = read_module_source(path)
        return cls(os.fspath(path), read_module(data), options or SessionOptions(), text_format=text_format)

    @property
    def data(self) -> bytes:
        """The module's binary (assembled from the text format if it was given as text)."""
        return self.module.data

    @cached_property
    def sha256(self) -> str:
        """Of the binary (for a text-format module: of its assembled binary)."""
        return hashlib.sha256(self.module.data).hexdigest()

    # -- symbols --------------------------------------------------------------------------------

    def symbolizer(
        self,
        *,
        cancel: threading.Event | None = None,
        on_progress: Callable[[IndexProgress], None] | None = None,
    ) -> Symbolizer:
        """The module's symbolizer, built on first use (the DWARF index may take seconds cold).

        Safe from any thread: one build happens, other callers wait for it. Call it from a worker
        with `cancel` and `on_progress` to keep a UI responsive.

        Raises:
            WasmdbgError: a debug file given explicitly cannot be used; DwarfBuildCancelled when
                `cancel` was set.
        """
        with self._symbolizer_lock:
            if self._symbolizer is None:
                self._symbolizer = Symbolizer.for_module(
                    self.module, self.path, self.options.symbolize, cancel=cancel, on_progress=on_progress
                )
            return self._symbolizer

    @property
    def symbolizer_ready(self) -> bool:
        """Whether `symbolizer()` returns at once."""
        return self._symbolizer is not None

    def symbolize(self, offset: ModuleOffset) -> SymbolizedAddress:
        """Frames for a module offset, innermost first, with findings."""
        return self.symbolizer().symbolize(offset)

    def symbolize_text(self, text: str) -> PastedText:
        """Every backtrace in pasted text, each frame checked against this module and symbolized,
        with the lines to annotate (what the log filter and the paste screen show)."""
        return symbolize_text(text, self.symbolizer())

    def stack(self, frames: Sequence[p.GuestFrame]) -> tuple[StackFrame, ...]:
        """wasmtime's frames symbolized."""
        return symbolize_stack(frames, self.symbolizer())

    # -- runs -----------------------------------------------------------------------------------

    def start_run(self, request: RunRequest, *, cancel: threading.Event | None = None) -> LiveRun:
        """Start the module in a new agent; the caller drains `events()` and closes it."""
        return LiveRun(self.path, request, cancel=cancel)

    def finish(self, live: LiveRun) -> RunReport:
        """Drain a run to its outcome and build its report (the run stays open for reads).

        Raises:
            RunCancelledError: the run's cancel event was set first.
        """
        finished = live.wait()
        return self.report(finished, live.request, samples=live.samples, stdout=bytes(live.stdout), stderr=bytes(live.stderr))

    def report(
        self,
        finished: p.Finished,
        request: RunRequest,
        *,
        samples: Sequence[p.Sample] = (),
        stdout: bytes = b"",
        stderr: bytes = b"",
    ) -> RunReport:
        """The report of a finished run of this module."""
        symbolizer = self.symbolizer()
        outcome = finished.outcome
        stderr_text = stderr.decode("utf-8", "replace")
        stack = with_go_traceback(symbolize_stack(outcome.frames, symbolizer), stderr_text, self.module)
        stack = with_abort_position(stack, outcome.abort)
        limits = request.limits
        memory = self._memory_use(finished, limits.max_memory_bytes)
        hits = []
        if memory.peak_bytes is not None and memory_cap_hit(memory.peak_bytes, limits.max_memory_bytes):
            hits.append(MEMORY)
        if outcome.trap_kind == "out_of_fuel":
            hits.append(FUEL)
        if outcome.outcome == p.TIMEOUT:
            hits.append(TIMEOUT_HIT)
        found = user_frame(stack)
        ref = None if found is None else UserFrameRef(found.frame_index, found.source_index)
        source = None
        if found is not None and found.frame.file and found.frame.line:
            source = self.source_excerpt(found.frame)
        trap = None
        if outcome.outcome == p.TRAPPED:
            trap = Trap(outcome.trap_kind, outcome.message, outcome.fault_address, outcome.memory_size)
        return RunReport(
            outcome=outcome.outcome,
            module=ModuleRef(self.path, self.sha256),
            limits=limits,
            exit_code=outcome.exit_code,
            results=outcome.results,
            trap=trap,
            message=outcome.message,
            error_kind=outcome.error_kind,
            abort=outcome.abort,
            explanation=explain(finished, stack, self.module, stderr=stderr_text, limits=limits),
            stack=stack,
            frames_truncated=outcome.frames_truncated,
            user_frame=ref,
            source=source,
            fuel_consumed=finished.fuel_consumed,
            fuel_exact=finished.fuel_exact,
            memory=memory,
            limits_hit=tuple(hits),
            samples=tuple(samples),
            stdout=stdout,
            stderr=stderr,
            stdout_dropped=finished.stdout_dropped,
            stderr_dropped=finished.stderr_dropped,
            duration_s=finished.duration_s,
            notes=tuple(symbolizer.notes),
            ended_by_parent=finished.ended_by_parent,
            fuel_metered=finished.fuel_metered,
            cpu_time_s=finished.cpu_time_s,
        )

    # -- breakpoints ----------------------------------------------------------------------------

    def plan_breakpoints(self, specs: Sequence[str], *, live: bool = False) -> BreakPlan:
        """Resolve `--break` specs to offsets, and pick the call sites to wrap for callers' variables.

        `live` (the app) also probes every line of the user's code behind guards, so that
        breakpoints set during the run take effect at once (`LiveRun.set_breakpoints`).

        Raises:
            BreakpointError: a spec names no code (the message says what exists).
        """
        return self._break_planner().plan(specs, live=live)

    def resolve_breakpoint(self, spec: str) -> Breakpoint:
        """Where one spec stops (the app's gutter dots), without planning a run.

        Raises:
            BreakpointError: the spec names no code.
        """
        return self._break_planner().resolver.resolve(spec)

    def _break_planner(self) -> BreakPlanner:
        with self._planner_lock:
            if self._planner is None:
                self._planner = BreakPlanner(self.symbolizer())
            return self._planner

    def stop_describer(self, plan: BreakPlan | None = None) -> StopDescriber:
        """What turns the agent's `Stopped` events into stops with variables, for this module."""
        return StopDescriber(self.symbolizer(), plan.breakpoints if plan else ())

    def stop_report(self, stop: BreakpointStop, live: LiveRun) -> RunReport:
        """The report of a run ended at a breakpoint (headless `run --break`): outcome "breakpoint"."""
        stopped = stop.stopped
        last = live.last_sample
        pages = stopped.memory_pages[:1]
        peak = max([*(s.memory_pages[0] for s in live.samples if s.memory_pages), *pages], default=0)
        finished = p.Finished(
            p.Outcome(p.BREAKPOINT, message=stopped.step, frames=stopped.frames, frames_truncated=stopped.frames_truncated),
            memory_pages=pages, peak_pages=(peak,) if pages else (),
            page_bytes=last.page_bytes if last else (),
            fuel_consumed=last.fuel_consumed if last else None, fuel_exact=False,
            fuel_metered=live.request.fuel_metered,
        )  # fmt: skip
        report = self.report(finished, live.request, samples=live.samples, stdout=bytes(live.stdout), stderr=bytes(live.stderr))
        source = None
        if stop.stack and stop.stack[0].sources[0].file:
            source = self.source_excerpt(stop.stack[0].sources[0])
        hit = f" (hit {stopped.hit})" if stopped.hit > 1 else ""
        chosen = f" Breakpoint {stop.breakpoint.chosen}." if stop.breakpoint and stopped.hit else ""
        explanation = report.explanation.rstrip(".") + f"{hit}." + chosen
        return replace(
            report, stop=stop, user_frame=UserFrameRef(0, 0) if stop.stack else None, source=source,
            explanation=explanation, message=None,  # the outcome's message carried the step, for the explanation
        )  # fmt: skip

    def _memory_use(self, finished: p.Finished, cap: int | None) -> MemoryUse:
        declared = self.module.memories[0].limits.page_size_log2 if self.module.memories else None
        size = finished.page_bytes[0] if finished.page_bytes else page_bytes(declared)
        pages = finished.memory_pages[0] if finished.memory_pages else None
        peak = finished.peak_pages[0] if finished.peak_pages else None
        return MemoryUse(pages, peak, cap, size)

    # -- views ----------------------------------------------------------------------------------

    def source_excerpt(self, frame: SourceFrame, context: int = 3) -> SourceExcerpt | SourceMissing | None:
        """The source around a frame's line, or why it cannot be shown; None for a frame without a location."""
        if not frame.file or not frame.line:
            return None
        return self.sources.read_excerpt(frame.file, frame.line, context)

    def info(self, *, validate: bool = True) -> ModuleInfo:
        """What `wasmdbg info` reports: the module's facts, its debug information, wasmtime's verdict."""
        return describe_module(
            self.path, self.module, validate=validate, text_format=self.text_format,
            debug_file=self.options.symbolize.debug_file,
        )  # fmt: skip

    def disassemble(self, func_index: int) -> Disassembly:
        """A defined function's instructions, with module offsets.

        Raises:
            WasmdbgError: the index names no defined function, or its body is malformed.
        """
        return disassemble(self.module, func_index)

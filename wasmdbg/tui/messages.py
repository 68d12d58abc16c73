"""Messages the app's workers post to the UI thread (thread-safe `post_message`).

High-rate ones (`SampleArrived`, `SymbolsProgress`) define `can_replace`, so a newer one replaces
one still queued: a guest sampled every 10 ms must not become 100 UI updates a second.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from wasmdbg.dwarf.progress import IndexProgress
from wasmdbg.runner import protocol as p
from wasmdbg.session.live import LiveRun
from wasmdbg.session.report import RunReport
from wasmdbg.session.stops import StopDescriber


@dataclass
class SymbolsProgress(Message):
    """The DWARF index build has got this far."""

    progress: IndexProgress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SymbolsProgress)


@dataclass
class SymbolsReady(Message):
    """The symbolizer is built: frames can be named."""


@dataclass
class SymbolsFailed(Message):
    """The symbolizer could not be built (an explicit debug file that cannot be used)."""

    message: str


@dataclass
class RunStarted(Message):
    """A run's agent is up (the module may still be compiling)."""

    live: LiveRun
    generation: int


@dataclass
class GuestStarted(Message):
    """The module compiled; guest code runs from now."""

    generation: int


@dataclass
class SampleArrived(Message):
    """A new sample of memory and fuel (the chart reads every sample from the run itself)."""

    sample: p.Sample
    generation: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SampleArrived) and message.generation == self.generation


@dataclass
class RunEnded(Message):
    """The outcome has come; the report (symbolized) follows as ReportReady."""

    finished: p.Finished
    generation: int


@dataclass
class ReportReady(Message):
    """The finished run's report, stack symbolized."""

    report: RunReport
    generation: int
    memory_size: int | None
    """Bytes of memory 0 at the end, if the engine could say (it is up and the memory exported)."""


@dataclass
class RunFailed(Message):
    """The run could not be started or its report not built."""

    message: str
    generation: int


@dataclass
class BreakpointsPlanned(Message):
    """The run's breakpoints are resolved: where each stops, and the specs that name no code (why)."""

    chosen: tuple[str, ...]
    refused: tuple[str, ...]
    generation: int
    describer: StopDescriber | None = None
    """What names this run's stops; the app updates its breakpoints when they change during the run."""


@dataclass
class StopReady(Message):
    """The guest is held at a breakpoint: the stop's report (stack, variables) for the trap view."""

    report: RunReport
    generation: int
    memory_size: int | None

"""Rich rendering of a run report: outcome, explanation, frames, source, memory and fuel."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from wasmdbg.facts import WASMTIME_FRAME_LIMIT
from wasmdbg.findings import Finding
from wasmdbg.runner import protocol as p
from wasmdbg.session.report import MEMORY, RunReport
from wasmdbg.symbols.frames import SourceFrame
from wasmdbg.symbols.runtime import is_runtime_frame
from wasmdbg.symbols.sources import SourceExcerpt, SourceMissing
from wasmdbg.text import describe_bytes, printable

OUTCOME_STYLES = {p.EXITED: "bold green", p.RETURNED: "bold green", p.TRAPPED: "bold red", p.TIMEOUT: "bold yellow",
          p.INTERRUPTED: "bold yellow", p.ENGINE_CRASHED: "bold red", p.ERROR: "bold red",
          p.BREAKPOINT: "bold magenta"}  # fmt: skip
"""The colour of each outcome, wherever an outcome is shown (the report, the app's panels)."""

TAB_SIZE = 4
"""Columns a tab in a source line takes (as in the app's source pane, Rich's `Syntax` default): Go indents with tabs."""


def location(frame: SourceFrame) -> str | None:
    """`file:line` (or the file alone) of a frame, None without one."""
    if not frame.file:
        return None
    return frame.file + (f":{frame.line}" if frame.line else "")


class RunView:
    """The report printed after a run (on stderr, after the guest's own output).

    Args:
        report: the run's report; everything shown comes from it.
        source_hint: what to say after "source not shown: …" (the front end knows its flags).
    """

    def __init__(
        self, report: RunReport, source_hint: str | None = None, describe: Callable[[Finding], str] = str
    ) -> None:
        self.report = report
        self.source_hint = source_hint
        self.describe = describe

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        r = self.report
        headline = Text.assemble(("wasmdbg: ", "bold"), (r.outcome, OUTCOME_STYLES.get(r.outcome, "bold")))
        if r.trap is not None and r.trap.kind:
            headline.append(f" ({printable(r.trap.kind)})", style="red")
        if r.outcome == p.EXITED:
            headline.append(f" with code {r.exit_code}")
        yield Text()
        yield headline
        if r.explanation:
            yield Text(printable(r.explanation, one_line=False))
        yield from self._frames()
        yield from self._source()
        if r.stop is not None:
            from wasmdbg.render.variables import VariablesView

            yield VariablesView(r.stop)
        memory = r.memory
        if memory.peak_bytes is not None:
            cap = describe_bytes(memory.limit_bytes) if memory.limit_bytes else "no cap"
            hit = "  (cap hit)" if MEMORY in r.limits_hit else ""
            yield Text(f"memory: peak {describe_bytes(memory.peak_bytes)} of {cap}{hit}")
        if r.fuel_consumed is not None:
            bound = "" if r.fuel_exact else "at least "
            yield Text(f"fuel: {bound}{r.fuel_consumed:,} consumed in {r.duration_s or 0:.2f} s")
        elif r.fuel_metered is False:
            yield Text("fuel: not metered (give -W fuel=N to meter it)")
        if r.cpu_time_s is not None:
            wall = f" in {r.duration_s:.2f} s" if r.duration_s is not None else ""
            yield Text(f"cpu: {r.cpu_time_s:.2f} s{wall} (the guest's thread, compilation excluded)")
        for stream, dropped in (("stdout", r.stdout_dropped), ("stderr", r.stderr_dropped)):
            if dropped:  # else a cut-off output reads as all the guest printed
                yield Text(f"{stream}: {describe_bytes(dropped)} more not shown (the first "
                           f"{describe_bytes(p.OUTPUT_LIMIT)} of each stream is passed through)", style="yellow")
        limits = ", ".join(f"{k}={v}" for k, v in r.limits.to_json().items() if v is not None)
        yield Text(f"limits: {limits or 'none'}", style="dim")
        for note in r.notes:
            yield Text(f"note: {printable(self.describe(note))}", style="yellow")

    def _frames(self) -> RenderResult:
        r = self.report
        if not r.stack:
            return
        yield Text("frames (innermost first):", style="bold")
        user = r.user_source_frame
        for _, _, frame in r.frames:
            runtime = is_runtime_frame(frame)
            line = Text("  ")
            line.append(printable(frame.function or "<unnamed>"), style="dim" if runtime else "bold cyan")
            where = location(frame)
            if where:
                line.append("  " + printable(where), style="dim" if runtime else "")
            if frame.inlined:
                line.append("  (inlined)", style="magenta")
            if frame is user:
                line.append("  ← your code", style="bold")
            yield line
        if r.frames_truncated:
            yield Text(f"  … wasmtime keeps at most {WASMTIME_FRAME_LIMIT} frames; the outermost are missing", style="yellow")

    def _source(self) -> RenderResult:
        source = self.report.source
        if isinstance(source, SourceMissing):
            hint = f" ({self.source_hint})" if self.source_hint else ""
            yield Text(f"source not shown: {printable(source.message)}{hint}", style="dim")
        elif isinstance(source, SourceExcerpt):
            yield Text(f"{printable(source.file)}:", style="bold")
            for number, text in source.lines:
                marker = "→" if number == source.line else " "
                yield Text(f" {marker} {number:5d}  {printable(text.expandtabs(TAB_SIZE))}", style="bold" if marker == "→" else "")

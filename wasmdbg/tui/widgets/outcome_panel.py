"""How the run ended, in words: the outcome, the explanation, limits hit, notes, and the last output."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.widgets import Static

from wasmdbg.findings import Finding
from wasmdbg.render.run import OUTCOME_STYLES
from wasmdbg.runner import protocol as p
from wasmdbg.session.report import RunReport
from wasmdbg.text import printable

LAST_OUTPUT_LINES = 4
"""Lines of the guest's output quoted after a normal exit."""

_HEADLINE = {
    p.EXITED: "exited", p.RETURNED: "returned", p.TRAPPED: "trapped", p.TIMEOUT: "timed out",
    p.INTERRUPTED: "interrupted", p.ENGINE_CRASHED: "the engine crashed", p.ERROR: "could not run",
}  # fmt: skip


def headline(report: RunReport) -> Text:
    """`trapped: integer_divide_by_zero`, `exited with code 3`, …"""
    text = Text(_HEADLINE.get(report.outcome, report.outcome), style=OUTCOME_STYLES.get(report.outcome, "bold"))
    if report.trap is not None and report.trap.kind:
        text.append(f": {printable(report.trap.kind)}", style=OUTCOME_STYLES.get(report.outcome, "bold"))
    if report.outcome == p.EXITED:
        text.append(f" with code {report.exit_code}")
    if report.outcome == p.RETURNED and report.results:
        text.append(" " + ", ".join(printable(str(r)) for r in report.results))
    return text


def _last_lines(data: bytes) -> list[str]:
    lines = data.decode("utf-8", "replace").rstrip("\n").splitlines()
    return lines[-LAST_OUTPUT_LINES:]


class OutcomePanel(Static):
    """The top of the trap view."""

    def show(self, report: RunReport, describe: Callable[[Finding], str] = str, *, hint: str | None = None) -> None:
        """Describe `report`; `hint` says what to do when the run could not start."""
        text = headline(report)
        if report.limits_hit:
            text.append(f"   limit hit: {', '.join(report.limits_hit)}", style="bold yellow")
        if report.explanation:
            text.append("\n")
            text.append(printable(report.explanation, one_line=False))
        if hint:
            text.append("\n")
            text.append(printable(hint), style="bold")
        if report.outcome in (p.EXITED, p.RETURNED, p.ERROR):
            for stream, data in (("stdout", report.stdout), ("stderr", report.stderr)):
                lines = _last_lines(data)
                if lines:
                    text.append(f"\nlast {stream}: ", style="bold")
                    text.append(" ⏎ ".join(printable(line) for line in lines), style="red" if stream == "stderr" else "")
        for note in report.notes:
            text.append("\nnote: ", style="yellow")
            text.append(printable(describe(note)))
        self.update(text)

    def show_pending(self, finished: p.Finished) -> None:
        """The outcome is known; the symbolized report is still being built."""
        text = Text(_HEADLINE.get(finished.outcome.outcome, finished.outcome.outcome), style=OUTCOME_STYLES.get(finished.outcome.outcome, "bold"))
        if finished.outcome.trap_kind:
            text.append(f": {printable(finished.outcome.trap_kind)}")
        text.append("\nnaming the frames (the debug information is still being indexed) …", style="dim")
        self.update(text)

"""The status line over every view: run state, elapsed time, limits in force, the symbols' progress."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from wasmdbg.render.run import OUTCOME_STYLES
from wasmdbg.runner.limits import RunLimits
from wasmdbg.text import describe_bytes, printable

COMPILING, RUNNING, PAUSED = "compiling", "running", "paused"
"""States before an outcome; after it the state is the outcome itself (runner.protocol.OUTCOMES)."""

_STYLE = {COMPILING: "bold yellow", RUNNING: "bold green", PAUSED: "bold yellow", **OUTCOME_STYLES}


@dataclass(frozen=True)
class Status:
    """What the status line shows."""

    state: str
    module: str
    """The module's file name."""
    elapsed_s: float | None
    limits: RunLimits
    symbols: str
    """The DWARF index: "indexing 3/12 units", "ready", or why there are no symbols."""
    detail: str = ""
    """A word on the state: the trap kind, the exit code."""


def describe_limits(limits: RunLimits) -> str:
    """The limits in force, in words: `memory ≤ 512 MiB · fuel unlimited · no timeout` (the stack when set)."""
    parts = [
        f"memory ≤ {describe_bytes(limits.max_memory_bytes)}" if limits.max_memory_bytes else "memory uncapped",
        f"fuel ≤ {limits.fuel:,}" if limits.fuel is not None else "fuel unlimited",
        f"timeout {limits.timeout_s:g} s" if limits.timeout_s else "no timeout",
    ]
    if limits.max_wasm_stack:
        parts.append(f"wasm stack ≤ {describe_bytes(limits.max_wasm_stack)}")
    return " · ".join(parts)


class StatusLine(Static):
    """One line: `● trapped (integer_divide_by_zero)  divzero.wasm  0.02 s │ limits │ symbols`."""

    def show(self, status: Status) -> None:
        """Redraw with `status`."""
        text = Text.assemble(("● ", _STYLE.get(status.state, "bold")), (status.state, _STYLE.get(status.state, "bold")))
        if status.detail:
            text.append(f" ({printable(status.detail)})", style=_STYLE.get(status.state, ""))
        text.append("  ")
        text.append(printable(status.module), style="bold")
        if status.elapsed_s is not None:
            text.append(f"  {status.elapsed_s:.2f} s")
        text.append("  │  ", style="dim")
        text.append("symbols: ", style="dim")
        text.append(printable(status.symbols))
        text.append("  │  ", style="dim")
        text.append(describe_limits(status.limits), style="dim")
        self.update(text)

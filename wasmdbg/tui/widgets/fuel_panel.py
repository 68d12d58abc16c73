"""Fuel and memory in figures: used, rate, against the limits; approximate while running, exact at the end."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from wasmdbg.runner import protocol as p
from wasmdbg.runner.limits import RunLimits
from wasmdbg.text import describe_bytes

RATE_WINDOW_S = 1.0
"""The fuel rate is taken over the last second of samples."""


def fuel_rate(samples: Sequence[p.Sample]) -> float | None:
    """Fuel per second over the last RATE_WINDOW_S of samples; None with too few."""
    if len(samples) < 2 or samples[-1].fuel_consumed is None:
        return None
    last = samples[-1]
    first = last
    for sample in reversed(samples):
        if sample.fuel_consumed is None or last.t_s - sample.t_s > RATE_WINDOW_S:
            break
        first = sample
    span = last.t_s - first.t_s
    if span <= 0 or first.fuel_consumed is None or last.fuel_consumed is None:
        return None
    return (last.fuel_consumed - first.fuel_consumed) / span


def _count(value: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value:.0f}"


def _memory_bytes(pages: Sequence[int], page_bytes: Sequence[int]) -> int:
    return sum(n * (page_bytes[i] if i < len(page_bytes) else 65536) for i, n in enumerate(pages))


class FuelPanel(Static):
    """A small table of figures."""

    def show_live(self, samples: Sequence[p.Sample], limits: RunLimits, *, paused: bool) -> None:
        """Figures while the guest runs (fuel is a lower bound, written back by compiled code at calls)."""
        last = samples[-1] if samples else None
        table = self._table()
        if last is None or last.fuel_consumed is None:
            table.add_row("fuel used", Text("—", style="dim"))
        else:
            stale = f"  ≥ (synced {last.fuel_stale_s:.1f} s ago)" if last.fuel_stale_s >= 0.5 else "  ≥ (running)"
            table.add_row("fuel used", Text.assemble(f"{last.fuel_consumed:,}", (stale, "dim")))
            rate = fuel_rate(samples)
            if paused:
                shown = "paused"
            elif last.fuel_stale_s >= RATE_WINDOW_S:
                # Compiled code writes fuel back at calls: a loop without calls shows none burnt.
                shown = f"unknown: no calls for {last.fuel_stale_s:.1f} s (fuel is counted at calls)"
            else:
                shown = "—" if rate is None else f"{_count(rate)}/s"
            table.add_row("fuel rate", shown)
        table.add_row("fuel limit", self._fuel_limit(limits, None if last is None else last.fuel_consumed))
        if last is not None:
            pages = _memory_bytes(last.memory_pages, last.page_bytes)
            peak = max((_memory_bytes(s.memory_pages, s.page_bytes) for s in samples), default=pages)
            table.add_row("memory", f"{describe_bytes(pages)} (peak {describe_bytes(peak)})")
        table.add_row("memory cap", describe_bytes(limits.max_memory_bytes) if limits.max_memory_bytes else "none")
        self.update(table)

    def show_final(self, finished: p.Finished, samples: Sequence[p.Sample], limits: RunLimits) -> None:
        """The final figures: exact unless an interrupt or timeout cut the call short."""
        table = self._table()
        if finished.fuel_consumed is not None:
            mark = ("  exact", "green") if finished.fuel_exact else ("  at least: the call was cut short", "yellow")
            table.add_row("fuel used", Text.assemble(f"{finished.fuel_consumed:,}", mark))
            if finished.duration_s:
                table.add_row("fuel rate", f"{_count(finished.fuel_consumed / finished.duration_s)}/s (mean)")
        table.add_row("fuel limit", self._fuel_limit(limits, finished.fuel_consumed))
        if finished.memory_pages:
            now = _memory_bytes(finished.memory_pages, finished.page_bytes)
            peak = _memory_bytes(finished.peak_pages, finished.page_bytes)
            table.add_row("memory", f"{describe_bytes(now)} (peak {describe_bytes(peak)})")
        table.add_row("memory cap", describe_bytes(limits.max_memory_bytes) if limits.max_memory_bytes else "none")
        if finished.duration_s is not None:
            table.add_row("duration", f"{finished.duration_s:.2f} s")
        self.update(table)

    @staticmethod
    def _table() -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        return table

    @staticmethod
    def _fuel_limit(limits: RunLimits, used: int | None) -> str:
        if limits.fuel is None:
            return "unlimited"
        share = f" ({100 * used / limits.fuel:.0f} % used)" if used is not None and limits.fuel else ""
        return f"{limits.fuel:,}{share}"

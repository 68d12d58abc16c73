"""Linear memory over time against the cap: one line per memory, in MiB, the cap drawn in red.

Built on textual-plotext (Textualize's plotting widget): it gives axes, ticks and a legend that
follow the pane's size and the app's theme, which Textual's Sparkline does not. Only our own
strings (no module names) reach plotext, whose output is parsed from ANSI.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual_plotext import PlotextPlot

from wasmdbg.runner import protocol as p

MIB = 1 << 20
MAX_POINTS = 400
"""Samples plotted at most; a longer run is thinned evenly (the terminal has fewer columns anyway)."""
_CAP_IN_VIEW = 8
"""The cap is drawn to scale when the peak reaches 1/8 of it; below that the y axis follows the data."""


def _thin(samples: Sequence[p.Sample]) -> Sequence[p.Sample]:
    if len(samples) <= MAX_POINTS:
        return samples
    step = len(samples) / MAX_POINTS
    picked = [samples[int(i * step)] for i in range(MAX_POINTS)]
    picked[-1] = samples[-1]
    return picked


class MemoryChart(PlotextPlot):
    """The chart; `plot_samples` redraws it."""

    title_text = ""
    """The chart's title as last drawn (what the cap line means)."""
    peak_mib = 0.0
    """The highest point plotted."""

    def plot_samples(self, samples: Sequence[p.Sample], cap_bytes: int | None) -> None:
        """Plot every memory of `samples` (seconds on x, MiB on y) and the cap."""
        plt = self.plt
        plt.clear_data()
        points = _thin(samples)
        memories = max((len(s.memory_pages) for s in points), default=0)
        peak = 0.0
        for index in range(memories):
            xs = [s.t_s for s in points if len(s.memory_pages) > index]
            ys = [
                s.memory_pages[index] * (s.page_bytes[index] if len(s.page_bytes) > index else 65536) / MIB
                for s in points
                if len(s.memory_pages) > index
            ]
            if xs:
                peak = max(peak, max(ys))
                plt.plot(xs, ys, label=f"memory {index}", marker="braille")
        cap = None if cap_bytes is None else cap_bytes / MIB
        title = "linear memory (MiB)"
        if cap is not None and peak * _CAP_IN_VIEW >= cap:
            plt.hline(cap, "red")
            plt.ylim(0, cap * 1.05)
            title += f" · cap {cap:g} MiB (red)"
        else:
            plt.ylim(0, max(peak * 1.3, 1.0))
            title += " · no cap" if cap is None else f" · cap {cap:g} MiB, far above"
        plt.title(title)
        self.title_text, self.peak_mib = title, peak
        plt.xlabel("seconds")
        self.refresh()

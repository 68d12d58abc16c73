"""Pasted text annotated as it streams in: what `symbolize` does as a log filter on `tail -f`.

Lines are fed one at a time. A line is handed back (annotated) once it is settled: once no trace
that could still grow covers it. A trace may still grow while its last line is among the last
`TAIL_LINES` lines fed, so lines wait at most that long behind the input, unless the input pauses
(`flush`), when everything pending is settled as it stands. A trace that never ends (an endless
run of frames) is cut every `MAX_PENDING_LINES` lines, so memory stays bounded on endless input.

Fed whole and then closed, a text gives the same lines and frames as `symbolize_text` on it,
except where a trace runs past `MAX_PENDING_LINES`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from wasmdbg.backtrace.detect import parse_text
from wasmdbg.backtrace.model import Trace
from wasmdbg.session.annotation import AnnotatedLine, annotate
from wasmdbg.session.pasted import PastedFrame, symbolize_traces
from wasmdbg.symbols.symbolizer import Symbolizer

TAIL_LINES = 8
"""A trace whose last line is this close to the newest line may still grow (its trap line, a `Caused by:`
chain, more frames): its lines wait. Past it, the trace is complete."""
MAX_PENDING_LINES = 4000
"""Lines held at most; beyond, the oldest are settled even inside a trace (endless input stays bounded)."""


@dataclass(frozen=True, slots=True)
class Settled:
    """What one call settled: the lines, annotated, and every recognised frame among them (as `PastedText.frames`)."""

    lines: tuple[AnnotatedLine, ...] = ()
    frames: tuple[PastedFrame, ...] = ()


class StreamAnnotator:
    """Feed lines; get back the annotated lines that are settled, in order, each exactly once."""

    def __init__(self, symbolizer: Symbolizer | None) -> None:
        self.symbolizer = symbolizer
        self._pending: list[str] = []
        self._newlines: list[bool] = []
        self._base = 0
        """Line number (0-based) of the first pending line in the whole input."""
        self.frames_seen = 0
        """Recognised wasm frames handed back so far."""
        self._next_check = 0
        """Pending line count at which to parse again: until then the open trace cannot have settled."""

    def feed(self, line: str, *, newline: bool = True) -> Settled:
        """One input line, without its newline (a CR before it is kept). Returns the lines now settled.

        Args:
            newline: False for a piece not ended by a newline (the end of the input, or a line cut
                because it was too long to hold); it is given back without one.
        """
        return self.feed_lines(((line, newline),))

    def feed_lines(self, lines: Iterable[tuple[str, bool]]) -> Settled:
        """Several lines at once, each `(text, newline)` as `feed` takes them: what arrived together.

        The pending lines are parsed once for the lot, where feeding them one by one parses them
        once per line (`TAIL_LINES` times each): a log read in 64 KiB pieces is parsed about once.
        """
        for line, newline in lines:
            self._pending.append(line)
            self._newlines.append(newline)
        if len(self._pending) < self._next_check:
            return Settled()
        return self._settle(final=False)

    def flush(self) -> Settled:
        """The input paused: settle everything pending as it stands."""
        return self._settle(final=True)

    def _settle(self, *, final: bool) -> Settled:
        if not self._pending:
            return Settled()
        traces = parse_text("\n".join(self._pending) + "\n")
        count = len(self._pending)
        upto = count
        if not final:
            upto = max(0, count - TAIL_LINES)
            for trace in traces:
                if trace.last_line > count - TAIL_LINES:  # may still grow: hold it from its first line on
                    upto = min(upto, trace.first_line - 1)
            if upto == 0 and count > MAX_PENDING_LINES:
                upto = count - TAIL_LINES  # an endless trace: cut where the lines are settled
        if upto == 0:
            # A trace is still open: parse again once it could have ended, and (so that a long trace costs
            # linear time, not quadratic) not before the pending lines have grown by a quarter.
            open_end = max((t.last_line for t in traces), default=count)
            self._next_check = min(max(open_end + TAIL_LINES, count + count // 4), MAX_PENDING_LINES + 1)
            return Settled()
        self._next_check = 0
        settled = [t if t.last_line <= upto else _cut(t, upto) for t in traces if t.first_line <= upto]
        frames = tuple(symbolize_traces(settled, self.symbolizer))
        lines = [replace(line, newline=ended) for line, ended in
                 zip(annotate("\n".join(self._pending[:upto]) + "\n", frames), self._newlines)]  # fmt: skip
        del self._pending[:upto]
        del self._newlines[:upto]
        base = self._base
        self._base += upto
        renumbered = {id(f): _renumbered(f, base) for f in frames}
        out = tuple(replace(line, no=line.no + base, frames=tuple(renumbered[id(f)] for f in line.frames)) for line in lines)
        self.frames_seen += len(frames)
        return Settled(out, tuple(renumbered[id(f)] for f in frames))


def _cut(trace: Trace, last_line: int) -> Trace:
    return replace(trace, frames=tuple(f for f in trace.frames if f.line_no <= last_line), last_line=last_line)


def _renumbered(frame: PastedFrame, base: int) -> PastedFrame:
    """The frame with its line numbers counted in the whole input, not in the piece it was parsed from."""
    if not base:
        return frame
    trace = replace(frame.trace, first_line=frame.trace.first_line + base, last_line=frame.trace.last_line + base)
    return replace(frame, raw=replace(frame.raw, line_no=frame.raw.line_no + base), trace=trace)

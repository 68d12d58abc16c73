"""Shared pieces of the trace parsers' tests: a parser over raw text, and near-miss edits of real lines."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType

from hypothesis import strategies as st

from wasmdbg.backtrace.lines import split_lines
from wasmdbg.backtrace.model import RawFrame, Trace

Edit = tuple[str, int, str]


def parser(module: ModuleType) -> Callable[[str], list[Trace]]:
    """A format module's `parse` applied to raw text, as detect does."""
    return lambda text: module.parse(split_lines(text))  # type: ignore[no-any-return]


def near_misses(lines: Sequence[str], reach: int = 80) -> st.SearchStrategy[list[Edit]]:
    """Lists of real frame lines, each with one character replaced somewhere in its first `reach`."""
    return st.lists(st.tuples(st.sampled_from(list(lines)), st.integers(0, reach), st.characters()), min_size=1, max_size=30)


def apply(edits: list[Edit]) -> str:
    """The edited lines as one text."""
    return "\n".join(line[:position] + char + line[position + 1 :] for line, position, char in edits)


def only_frame_after(parse: Callable[[str], list[Trace]], message: str) -> Callable[[str], RawFrame]:
    """A checker that parses `message` plus one frame line and returns that line's only frame."""

    def only_frame(line: str) -> RawFrame:
        traces = parse(f"{message}\n{line}\n")
        assert len(traces) == 1 and len(traces[0].frames) == 1, traces
        return traces[0].frames[0]

    return only_frame

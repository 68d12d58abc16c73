"""StreamAnnotator: a text fed line by line gives what the whole text gives, settles each trace once it
is complete, and holds a bounded number of lines whatever comes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import ROOT, SAMPLES
from wasmdbg.render.pasted import filter_lines, filter_text
from wasmdbg.session.annotation import symbolize_text
from wasmdbg.session.session import Session
from wasmdbg.session.streaming import MAX_PENDING_LINES, TAIL_LINES, Settled, StreamAnnotator

FIXTURES = sorted((ROOT / "tests" / "fixtures" / "backtraces").glob("*/*.txt"))
DIVZERO = SAMPLES / "build" / "divzero.O2.wasm"


def streamed(
    text: str, annotator: StreamAnnotator, *, pause_every: int | None = None, batch: int = 1
) -> tuple[str, list[object]]:
    """Feed `text` line by line, or `batch` lines at a time (as the filter feeds what one read brought)."""
    out: list[str] = []
    frames: list[object] = []

    def take(settled: Settled) -> None:
        out.extend(filter_lines(settled.lines))
        frames.extend(f.to_json() for f in settled.frames)

    pieces = text.split("\n")
    last = pieces.pop()
    lines = [(piece, True) for piece in pieces] + ([(last, False)] if last else [])
    for n in range(0, len(lines), batch):
        group = lines[n : n + batch]
        take(annotator.feed(group[0][0], newline=group[0][1]) if batch == 1 else annotator.feed_lines(group))
        if pause_every and (n // batch) % pause_every == pause_every - 1:
            take(annotator.flush())
    take(annotator.flush())
    return "".join(out), frames


@pytest.mark.parametrize("case", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_fixture_streams_to_what_the_whole_text_gives(case: Path) -> None:
    text = case.read_text(encoding="utf-8", errors="replace")
    whole = symbolize_text(text, None)
    for batch in (1, 2, 5, 64, 100_000):
        output, frames = streamed(text, StreamAnnotator(None), batch=batch)
        assert output == "".join(filter_text(whole)), batch
        assert frames == [f.to_json() for f in whole.frames], batch


def test_with_a_module_the_streamed_frames_are_the_symbolized_ones() -> None:
    text = (ROOT / "tests" / "fixtures" / "backtraces" / "wasmtime" / "python_print_divzero.txt").read_text()
    symbolizer = Session.open(str(DIVZERO)).symbolizer()
    whole = symbolize_text(text, symbolizer)
    output, frames = streamed(text, StreamAnnotator(symbolizer))
    assert "↳ quotient" in output and output == "".join(filter_text(whole))
    assert frames == [f.to_json() for f in whole.frames]


TRACE = "error while executing at wasm backtrace:\n    0:  0x1f4 - <unknown>!compute_ratio\n    1:  0x221 - <unknown>!average_per_bucket\n"


def test_a_trace_is_settled_once_it_cannot_grow_and_at_a_pause_at_once() -> None:
    annotator = StreamAnnotator(None)
    got = [annotator.feed(line) for line in TRACE.splitlines()]
    assert not any(s.frames for s in got)  # it may still grow
    later = [annotator.feed(f"log line {n}") for n in range(TAIL_LINES)]
    assert sum(len(s.frames) for s in later) == 2  # complete once TAIL_LINES lines followed it
    again = StreamAnnotator(None)
    for line in TRACE.splitlines():
        again.feed(line)
    assert len(again.flush().frames) == 2  # a pause settles what is there


def test_an_endless_trace_keeps_memory_bounded_and_every_line_comes_back() -> None:
    annotator = StreamAnnotator(None)
    annotator.feed("error while executing at wasm backtrace:")
    back = 0
    for n in range(3 * MAX_PENDING_LINES):
        back += len(annotator.feed(f"  {n:>5}: {0x100 + n:#x} - <unknown>!f{n}").lines)
        assert len(annotator._pending) <= MAX_PENDING_LINES + 1
    back += len(annotator.flush().lines)
    assert back == 3 * MAX_PENDING_LINES + 1
    assert annotator.frames_seen >= MAX_PENDING_LINES - TAIL_LINES  # at least the part cut before the header scrolled away


def test_an_endless_trace_fed_in_batches_holds_at_most_a_batch_past_the_bound() -> None:
    annotator = StreamAnnotator(None)
    annotator.feed("error while executing at wasm backtrace:")
    back, batch = 0, 700
    for start in range(0, 3 * MAX_PENDING_LINES, batch):
        lines = [(f"  {n:>5}: {0x100 + n:#x} - <unknown>!f{n}", True) for n in range(start, start + batch)]
        back += len(annotator.feed_lines(lines).lines)
        assert len(annotator._pending) <= MAX_PENDING_LINES + batch
    back += len(annotator.flush().lines)
    assert back == 1 + len(range(0, 3 * MAX_PENDING_LINES, batch)) * batch


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(FIXTURES), min_size=1, max_size=3), st.integers(1, 7), st.integers(1, 40))
def test_fixtures_glued_together_with_pauses_anywhere_lose_no_line(cases: list[Path], every: int, batch: int) -> None:
    text = "".join(c.read_text(encoding="utf-8", errors="replace") + "\nsome log line\n" for c in cases)
    output, _ = streamed(text, StreamAnnotator(None), pause_every=every, batch=batch)
    added = {"↳", "!"}
    kept = [line for line in output.split("\n") if line.strip()[:1] not in added]
    assert kept == text.split("\n")  # every input line, in order, unchanged


def test_crlf_lines_get_crlf_annotations_and_annotations_align_under_any_index_width() -> None:
    lines = ["error while executing at wasm backtrace:"] + [f"  {n:>2}: {0x10 + n:#x} - <unknown>!f{n}" for n in range(11)]
    output, _ = streamed("\r\n".join(lines) + "\r\n", StreamAnnotator(None))
    added = [line for line in output.split("\n") if "↳" in line]
    assert added and all(line.endswith("\r") for line in added)
    frame_columns = {line.index("0x") for line in lines[1:]}
    assert {line.index("↳") for line in added} == frame_columns
    assert json.dumps(output)  # plain text

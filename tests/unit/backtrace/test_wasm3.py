"""wasm3 backtraces beyond the fixtures: placeholders, neighbours, hostile input."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from hypothesis import given, settings

from tests.unit.backtrace.edits import apply, near_misses, parser
from wasmdbg.backtrace.detect import parse_text
from wasmdbg.backtrace.formats import wasm3
from wasmdbg.backtrace.model import MODULE


parse = parser(wasm3)


def test_placeholders_and_module_offsets() -> None:
    (trace,) = parse("==== wasm backtrace:\n  0: 0x000c59 - .unnamed!<unnamed>\nError: [trap] unreachable executed\n")
    frame = trace.frames[0]
    assert (frame.module, frame.func_name, frame.offset, frame.offset_kind, frame.module_offset) == (None, None, 0xC59, MODULE, 0xC59)
    assert trace.trap_reason == "unreachable executed"


def test_the_whole_paste_goes_to_wasm3_not_wasmtime() -> None:
    traces = parse_text("==== wasm backtrace:\n  0: 0x000c59 - .unnamed!c\n  1: 0x000c5e - .unnamed!b\n")
    assert [t.runtime for t in traces] == ["wasm3"]


def test_an_error_that_is_not_a_trap_is_still_the_reason() -> None:
    (trace,) = parse("==== wasm backtrace:\n  0: 0x000001 - m!f\nError: [Fatal] stack overflow\n")
    assert trace.trap_reason == "[Fatal] stack overflow"


def test_indices_must_follow_each_other() -> None:
    (trace,) = parse("==== wasm backtrace:\n  0: 0x000001 - m!f\n  2: 0x000002 - m!g\n")
    assert [f.func_name for f in trace.frames] == ["f"]


@pytest.mark.parametrize("offset", ["0x10000000000000000", "0x" + "f" * 41, "0x" + "9" * 5000])
def test_offsets_beyond_64_bits_give_no_frame(offset: str) -> None:
    assert parse(f"==== wasm backtrace:\n  0: {offset} - m!f\n") == []


_NEAR_MISS = ["==== wasm backtrace:", "  0: 0x000c59 - .unnamed!c", "  1: 0x0037c9 - app!__main_void", "  (truncated)", "Error: [trap] unreachable executed"]


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(near_misses(_NEAR_MISS, 40))
def test_near_miss_lines_parse_without_error(edits: list[tuple[str, int, str]]) -> None:
    text = apply(edits)
    for trace in parse(text):
        assert trace.frames and all(f.offset is not None and f.offset < 1 << 64 for f in trace.frames)


@pytest.mark.parametrize(
    "line",
    ["  0: 0x" + "9" * 5000 + " - m!f", "0" * 4096, "0: 0x1 - " * 450, "!" * 4096, "\x00\x1b\x7f" * 1300],
    ids=["huge hex", "zeros", "repeated frames", "bangs", "control"],
)
def test_pathological_lines_are_bounded(line: str) -> None:
    start = time.perf_counter()
    parse("==== wasm backtrace:\n" + "\n".join([line] * 100))
    assert time.perf_counter() - start < 2.0

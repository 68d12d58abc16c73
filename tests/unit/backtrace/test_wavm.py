"""WAVM call stacks beyond the fixtures: what `+N` and `<function #N>` mean, hostile input."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from hypothesis import given, settings

from tests.unit.backtrace.edits import apply, near_misses, parser
from wasmdbg.backtrace.formats import wavm
from wasmdbg.backtrace.model import UNKNOWN


parse = parser(wavm)


def test_operator_index_is_kept_but_not_called_a_byte_offset() -> None:
    (trace,) = parse("Runtime exception: wavm.reachedUnreachable\nCall stack:\n  wasm!m.wasm!run+12\n")
    frame = trace.frames[0]
    assert (frame.module, frame.func_name, frame.offset, frame.offset_kind, frame.module_offset) == (
        "m.wasm",
        "run",
        12,
        UNKNOWN,
        None,
    )
    assert frame.func_index is None and frame.index is None
    assert wavm._OP_NOTE in trace.notes


def test_a_module_path_with_bangs_keeps_the_function_after_the_last_one() -> None:
    (trace,) = parse("Call stack:\n  wasm!/tmp/a!b/m.wasm!<function #3>+0\n")
    frame = trace.frames[0]
    assert (frame.module, frame.func_name, frame.offset) == ("/tmp/a!b/m.wasm", None, 0)
    assert wavm._DEFINED_NOTE in trace.notes


def test_only_host_frames_is_no_trace() -> None:
    assert parse("Call stack:\n  host!/usr/bin/wavm!main+10\n  thnk!()->i32+9\n") == []


def test_the_block_ends_at_the_first_other_line() -> None:
    (trace,) = parse("Call stack:\n  wasm!m!f+1\nsomething else\n  wasm!m!g+2\n")
    assert [f.func_name for f in trace.frames] == ["f"] and trace.last_line == 2


@pytest.mark.parametrize("op", ["18446744073709551616", "9" * 41, "1" * 5000])
def test_operator_indices_beyond_64_bits_end_the_block(op: str) -> None:
    assert parse(f"Call stack:\n  wasm!m!f+{op}\n") == []


_NEAR_MISS = ["Runtime exception: wavm.reachedUnreachable", "Call stack:", "  wasm!m.wasm!<function #1>+11", "  host!/x/libWAVM.so.0+324", "  thnk!()->i32+9", "  <unknown function>"]


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(near_misses(_NEAR_MISS, 40))
def test_near_miss_lines_parse_without_error(edits: list[tuple[str, int, str]]) -> None:
    text = apply(edits)
    for trace in parse(text):
        assert trace.frames and all(f.offset is not None and f.offset < 1 << 64 for f in trace.frames)


@pytest.mark.parametrize(
    "line",
    ["  wasm!" * 800, "0" * 4096, "  wasm!m!f+" + "9" * 5000, "+" * 4096, "!" * 4096, "\x00\x1b" * 2000],
    ids=["wasm prefixes", "zeros", "huge op", "plus", "bangs", "control"],
)
def test_pathological_lines_are_bounded(line: str) -> None:
    start = time.perf_counter()
    parse("Call stack:\n" + "\n".join([line] * 100))
    assert time.perf_counter() - start < 2.0

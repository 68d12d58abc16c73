"""WAVM call stacks beyond the fixtures: what `+N` and `<function #N>` mean, hostile input."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from hypothesis import given, settings

from tests.unit.backtrace.edits import apply, near_misses, parser
from wasmdbg.backtrace.detect import parse_text
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


def test_a_module_without_a_name_leaves_the_function_whole() -> None:
    (trace,) = parse('Caught exception "wavm.outOfBoundsMemoryAccess(env.memory+8)\nCall stack:\n  wasm!!_sbrk+4\n')
    assert (trace.frames[0].module, trace.frames[0].func_name, trace.frames[0].offset) == (None, "_sbrk", 4)
    assert trace.trap_reason == "wavm.outOfBoundsMemoryAccess(env.memory+8)"


def test_only_host_frames_is_no_trace() -> None:
    assert parse("Call stack:\n  host!/usr/bin/wavm!main+10\n  thnk!()->i32+9\n") == []


def test_the_block_ends_at_the_first_other_line() -> None:
    (trace,) = parse("Call stack:\n  wasm!m!f+1\nsomething else\n  wasm!m!g+2\n")
    assert [f.func_name for f in trace.frames] == ["f"] and trace.last_line == 2


@pytest.mark.parametrize("op", ["18446744073709551616", "9" * 41, "1" * 5000])
def test_operator_indices_beyond_64_bits_end_the_block(op: str) -> None:
    assert parse(f"Call stack:\n  wasm!m!f+{op}\n") == []


def test_envoys_misspelt_header_numbers_frames_from_one() -> None:
    text = (
        "Function proxy_on_tick failed:\n"
        "WAVM message: wavm.reachedUnreachable\n"
        "wasm backrace:\n"
        "  1: wasm!helloworld!runtime._panic+7\n"
        "  2: host!envoy+10\n"
        "  3: wasm!helloworld!proxy_on_tick+0\n"
    )
    (trace,) = parse(text)
    assert [(f.index, f.module, f.func_name, f.offset, f.offset_kind) for f in trace.frames] == [
        (1, "helloworld", "runtime._panic", 7, UNKNOWN),
        (3, "helloworld", "proxy_on_tick", 0, UNKNOWN),
    ]
    assert trace.trap_reason == "wavm.reachedUnreachable" and trace.host_frames == 1
    assert (trace.first_line, trace.last_line) == (2, 6)


def test_the_misspelt_header_is_not_wasmtimes() -> None:
    text = "wasm backrace:\n  1: wasm!m!f+1\n  2: wasm!m!g+2\n"
    assert [t.runtime for t in parse_text(text)] == ["wavm"]


_NEAR_MISS = ["WAVM message: wavm.reachedUnreachable", "wasm backrace:", "  1: wasm!helloworld!runtime._panic+7", "Runtime exception: wavm.reachedUnreachable", "Call stack:", "  wasm!m.wasm!<function #1>+11", "  host!/x/libWAVM.so.0+324", "  thnk!()->i32+9", "  <unknown function>"]


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(near_misses(_NEAR_MISS, 40))
def test_near_miss_lines_parse_without_error(edits: list[tuple[str, int, str]]) -> None:
    text = apply(edits)
    for trace in parse(text):
        assert trace.frames and all(f.offset is not None and f.offset < 1 << 64 for f in trace.frames)


@pytest.mark.parametrize(
    "line",
    ["  wasm!" * 800, "  1: " * 800, "0" * 4096, "  wasm!m!f+" + "9" * 5000, "+" * 4096, "!" * 4096, "\x00\x1b" * 2000],
    ids=["wasm prefixes", "indices", "zeros", "huge op", "plus", "bangs", "control"],
)
def test_pathological_lines_are_bounded(line: str) -> None:
    start = time.perf_counter()
    parse("Call stack:\n" + "\n".join([line] * 100))
    parse("wasm backrace:\n" + "\n".join([line] * 100))
    assert time.perf_counter() - start < 2.0

"""wasmer backtraces beyond the fixtures: frame shapes, neighbours it must not claim, hostile input."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from hypothesis import given, settings

from tests.unit.backtrace.edits import apply, near_misses, parser
from wasmdbg.backtrace.detect import parse_text
from wasmdbg.backtrace.formats import wasmer
from wasmdbg.backtrace.model import MODULE, UNKNOWN


parse = parser(wasmer)


@pytest.mark.parametrize(
    ("line", "name", "module", "index", "offset"),
    [
        ("    at rust_panic (app.wasm[581]:0x467b5)", "rust_panic", "app.wasm", 581, 0x467B5),
        ("    at <unnamed> (<module>[0]:0x1a)", None, None, 0, 0x1A),
        ("           at <T as core::fmt::Debug>::fmt (m (1).wasm[7]:0x10)", "<T as core::fmt::Debug>::fmt", "m (1).wasm", 7, 0x10),
        ("at f (m[3]:0X1F)", None, None, None, None),
    ],
    ids=["named", "placeholders", "parens in name and module", "capital X is not wasmer's"],
)
def test_frame_shapes(line: str, name: str | None, module: str | None, index: int | None, offset: int | None) -> None:
    traces = parse("RuntimeError: unreachable\n" + line + "\n")
    if index is None:
        assert traces == []
        return
    (frame,) = traces[0].frames
    assert (frame.func_name, frame.module, frame.func_index, frame.offset) == (name, module, index, offset)
    assert (frame.offset_kind, frame.module_offset, frame.index) == (MODULE, offset, None)


def test_no_location_sentinel_is_not_a_module_offset() -> None:
    (trace,) = parse("RuntimeError: unreachable\n    at f (m[0]:0xffffffff)\n")
    frame = trace.frames[0]
    assert (frame.offset, frame.offset_kind, frame.module_offset) == (0xFFFFFFFF, UNKNOWN, None)


def test_v8_frames_are_not_claimed() -> None:
    text = "RuntimeError: unreachable\n    at foo (wasm://wasm/0012abcd:wasm-function[8]:0x1f4)\n"
    assert parse(text) == []
    assert [t.runtime for t in parse_text(text)] == ["v8"]


def test_a_frame_without_a_reason_line_still_counts_and_lines_are_its_own() -> None:
    (trace,) = parse("log: first\n    at f (m[1]:0x2)\n    at g (m[2]:0x3)\nlog: after\n")
    assert trace.trap_reason is None
    assert [f.line_no for f in trace.frames] == [2, 3] and (trace.first_line, trace.last_line) == (2, 3)


@pytest.mark.parametrize("number", ["0x10000000000000000", "0x" + "f" * 41, "0x" + "1" * 5000])
def test_offsets_beyond_64_bits_give_no_frame(number: str) -> None:
    assert parse(f"RuntimeError: x\n    at f (m[1]:{number})\n") == []


def test_function_indices_beyond_64_bits_give_no_frame() -> None:
    assert parse("RuntimeError: x\n    at f (m[18446744073709551616]:0x1)\n") == []


_NEAR_MISS = [
        "error: RuntimeError: unreachable",
        "    at rust_panic (<module>[581]:0x467b5)",
        "           at <unnamed> (x.wat[0]:0x1a)",
        "╰─▶ 1: RuntimeError: unreachable",
        "│   3: RuntimeError: out of bounds memory access",
    ]


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(near_misses(_NEAR_MISS, 60))
def test_near_miss_lines_parse_without_error(edits: list[tuple[str, int, str]]) -> None:
    text = apply(edits)
    for trace in parse(text):
        assert trace.frames and all(f.offset is not None and f.offset < 1 << 64 for f in trace.frames)


@pytest.mark.parametrize(
    "line",
    ["0x" + "9" * 5000 + ")", "0" * 4096, "    at (" * 500 + ")", "]:0x" * 1000 + ")", "(" * 4095 + ")", "\x00\x07\x1b" * 1300],
    ids=["huge hex", "zeros", "nested at", "many colons", "parens", "control"],
)
def test_pathological_lines_are_bounded(line: str) -> None:
    start = time.perf_counter()
    parse("RuntimeError: x\n" + "\n".join([line] * 100))
    assert time.perf_counter() - start < 2.0

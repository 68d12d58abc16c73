"""wazero stack traces beyond the fixtures: signatures, DWARF lines, Go dumps, hostile input."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from hypothesis import given, settings

from tests.unit.backtrace.edits import apply, near_misses, parser
from wasmdbg.backtrace.formats import wazero
from wasmdbg.backtrace.model import CODE


parse = parser(wazero)


@pytest.mark.parametrize(
    ("line", "module", "name", "index"),
    [
        ("\t.main()", None, "main", None),
        ("\tmod.$12(i32,i64) f32", "mod", None, 12),
        ("\tm.pair(v128) (i32,i32)", "m", "pair", None),
        ("\tmain.(*T).Method$1(funcref,externref)", "main", "(*T).Method$1", None),
    ],
    ids=["no params", "index name", "multi-value result", "go method"],
)
def test_signatures(line: str, module: str | None, name: str | None, index: int | None) -> None:
    (trace,) = parse("wasm error: unreachable\nwasm stack trace:\n" + line + "\n")
    frame = trace.frames[0]
    assert (frame.module, frame.func_name, frame.func_index) == (module, name, index)


@pytest.mark.parametrize("line", ["\tnot a frame", "\t.f(int)", "\t.f(i32", "\tf(i32)"], ids=["text", "go type", "open", "no dot"])
def test_lines_that_are_not_signatures_end_the_block(line: str) -> None:
    assert parse("wasm stack trace:\n" + line + "\n") == []


def test_dwarf_offsets_are_code_section_offsets_and_lines_are_kept() -> None:
    text = "wasm error: integer divide by zero\nwasm stack trace:\n\t.div(i32,i32) i32\n\t\t0x1f4: /src/div.c:13:18\n"
    (trace,) = parse(text)
    frame = trace.frames[0]
    assert (frame.offset, frame.offset_kind, frame.module_offset) == (0x1F4, CODE, None)
    assert (frame.file, frame.line, frame.column, frame.line_no) == ("/src/div.c", 13, 18, 3)
    assert trace.trap_reason == "integer divide by zero"


def test_an_escaped_go_error_in_a_log_line() -> None:
    text = 'level=error err="wasm error: unreachable\\nwasm stack trace:\\n\\t.main()\\n\\t._start()"\n'
    (trace,) = parse(text)
    assert [f.func_name for f in trace.frames] == ["main", "_start"]
    assert {f.line_no for f in trace.frames} == {1} and trace.trap_reason == "unreachable"


def test_host_module_frames_are_counted_not_reported() -> None:
    (trace,) = parse("wasm stack trace:\n\twasi_snapshot_preview1.fd_write(i32,i32,i32,i32) i32\n\t.main()\n")
    assert [f.func_name for f in trace.frames] == ["main"] and trace.host_frames == 1


def test_a_goroutine_dump_after_a_blank_line_counts_go_frames() -> None:
    text = "wasm stack trace:\n\t.main()\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:41 +0x2a8\ncreated by main.init\n\t/src/main.go:10 +0x1\nexit status 2\n"
    (trace,) = parse(text)
    assert (trace.host_frames, trace.last_line) == (2, 8)


@pytest.mark.parametrize("offset", ["0x10000000000000000", "0x" + "1" * 41])
def test_offsets_beyond_64_bits_are_dropped(offset: str) -> None:
    text = f"wasm stack trace:\n\t.f()\n\t\t{offset}: /a.go:1:1\n"
    traces = parse(text)
    assert all(f.offset is None for t in traces for f in t.frames)


_NEAR_MISS = [
        "wasm error: unreachable",
        "wasm stack trace:",
        "\tmain.runtime.runtimePanicAt(i32,i32)",
        "\t\t0x1c1e4: /usr/local/lib/tinygo/src/runtime/runtime_tinygowasm.go:78:6 (inlined)",
        "\t\t         /usr/local/lib/tinygo/src/runtime/algorithm.go:38:37",
        "goroutine 1 [running]:",
        "\t/src/main.go:41 +0x2a8",
    ]


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(near_misses(_NEAR_MISS, 80))
def test_near_miss_lines_parse_without_error(edits: list[tuple[str, int, str]]) -> None:
    text = apply(edits)
    for trace in parse(text):
        assert trace.frames


@pytest.mark.parametrize(
    "line",
    [" " * 4096, "\t" * 4096, "\t" + "a." * 1000 + "(" + "i32," * 700 + "i32)", "\t\t0x1: " + "a:1 " * 1000, "(" * 4096, "0" * 4096],
    ids=["spaces", "tabs", "long signature", "source colons", "parens", "zeros"],
)
def test_pathological_lines_are_bounded(line: str) -> None:
    start = time.perf_counter()
    parse("wasm stack trace:\n\t.f()\n\t\t0x1: a.go:1 (inlined)\n" + "\n".join([line] * 100))
    assert time.perf_counter() - start < 2.0

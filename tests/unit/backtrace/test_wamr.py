"""WAMR call-stack dumps beyond the fixtures: offset semantics, both formats, hostile input."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from hypothesis import given, settings

from tests.unit.backtrace.edits import apply, near_misses, parser
from wasmdbg.backtrace.formats import wamr
from wasmdbg.backtrace.model import MODULE, UNKNOWN


parse = parser(wamr)


def test_printed_ip_is_one_past_the_instruction_it_belongs_to() -> None:
    (trace,) = parse("\n#00: 0x01f5 - $f8\n#01: 0x0222 - main\n\nException: integer divide by zero\n")
    first, second = trace.frames
    assert (first.offset, first.offset_kind, first.module_offset, first.func_index, first.func_name) == (
        0x1F5,
        MODULE,
        0x1F4,
        8,
        None,
    )
    assert (second.module_offset, second.func_name) == (0x221, "main")
    assert trace.trap_reason == "integer divide by zero" and trace.last_line == 5
    assert trace.notes == (wamr._FAST_INTERP_NOTE,)


def test_a_zero_ip_means_wamr_had_none() -> None:
    (trace,) = parse("#00: 0x0000 - $f3\n")
    frame = trace.frames[0]
    assert (frame.offset, frame.offset_kind, frame.module_offset) == (0, UNKNOWN, None)


def test_an_exception_logged_before_the_dump_is_the_reason() -> None:
    (trace,) = parse("Exception: out of bounds memory access\n#00 $f1\n#01 main\n")
    assert trace.trap_reason == "out of bounds memory access" and trace.first_line == 1


def test_indices_must_count_up_from_zero() -> None:
    assert parse("#01: 0x10 - f\n#02: 0x20 - g\n") == []
    traces = parse("#00: 0x10 - f\n#02: 0x20 - g\n#00 h\n")
    assert [[f.func_name for f in t.frames] for t in traces] == [["f"], ["h"]]


@pytest.mark.parametrize(
    "line",
    [
        "#00 pc 000000000004e6a4  /apex/com.android.runtime/lib64/bionic/libc.so (abort+164)",
        "    #0 0x7fedd5527a69 in __interceptor_sigemptyset sanitizer_common_interceptors.inc:3959",
        "#0  0x00007ffff7a42e97 in raise () from /lib/x86_64-linux-gnu/libc.so.6",
        "see issue #1234 for details",
    ],
    ids=["android tombstone", "asan", "gdb", "issue reference"],
)
def test_other_numbered_stacks_are_not_wamr(line: str) -> None:
    assert parse(line + "\n") == []


def test_a_name_cut_by_the_line_buffer_is_noted() -> None:
    name = "x" * (255 - len("#00: 0x0010 - ") - 3) + "..."
    (trace,) = parse(f"#00: 0x0010 - {name}\n")
    assert trace.frames[0].func_name == name and any("256-byte" in n for n in trace.notes)


@pytest.mark.parametrize("offset", ["0x10000000000000000", "0x" + "f" * 41, "0x" + "9" * 5000])
def test_offsets_beyond_64_bits_give_no_frame(offset: str) -> None:
    assert parse(f"#00: {offset} - f\n") == []


_NEAR_MISS = ["#00: 0x1330 - __main_argc_argv", "#01: 0x4195 - $f12", "#00 __cxa_throw ", "Exception: unreachable", ""]


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(near_misses(_NEAR_MISS, 40))
def test_near_miss_lines_parse_without_error(edits: list[tuple[str, int, str]]) -> None:
    text = apply(edits)
    for trace in parse(text):
        assert trace.frames and all(f.index == n for n, f in enumerate(trace.frames))


@pytest.mark.parametrize(
    "line",
    ["#00: 0x" + "9" * 5000, "0" * 4096, "#00 " * 1000, "Exception: " * 370, "\x01\x02\x1b[" * 1000],
    ids=["huge hex", "zeros", "hashes", "exceptions", "control"],
)
def test_pathological_lines_are_bounded(line: str) -> None:
    start = time.perf_counter()
    parse("#00 f\n" + "\n".join([line] * 100))
    assert time.perf_counter() - start < 2.0

"""wasmtime backtraces beyond the fixtures: era variations, line bookkeeping, hostile input."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.backtrace.edits import apply, near_misses, parser
from wasmdbg.backtrace.formats import wasmtime
from wasmdbg.backtrace.model import MODULE, UNKNOWN


parse = parser(wasmtime)


def test_2020_display_puts_the_trap_first_and_names_index_placeholders() -> None:
    text = (
        "wasm trap: integer divide by zero\n"
        "wasm backtrace:\n"
        "  0:  0x1f3 - <unknown>!<wasm function 47>\n"
        "  1:  0x2a5 - mymod!foo\n"
    )
    (trace,) = parse(text)
    assert trace.trap_reason == "integer divide by zero"
    assert (trace.first_line, trace.last_line) == (1, 4)
    first, second = trace.frames
    assert (first.module, first.func_name, first.func_index, first.index) == (None, None, 47, 0)
    assert (first.offset, first.offset_kind, first.module_offset) == (0x1F3, MODULE, 0x1F3)
    assert (second.module, second.func_name, second.line_no) == ("mymod", "foo", 4)


def test_old_python_bindings_str_is_the_2020_display() -> None:
    text = "wasm trap: unreachable\nwasm backtrace:\n  0:   0x37 - divzero!quotient\n"
    (trace,) = parse(text)
    assert trace.trap_reason == "unreachable"
    assert [(f.module, f.func_name) for f in trace.frames] == [("divzero", "quotient")]


def test_debug_form_with_instruction_offsets() -> None:
    text = (
        'Error: Trap { reason: Message("wasm trap: integer divide by zero"), wasm_trace: ['
        'FrameInfo { module_name: Some("m"), func_index: 1, func_name: Some("div"), func_start: SourceLoc(40), '
        "instr: SourceLoc(55) }, FrameInfo { module_name: None, func_index: 2, func_name: None, "
        "func_start: SourceLoc(60), instr: SourceLoc(71) }], native_trace: Backtrace [] }"
    )
    (trace,) = parse(text)
    assert trace.trap_reason == "integer divide by zero"
    assert [(f.module, f.func_index, f.func_name, f.offset, f.module_offset) for f in trace.frames] == [
        ("m", 1, "div", 55, 55),
        (None, 2, None, 71, 71),
    ]
    assert {f.line_no for f in trace.frames} == {1} and all(f.index is None for f in trace.frames)


def test_python_repr_of_the_message_inside_a_log_line() -> None:
    message = "error while executing at wasm backtrace:\n    0:     0x37 - divzero!quotient\n\nCaused by:\n    wasm trap: integer divide by zero\n"
    text = f"2024-05-01 12:00:00 ERROR call failed: {message!r}\n"
    (trace,) = parse(text)
    assert trace.trap_reason == "integer divide by zero"
    assert trace.frames[0].line_no == 1 and trace.frames[0].func_name == "quotient"


def test_an_anyhow_cause_with_the_next_index_is_not_a_frame() -> None:
    text = (
        "Caused by:\n"
        "    0: failed to invoke command default\n"
        "    1: error while executing at wasm backtrace:\n"
        "           0:  0x248 - <unknown>!abort\n"
        "           1:  0x291 - <unknown>!__assert_fail\n"
        "    2: host function `env.log` failed\n"
    )
    (trace,) = parse(text)
    assert [f.func_name for f in trace.frames] == ["abort", "__assert_fail"]
    assert trace.trap_reason is None


def test_details_symbols_keep_bangs_and_inlined_frames_keep_their_lines() -> None:
    text = (
        "error while executing at wasm backtrace:\n"
        "    0:   0x5c00 - __rust_end_short_backtrace<std::panicking::begin_panic_handler::{closure_env#0}, !>\n"
        "                    at library/std/src/sys/backtrace.rs:168:18\n"
        "                - begin_panic_handler\n"
        "                    at C:\\rust\\library\\std\\src\\panicking.rs:697:5\n"
        "                - <inlined function>\n"
    )
    (trace,) = parse(text)
    names = [(f.line_no, f.module, f.func_name, f.inlined, f.offset) for f in trace.frames]
    assert names == [
        (2, None, "__rust_end_short_backtrace<std::panicking::begin_panic_handler::{closure_env#0}, !>", True, 0x5C00),
        (4, None, "begin_panic_handler", True, 0x5C00),
        (6, None, None, False, 0x5C00),
    ]
    assert (trace.frames[1].file, trace.frames[1].line, trace.frames[1].column) == (
        "C:\\rust\\library\\std\\src\\panicking.rs",
        697,
        5,
    )


def test_a_bang_in_a_function_name_stays_in_the_name() -> None:
    (trace,) = parse("wasm backtrace:\n    0: 0x10 - app.wasm!Vec::operator!=(Vec const&) const\n")
    assert (trace.frames[0].module, trace.frames[0].func_name) == ("app.wasm", "Vec::operator!=(Vec const&) const")


@pytest.mark.parametrize(
    "offset",
    ["0x10000000000000000", "0x" + "f" * 40, "0x" + "9" * 5000],
    ids=["2**64", "40 digits", "5000 digits"],
)
def test_offsets_beyond_64_bits_give_no_frame(offset: str) -> None:
    assert parse(f"error while executing at wasm backtrace:\n    0: {offset} - m!f\n") == []


def test_a_64_bit_offset_with_leading_zeros_is_kept() -> None:
    (trace,) = parse("wasm backtrace:\n    0: 0x0000000000000000001f4 - m!f\n")
    assert trace.frames[0].offset == 0x1F4


def test_two_traces_in_one_paste_and_a_native_backtrace_between() -> None:
    one = "error while executing at wasm backtrace:\n    0:  0x10 - a!f\n\nCaused by:\n    wasm trap: unreachable\n"
    native = "stack backtrace:\n   0:     0x55d5c0a1b2c3 - std::rt::lang_start::h01\n"
    two = "error while executing at wasm backtrace:\n    0:  0x20 - b!g\n    1:  0x30 - b!h\n"
    traces = parse(one + native + two)
    assert [[f.func_name for f in t.frames] for t in traces] == [["f"], ["g", "h"]]
    assert [(t.first_line, t.last_line) for t in traces] == [(1, 5), (8, 10)]


def test_a_frame_without_offset_has_unknown_offset_kind() -> None:
    (trace,) = parse("error while executing at wasm backtrace:\n    0: <unknown>!walk_tree\n")
    frame = trace.frames[0]
    assert (frame.offset, frame.offset_kind, frame.module_offset, frame.func_name) == (None, UNKNOWN, None, "walk_tree")


def test_wasm3s_header_is_left_to_wasm3() -> None:
    assert parse("==== wasm backtrace:\n  0: 0x000c59 - .unnamed!c\n") == []


_NEAR_MISS = [
        "error while executing at wasm backtrace:",
        "    0:    0x1f4 - <unknown>!compute_ratio",
        "    1:  0x2a5 - mymod!<wasm function 47>",
        "                    at ./../c/divzero.c:13:18",
        "                - compute_ratio",
        "Caused by:",
        "    wasm trap: integer divide by zero",
        'Trap { message: "wasm trap: x", wasm_trace: [FrameInfo { module_name: None, func_index: 1, func_name: Some("f") }] }',
    ]


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(near_misses(_NEAR_MISS, 120))
def test_near_miss_lines_parse_without_error(edits: list[tuple[str, int, str]]) -> None:
    text = apply(edits)
    for trace in parse(text):
        assert trace.frames
        assert all(f.offset is None or 0 <= f.offset < 1 << 64 for f in trace.frames)


@settings(max_examples=200, deadline=timedelta(seconds=2))
@given(st.text(max_size=3000))
def test_any_text_parses_without_error(text: str) -> None:
    parse("error while executing at wasm backtrace:\n" + text)


@pytest.mark.parametrize(
    "line",
    [
        "    0: 0x" + "9" * 5000 + " - m!f",
        "0" * 4096,
        "0: " * 1400,
        "    at " + ")" * 4000,
        "                - " * 200,
        "".join(chr(c) for c in range(32)) * 120,
        "Trap { wasm_trace: [" + "FrameInfo { func_name: Some(\"" * 100,
    ],
    ids=["huge hex", "zeros", "indices", "at parens", "dashes", "control", "debug"],
)
def test_pathological_lines_are_bounded(line: str) -> None:
    text = "error while executing at wasm backtrace:\n    0: 0x1 - m!f\n" + "\n".join([line] * 100)
    start = time.perf_counter()
    parse(text)
    assert time.perf_counter() - start < 2.0

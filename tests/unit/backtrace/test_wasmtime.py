"""wasmtime backtraces beyond the fixtures: era variations, line bookkeeping, hostile input."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.backtrace.edits import apply, near_misses, parser
from wasmdbg.backtrace.detect import parse_text
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


# Headerless chunks: frames pasted without `wasm backtrace:`, or cut from the middle of a trace.

_NAMES = st.sampled_from(["app.wasm!run", "<unknown>!<wasm function 77>", "m!f", "<unknown>!walk_tree", "compute_ratio"])


def _frame_line(index: int, offset: int, name: str) -> str:
    return f"  {index:>3}: {offset:#6x} - {name}"


@settings(max_examples=200, deadline=timedelta(seconds=2))
@given(
    st.integers(0, 10**6),
    st.lists(st.tuples(st.integers(0, (1 << 32) - 1), _NAMES), min_size=2, max_size=8),
    st.sampled_from(["", "some log line\n", "                    at /src/x.c:1:2\n"]),
)
def test_a_headerless_run_of_consecutive_frames_is_found_from_any_start(
    start: int, frames: list[tuple[int, str]], before: str
) -> None:
    text = before + "\n".join(_frame_line(start + n, offset, name) for n, (offset, name) in enumerate(frames)) + "\n"
    (trace,) = parse(text)
    assert [f.index for f in trace.frames] == [start + n for n in range(len(frames))]
    assert [f.offset for f in trace.frames] == [offset for offset, _ in frames]
    assert all(f.file is None for f in trace.frames)  # an orphan `at` line attaches to nothing
    first = before.count("\n") + 1
    assert (trace.first_line, trace.last_line) == (first, first + len(frames) - 1)


@settings(max_examples=200, deadline=timedelta(seconds=2))
@given(st.integers(0, 10**6), st.integers(0, (1 << 32) - 1), _NAMES)
def test_a_lone_headerless_frame_line_is_not_a_trace(index: int, offset: int, name: str) -> None:
    assert parse(f"log line\n{_frame_line(index, offset, name)}\nlog line\n") == []


@settings(max_examples=200, deadline=timedelta(seconds=2))
@given(st.lists(st.integers(0, 10**6), min_size=2, max_size=8), st.integers(0, (1 << 32) - 1))
def test_headerless_frames_with_indices_that_do_not_follow_on_are_not_a_trace(indices: list[int], offset: int) -> None:
    if any(b == a + 1 for a, b in zip(indices, indices[1:], strict=False)):
        indices = [n * 2 for n in range(len(indices))]  # make every step skip
    assert parse("\n".join(_frame_line(i, offset, "m!f") for i in indices)) == []


def test_a_headerless_run_reads_details_and_the_trap_after_it() -> None:
    text = (
        "   7: 0x5a10 - <unknown>!<wasm function 77>\n"
        "   8: 0x6b20 - run\n"
        "                    at /src/app.c:40:5\n"
        "\n"
        "Caused by:\n"
        "    wasm trap: unreachable\n"
    )
    (trace,) = parse(text)
    assert [(f.index, f.func_index, f.func_name, f.file, f.line) for f in trace.frames] == [
        (7, 77, None, None, None),
        (8, None, "run", "/src/app.c", 40),
    ]
    assert trace.trap_reason == "unreachable" and (trace.first_line, trace.last_line) == (1, 6)


_NATIVE_FULL = (
    "stack backtrace:\n"
    "   0:     0x55d1c2a3b4c5 - std::backtrace_rs::backtrace::libunwind::trace::h5b9f3b2c1a0d9e8f\n"
    "                               at /rustc/abc/library/std/src/../../backtrace/src/backtrace/libunwind.rs:116:5\n"
    "   1:     0x55d1c2a3b4c6 - std::backtrace_rs::backtrace::trace_unsynchronized::h0a1b2c3d4e5f6071\n"
    "   2:         0x8049abc - app::main\n"
    "   3:         0x8049abd - main\n"
)


@pytest.mark.parametrize(
    "text",
    [
        _NATIVE_FULL,
        _NATIVE_FULL.replace("stack backtrace:\n", ""),  # the header cut off: the hashes and sizes tell
        "  12: std::rt::lang_start\n             at /rustc/abc/library/std/src/rt.rs:1:2\n  13: main\n",
        "  13:     0x55d1c2a3b4d0 - std::rt::lang_start::{{closure}}\n  14:     0x55d1c2a3b4e0 - main\n",
        "  15:         0x8049b00 - std::rt::lang_start::h5555555555555555\n  16:         0x8049b10 - main\n",
    ],
    ids=["with header", "header cut", "RUST_BACKTRACE=1", "64-bit addresses", "32-bit, hash then lone"],
)
def test_a_native_rust_backtrace_gives_no_wasm_frames(text: str) -> None:
    assert parse(text) == []
    assert parse_text(text) == []  # and no other runtime claims it either


def test_wasm3s_block_stays_wasm3s() -> None:
    text = "==== wasm backtrace:\n  0: 0x000c59 - .unnamed!c\n  1: 0x000c7a - .unnamed!main\nError: [trap] unreachable\n"
    assert parse(text) == []
    assert [t.runtime for t in parse_text(text)] == ["wasm3"]


def test_an_inlined_name_glued_to_the_at_line_starts_the_next_symbol() -> None:
    text = (
        "wasm backtrace:\n"
        "    0:    0x1f4 - read_block\n"
        "        at /src/io.c:120:9              - outer_caller\n"
        "        at /src/io.c:200:1\n"
        "    1:    0x2a0 - main\n"
    )
    (trace,) = parse(text)
    assert [(f.line_no, f.index, f.func_name, f.file, f.line, f.column, f.inlined) for f in trace.frames] == [
        (2, 0, "read_block", "/src/io.c", 120, 9, True),
        (3, 0, "outer_caller", "/src/io.c", 200, 1, False),
        (5, 1, "main", None, None, None, False),
    ]


_HEADERLESS_NEAR_MISS = [
    "   7: 0x5a10 - <unknown>!<wasm function 77>",
    "   8: 0x6b20 - app.wasm!run",
    "   9: 0x6c31 - compute_ratio",
    "                    at /src/x.c:1:2",
    "        at /src/io.c:120:9              - outer_caller",
    "stack backtrace:",
    "   0:     0x55d1c2a3b4c5 - std::rt::lang_start::h5b9f3b2c1a0d9e8f",
    "==== wasm backtrace:",
]


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(near_misses(_HEADERLESS_NEAR_MISS, 60))
def test_headerless_near_miss_lines_parse_without_error(edits: list[tuple[str, int, str]]) -> None:
    for trace in parse(apply(edits)):
        assert trace.frames
        assert all(f.offset is None or 0 <= f.offset < 1 << 64 for f in trace.frames)


@pytest.mark.parametrize(
    "line",
    ["   5: 0x1 - m!f", "   0: 0x1 - m!f\n   1: 0x2 - m!g", "        at x.c:1:2" + "     - a" * 400, "0: 0x1 - " * 400],
    ids=["lone lines", "many short runs", "glued dashes", "frames on one line"],
)
def test_pathological_headerless_input_is_bounded(line: str) -> None:
    start = time.perf_counter()
    parse("\n".join([line] * 400))
    assert time.perf_counter() - start < 2.0

"""The V8 parser: every location shape, names with punctuation, trace grouping, hostile input."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.backtrace.edits import parser, only_frame_after
from wasmdbg.backtrace.formats import v8
from wasmdbg.backtrace.model import FUNCTION, MODULE, UNKNOWN


parse = parser(v8)


only_frame = only_frame_after(parse, "RuntimeError: unreachable")


@pytest.mark.parametrize(
    ("line", "name", "module", "func_index", "offset"),
    [
        ("    at demo.divide (wasm://wasm/demo-803ef946:wasm-function[1]:0x8d)", "demo.divide",
         "wasm://wasm/demo-803ef946", 1, 0x8D),
        ("    at https://x.test/app_bg.wasm:wasm-function[57]:0x1fc3", None, "https://x.test/app_bg.wasm", 57, 0x1FC3),
        ("    at _malloc (<anonymous>:wasm-function[68]:0x1fbd6)", "_malloc", None, 68, 0x1FBD6),
        ("    at wasm-function[33]:0x3369", None, None, 33, 0x3369),
        ("    at $func12 (wasm://wasm/0012abcd:wasm-function[12]:0x10)", "$func12", "wasm://wasm/0012abcd", 12, 0x10),
        ("    at wasm-function[12] (wasm://wasm/0012abcd:wasm-function[12]:0x10)", "wasm-function[12]",
         "wasm://wasm/0012abcd", 12, 0x10),
        ("    at $main (a.wasm:0x2a)", "$main", "a.wasm", None, 0x2A),
        ("    at 185b031e:0x2904", None, "185b031e", None, 0x2904),
    ],
)  # fmt: skip
def test_module_offset_shapes_when_printed_in_hex(
    line: str, name: str | None, module: str | None, func_index: int | None, offset: int
) -> None:
    f = only_frame(line)
    assert (f.func_name, f.module, f.func_index) == (name, module, func_index)
    assert (f.offset, f.offset_kind, f.module_offset) == (offset, MODULE, offset)
    assert f.runtime == "v8" and f.index is None


def test_old_decimal_offset_is_function_relative_when_no_0x() -> None:
    f = only_frame("    at wasm-function[5]:575")
    assert (f.func_index, f.offset, f.offset_kind, f.module_offset) == (5, 575, FUNCTION, None)
    named = only_frame("    at rust_panic (wasm-function[203]:7)")
    assert (named.func_name, named.func_index, named.offset, named.offset_kind) == ("rust_panic", 203, 7, FUNCTION)


def test_column_form_is_module_offset_plus_one() -> None:
    f = only_frame("    at rust_panic (wasm://wasm/001cb7a6:1:358071)")
    assert (f.module, f.func_index, f.offset, f.offset_kind, f.module_offset) == (
        "wasm://wasm/001cb7a6", None, 358070, MODULE, 358070)  # fmt: skip


def test_javascript_line_column_is_not_a_wasm_frame() -> None:
    assert parse("RuntimeError: x\n    at foo (https://x.test/app.js:1:200)\n") == []
    assert parse("RuntimeError: x\n    at wasm://wasm/abc:2:7\n") == []


def test_function_index_without_offset_keeps_the_frame() -> None:
    f = only_frame("    at foo (https://x.test/a.wasm:wasm-function[7])")
    assert (f.func_index, f.offset, f.offset_kind, f.module_offset) == (7, None, UNKNOWN, None)


@pytest.mark.parametrize(
    "name",
    [
        "std::vector<int>::at(unsigned long) const",
        "core::fmt::write::h2f3a4b5c6d7e8f90",
        "<T as core::convert::Into<U>>::into (.llvm.8210429598993252743)",
        "name with ) and ( and @ and a: colon",
        ")" * 4000,
    ],
)
def test_names_keep_parentheses_spaces_and_colons(name: str) -> None:
    f = only_frame(f"    at {name} (wasm://wasm/0012abcd:wasm-function[57]:0x1fc3)")
    assert (f.func_name, f.func_index, f.module_offset) == (name, 57, 0x1FC3)


def test_devtools_copy_lines_are_name_at_location() -> None:
    traces = parse("$divide @ 0012abcd:0x1fc3\ndivide @ wasm://wasm/0012abcd:0x1fc4\n(anonymous) @ VM12:3\n")
    (trace,) = traces
    assert [(f.func_name, f.module, f.module_offset) for f in trace.frames] == [
        ("$divide", "0012abcd", 0x1FC3), ("divide", "wasm://wasm/0012abcd", 0x1FC4)]  # fmt: skip
    assert trace.host_frames == 1


def test_trap_reason_is_the_last_error_message_before_the_stack() -> None:
    text = (
        "wasm://wasm/0005623a:6\n\n\nError loading module 'demo': RuntimeError: divide by zero\n"
        "    at wasm-function[1]:0x8d\n    at run (app.js:3:5)\n"
    )
    (trace,) = parse(text)
    assert (trace.trap_reason, trace.first_line, trace.last_line, trace.host_frames) == ("divide by zero", 4, 6, 1)


def test_deno_uncaught_header_drops_its_constant_function_index() -> None:
    text = "error: Uncaught (in promise) RuntimeError: unreachable\n    at f (wasm://wasm/ab:wasm-function[0]:0x2a)\n"
    (trace,) = parse(text)
    assert trace.frames[0].func_index is None and trace.frames[0].module_offset == 0x2A
    assert trace.notes and "Deno" in trace.notes[0]


def test_several_traces_in_one_paste_are_separate() -> None:
    text = (
        "RuntimeError: unreachable\n    at wasm://wasm/a:wasm-function[1]:0x10\n    at f (a.js:1:1)\n"
        "some other log line\n"
        "RuntimeError: divide by zero\n    at wasm://wasm/b:wasm-function[2]:0x20\n"
    )
    first, second = parse(text)
    assert (first.trap_reason, first.frames[0].module, first.last_line) == ("unreachable", "wasm://wasm/a", 3)
    assert (second.trap_reason, second.frames[0].module, second.first_line) == ("divide by zero", "wasm://wasm/b", 5)


def test_javascript_only_stacks_are_not_traces() -> None:
    assert parse("TypeError: x is undefined\n    at f (a.js:1:1)\n    at g (b.js:2:2)\n") == []


def test_log_prefixes_and_crlf_do_not_hide_frames() -> None:
    text = "[00:46:30] RuntimeError: unreachable\r\n2024-05-01T10:00:00Z     at wasm-function[5]:0x40\r\n"
    (trace,) = parse(text)
    assert trace.trap_reason == "unreachable" and trace.frames[0].module_offset == 0x40


@pytest.mark.parametrize(
    "line",
    [
        "    at f (wasm://wasm/ab:wasm-function[1]:0x" + "f" * 5000 + ")",
        "    at f (wasm://wasm/ab:wasm-function[" + "9" * 5000 + "]:0x10)",
        "    at f (wasm://wasm/ab:wasm-function[18446744073709551616]:0x10)",
        "    at f (wasm://wasm/ab:wasm-function[1]:0x10000000000000000)",
        "    at f (wasm://wasm/ab:1:" + "9" * 30 + ")",
    ],
)
def test_numbers_beyond_64_bits_give_no_frame(line: str) -> None:
    assert parse("RuntimeError: unreachable\n" + line + "\n") == []


def test_largest_64_bit_numbers_are_kept() -> None:
    f = only_frame("    at wasm-function[18446744073709551615]:0xffffffffffffffff")
    assert f.func_index == f.module_offset == (1 << 64) - 1


HOSTILE = [
    "(" * 4096,
    ")" * 4096,
    "a@" * 2048,
    " at (" * 819,
    "at " + "wasm-function[" * 290,
    "    at " + "x (" * 1300 + "wasm-function[1]:0x1)",
    "RuntimeError: " * 292,
    " (evaluating '" * 292 + "')",
    "    at " + ":0x" * 1364,
    " @ " * 1365,
    "[" * 4096,
    "0x" + "1" * 5000,
]


@pytest.mark.parametrize("line", HOSTILE, ids=lambda s: repr(s[:16]))
def test_hostile_lines_parse_in_bounded_time(line: str) -> None:
    text = "RuntimeError: unreachable\n" + "\n".join([line] * 20) + "\n"
    started = time.perf_counter()
    result = parse(text)
    assert time.perf_counter() - started < 1.0
    assert isinstance(result, list)


_PIECES = [
    "at ", " (", ")", "wasm://wasm/", "wasm-function[", "]", ":0x", ":1:", "1f", "12", "<anonymous>", " @ ",
    "@", ":", " ", "RuntimeError: ", "\t", "(", "[", "0x", "9" * 25, "a.wasm", "\x1b[31m",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join), max_size=12).map("\n".join))
def test_near_miss_lines_never_raise(text: str) -> None:
    for trace in parse(text):
        assert trace.frames
        for f in trace.frames:
            assert f.func_index is None or 0 <= f.func_index < 1 << 64
            assert f.module_offset is None or 0 <= f.module_offset < 1 << 64

"""The V8 parser: every location shape, names with punctuation, trace grouping, hostile input."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.backtrace.edits import apply, near_misses, only_frame_after, parser
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
        ("    at $func12 (wasm://wasm/0012abcd:wasm-function[12]:0x10)", None, "wasm://wasm/0012abcd", 12, 0x10),
        ("    at wasm-function[12] (wasm://wasm/0012abcd:wasm-function[12]:0x10)", None,
         "wasm://wasm/0012abcd", 12, 0x10),
        ("    at $func5 (wasm://wasm/0012abcd:wasm-function[12]:0x10)", "$func5", "wasm://wasm/0012abcd", 12, 0x10),
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


@pytest.mark.parametrize(
    ("line", "name", "func_index"),
    [
        ("$func4711 @ 0a1b2c3d:0x1f2e3", None, 4711),
        ("$func0 @ 0a1b2c3d:0x1f2e3", None, 0),
        ("$my_func @ 0a1b2c3d:0x1f2e3", "$my_func", None),
        ("$func007 @ 0a1b2c3d:0x1f2e3", "$func007", None),
        ("$func12a @ 0a1b2c3d:0x1f2e3", "$func12a", None),
        ("$func @ 0a1b2c3d:0x1f2e3", "$func", None),
        ("$func\u0663 @ 0a1b2c3d:0x1f2e3", "$func\u0663", None),
        ("$func18446744073709551616 @ 0a1b2c3d:0x1f2e3", None, None),
        ("demo.$func3 @ 0a1b2c3d:0x1f2e3", "demo.$func3", None),
        ("    at $func4711 (0a1b2c3d:0x1f2e3)", None, 4711),
    ],
)  # fmt: skip
def test_devtools_default_name_gives_the_index_when_no_wasm_function(
    line: str, name: str | None, func_index: int | None
) -> None:
    f = only_frame(line)
    assert (f.func_name, f.func_index, f.module, f.module_offset) == (name, func_index, "0a1b2c3d", 0x1F2E3)


@pytest.mark.parametrize(
    "line",
    [
        "(anonymous) @ 0a1b2c3d:0x10",
        "null.<anonymous> @ 0a1b2c3d:0x10",
        "    at (anonymous) (wasm://wasm/0a1b2c3d:wasm-function[3]:0x10)",
        "    at null.<anonymous> (wasm://wasm/0a1b2c3d:wasm-function[3]:0x10)",
        "    at Object.<anonymous> (wasm://wasm/0a1b2c3d:1:17)",
        "    at wasm-function[3] (wasm://wasm/0a1b2c3d:wasm-function[3]:0x10)",
    ],
)
def test_placeholder_names_are_no_names(line: str) -> None:
    f = only_frame(line)
    assert f.func_name is None and f.module_offset == 0x10


def test_bare_wasm_function_name_gives_the_function_index() -> None:
    f = only_frame("wasm-function[17] @ 0a1b2c3d:0x512")
    assert (f.func_name, f.func_index, f.module_offset) == (None, 17, 0x512)
    # Another index in the location means the text was not the placeholder: it is kept as printed.
    g = only_frame("    at wasm-function[17] (wasm://wasm/ab:wasm-function[3]:0x10)")
    assert (g.func_name, g.func_index) == ("wasm-function[17]", 3)


@pytest.mark.parametrize(
    ("line", "name", "file", "lineno", "column"),
    [
        ("    at parse_header(char*) (reader.c:212)", "parse_header(char*)", "reader.c", 212, None),
        ("    at read_file(char const*, int) (/src/io/reader.cpp:88:5)", "read_file(char const*, int)",
         "/src/io/reader.cpp", 88, 5),
        ("    at app::run::h0123456789abcdef (src/lib.rs:42:9)", "app::run::h0123456789abcdef", "src/lib.rs", 42, 9),
        ("    at Vec<T>::push(T) (include/VEC.HPP:7)", "Vec<T>::push(T)", "include/VEC.HPP", 7, None),
        ("    at f (C:\\src\\x.cc:3:1)", "f", "C:\\src\\x.cc", 3, 1),
        ("    at null.<anonymous> (x.c:3)", None, "x.c", 3, None),
    ],
)  # fmt: skip
def test_dwarf_extension_frames_are_wasm_frames_with_a_source_location(
    line: str, name: str | None, file: str, lineno: int, column: int | None
) -> None:
    f = only_frame(line)
    assert (f.func_name, f.file, f.line, f.column) == (name, file, lineno, column)
    assert (f.func_index, f.offset, f.offset_kind, f.module_offset, f.module) == (None, None, UNKNOWN, None, None)


@pytest.mark.parametrize(
    "line",
    [
        "    at foo (app.js:12:3)",
        "    at render (view.tsx:10:2)",
        "    at load (lib.cjs:4:1)",
        "    at Object.<anonymous> (/srv/x/config.h.js:3:9)",
        "    at main (node:internal/main.c.js:31:1)",
        "    at f (reader.c)",
        "    at f (reader.c:)",
        "    at f (reader.c:12:x)",
        "    at f (my dir/reader.c:12)",
        "    at f (reader.c:" + "9" * 30 + ")",
        "    at reader.c:212",
    ],
)
def test_javascript_frames_are_not_taken_for_dwarf_frames(line: str) -> None:
    assert parse("RuntimeError: unreachable\n" + line + "\n") == []


def test_dwarf_frames_make_a_trace_whatever_the_error() -> None:
    (trace,) = parse("TypeError: x\n    at f (a.c:1)\n    at g (app.js:2:3)\n")
    assert (trace.frames[0].file, trace.host_frames) == ("a.c", 1)


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
    "@", ":", " ", "RuntimeError: ", "\t", "(", "[", "0x", "9" * 25, "a.wasm", "\x1b[31m", "$func", "(anonymous)",
    "null.", "reader.c", ".cpp", ".rs", "app.js", ":212",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join), max_size=12).map("\n".join))
def test_near_miss_lines_never_raise(text: str) -> None:
    for trace in parse(text):
        assert trace.frames
        for f in trace.frames:
            assert f.func_index is None or 0 <= f.func_index < 1 << 64
            assert f.module_offset is None or 0 <= f.module_offset < 1 << 64


_PLACEHOLDERS = ("(anonymous)", "<anonymous>", "null.<anonymous>")


def _assert_no_placeholder_names(text: str) -> None:
    for trace in parse(text):
        for f in trace.frames:
            name = f.func_name
            assert name is None or (name not in _PLACEHOLDERS and not name.endswith("<anonymous>")), f
            # A kept `wasm-function[N]` or `$funcN` must disagree with the printed index.
            if name is not None and re.fullmatch(r"wasm-function\[[0-9]+\]|\$func(?:0|[1-9][0-9]*)", name):
                printed = (f"wasm-function[{f.func_index}]", f"$func{f.func_index}")
                assert f.func_index is not None and name not in printed, f


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join), max_size=12).map("\n".join))
def test_placeholders_never_come_out_as_names(text: str) -> None:
    _assert_no_placeholder_names(text)


_NEAR_MISS = [
    "0a1b2c3d:0x1f2e3 Uncaught (in promise) RuntimeError: memory access out of bounds",
    "$func4711 @ 0a1b2c3d:0x1f2e3",
    "(anonymous) @ 0a1b2c3d:0x4c5d",
    "wasm-function[17] @ 0a1b2c3d:0x512",
    "    at null.<anonymous> (wasm://wasm/00c1a2b3:wasm-function[10]:0x500)",
    "    at wasm-function[17] (wasm://wasm/00c1a2b3:wasm-function[17]:0x5ff)",
    "    at parse_header(char*) (reader.c:212)",
    "    at read_file(char const*, int) (/src/io/reader.cpp:88:5)",
    "    at foo (app.js:12:3)",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_misses(_NEAR_MISS, 60))
def test_near_miss_edits_of_new_shapes_parse_in_bounded_time(edits: list[tuple[str, int, str]]) -> None:
    text = apply(edits)
    started = time.perf_counter()
    _assert_no_placeholder_names(text)
    assert time.perf_counter() - started < 1.0
    for trace in parse(text):
        for f in trace.frames:
            assert f.func_index is None or 0 <= f.func_index < 1 << 64
            assert f.line is None or (f.file and f.file.lower().endswith((".c", ".cc", ".cpp", ".cxx", ".c++", ".h",
                                                                          ".hh", ".hpp", ".hxx", ".inl", ".rs")))

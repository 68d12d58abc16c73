"""The SpiderMonkey parser: Firefox and gjs frame shapes, `@` in names and URLs, hostile input."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.backtrace.edits import apply, near_misses, only_frame_after, parser
from wasmdbg.backtrace.formats import spidermonkey
from wasmdbg.backtrace.model import MODULE


parse = parser(spidermonkey)


only_frame = only_frame_after(parse, "RuntimeError: unreachable executed")


@pytest.mark.parametrize(
    ("line", "name", "module", "func_index", "offset"),
    [
        ("demo.divide@all.js line 5 > WebAssembly.Module:wasm-function[1]:0x8d", "demo.divide",
         "all.js line 5 > WebAssembly.Module", 1, 0x8D),
        ("@https://x.test/app.js line 2 > WebAssembly.instantiate:wasm-function[12]:0x1fc3", None,
         "https://x.test/app.js line 2 > WebAssembly.instantiate", 12, 0x1FC3),
        ("rust_panic@https://x.test/f9b8ea8c.wasm:wasm-function[384]:0x1f9d2", "rust_panic",
         "https://x.test/f9b8ea8c.wasm", 384, 0x1F9D2),
        ("foo@<anonymous>:wasm-function[3]:0x10", "foo", None, 3, 0x10),
    ],
)  # fmt: skip
def test_frames_carry_module_offsets(
    line: str, name: str | None, module: str | None, func_index: int, offset: int
) -> None:
    f = only_frame(line)
    assert (f.func_name, f.module, f.func_index) == (name, module, func_index)
    assert (f.offset, f.offset_kind, f.module_offset) == (offset, MODULE, offset)
    assert f.runtime == "spidermonkey"


def test_at_signs_in_names_and_urls() -> None:
    url = "https://cdn.test/npm/@scope/pkg@1.2.3/x.js line 4 > WebAssembly.instantiate"
    f = only_frame(f"a@b@{url}:wasm-function[2]:0x20")
    assert (f.func_name, f.module) == ("a@b", url)
    name, path = "std::vector<int>::at(unsigned long) const", "/srv/app.js line 1 > WebAssembly.Module"
    g = only_frame(f"{name}@{path}:wasm-function[9]:0x99")
    assert (g.func_name, g.module, g.func_index) == (name, path, 9)


def test_firefox_57_printed_the_module_offset_as_the_line() -> None:
    f = only_frame("wasm-function[47]@http://localhost:8000/js/app.js:13783:1")
    assert (f.func_name, f.func_index, f.module, f.offset, f.offset_kind, f.module_offset) == (
        None, 47, "http://localhost:8000/js/app.js", 13783, MODULE, 13783)  # fmt: skip


@pytest.mark.parametrize(
    ("line", "name", "func_index"),
    [
        ("wasm-function[42]@http://x.test/m.wasm:wasm-function[42]:0x1a3b", None, 42),
        ("wasm-function[41]@http://x.test/m.wasm:wasm-function[42]:0x1a3b", "wasm-function[41]", 42),
        ("$func42@http://x.test/m.wasm:wasm-function[42]:0x1a3b", "$func42", 42),
        ("(anonymous)@http://x.test/m.wasm:wasm-function[42]:0x1a3b", None, 42),
    ],
)
def test_placeholder_names_are_no_names(line: str, name: str | None, func_index: int) -> None:
    f = only_frame(line)
    assert (f.func_name, f.func_index, f.module_offset) == (name, func_index, 0x1A3B)


def test_two_line_copies_join_name_and_location() -> None:
    text = (
        "RuntimeError: unreachable executed\nwasm-function[88]\nhttps://h/app.js:51234:1\n"
        "rust_panic\n    https://h/app.wasm:wasm-function[88]:0x1f2e\n"
        "<T as core::ops::Fn>::call\nhttps://h/app.wasm:wasm-function[9]:0x10\n__load\nhttps://h/app.js:59:9\n"
    )
    (trace,) = parse(text)
    assert [(f.line_no, f.func_name, f.func_index, f.module, f.module_offset) for f in trace.frames] == [
        (3, None, 88, "https://h/app.js", 51234), (5, "rust_panic", 88, "https://h/app.wasm", 0x1F2E),
        (7, "<T as core::ops::Fn>::call", 9, "https://h/app.wasm", 0x10)]  # fmt: skip
    assert (trace.host_frames, trace.first_line, trace.last_line) == (1, 1, 9)


@pytest.mark.parametrize(
    "text",
    [
        "Stack trace:\nhttps://h/app.wasm:wasm-function[88]:0x1f2e\n",
        "RuntimeError: x\nhttps://h/app.wasm:wasm-function[88]:0x1f2e\n",
        "a@b\nhttps://h/app.wasm:wasm-function[88]:0x1f2e\n",
        "wasm-function[88]\nhttps://h/app.wasm:wasm-function[88]\n",
        "wasm-function[88]\nhttps://h/app.wasm:wasm-function[88]:57\n",
        "wasm-function[88]\napp.js:51234:1\n",
        "wasm-function[88]\nhttps://h/app.js:51234\n",
        "two words\nhttps://h/app.js:51234:1\n",
        "wasm-function[88]\n\nhttps://h/app.js:51234:1\n",
    ],
)
def test_two_line_near_misses_are_not_frames(text: str) -> None:
    assert parse(text) == []


def test_jsc_shapes_without_offsets_are_left_to_jsc() -> None:
    assert parse("RuntimeError: x\ndivide@demo:wasm-function[1]\n1@wasm-function[1]\n") == []


def test_trap_reasons_as_firefox_prints_them() -> None:
    for reason in ("integer divide by zero", "indirect call signature mismatch", "index out of bounds",
                   "unreachable executed", "indirect call to null"):  # fmt: skip
        (trace,) = parse(f"RuntimeError: {reason}\n@a.js line 1 > WebAssembly.Module:wasm-function[0]:0x1\n")
        assert trace.trap_reason == reason


def test_javascript_frames_count_as_host_frames() -> None:
    text = (
        "RuntimeError: x\n@a.js line 1 > WebAssembly.Module:wasm-function[0]:0x1\n"
        "run/calls<@all.js:8:48\n@all.js:22:1\n"
    )
    (trace,) = parse(text)
    assert (trace.host_frames, trace.last_line) == (2, 4)


@pytest.mark.parametrize(
    "line",
    [
        "f@a.js:wasm-function[1]:0x" + "f" * 5000,
        "f@a.js:wasm-function[" + "9" * 5000 + "]:0x1",
        "f@a.js:wasm-function[1]:0x10000000000000000",
        "wasm-function[18446744073709551616]@a.js:10:1",
    ],
)
def test_numbers_beyond_64_bits_give_no_frame(line: str) -> None:
    assert parse("RuntimeError: x\n" + line + "\n") == []


HOSTILE = ["wasm-function[1]\nhttps://h/a.js:1:1\n" * 8, "https://h/a.wasm:wasm-function[1]:0x1" * 100,
           "(" * 4096, ")" * 4096, "a@" * 2048, "@" * 4096, "@:wasm-function[" * 256, "wasm-function[1]@" * 240,
           "f@" + ")" * 4000 + ":wasm-function[1]:0x1", "@http:" * 682, ":1" * 2048, "[" * 4096]  # fmt: skip


@pytest.mark.parametrize("line", HOSTILE, ids=lambda s: repr(s[:16]))
def test_hostile_lines_parse_in_bounded_time(line: str) -> None:
    text = "RuntimeError: unreachable\n" + "\n".join([line] * 20) + "\n"
    started = time.perf_counter()
    result = parse(text)
    assert time.perf_counter() - started < 1.0
    assert isinstance(result, list)


_PIECES = ["@", "wasm-function[", "]", ":0x", ":", "1f", "12", " line 2 > ", "WebAssembly.instantiate", "http://",
           " ", "RuntimeError: ", "9" * 25, "<anonymous>", "\r", "\n", "(anonymous)", "https://h/app.js:",
           "https://h/app.wasm:wasm-function[", ":1"]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join), max_size=12).map("\n".join))
def test_near_miss_lines_never_raise(text: str) -> None:
    for trace in parse(text):
        for f in trace.frames:
            assert f.func_index is None or 0 <= f.func_index < 1 << 64
            assert f.module_offset is None or 0 <= f.module_offset < 1 << 64


def _assert_no_placeholder_names(text: str) -> None:
    for trace in parse(text):
        for f in trace.frames:
            name = f.func_name
            assert name is None or name not in ("(anonymous)", "<anonymous>") and not name.endswith("<anonymous>"), f
            if name is not None and re.fullmatch(r"wasm-function\[[0-9]+\]", name):
                assert f.func_index is not None and name != f"wasm-function[{f.func_index}]", f


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join), max_size=12).map("\n".join))
def test_placeholders_never_come_out_as_names(text: str) -> None:
    _assert_no_placeholder_names(text)


_NEAR_MISS = [
    "RuntimeError: unreachable executed",
    "wasm-function[88]",
    "https://h/app.js:51234:1",
    "rust_panic",
    "    https://h/app.wasm:wasm-function[88]:0x1f2e",
    "wasm-function[47]@http://localhost:8000/js/app.js:13783:1",
    "__load",
    "https://h/app.js:59:9",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_misses(_NEAR_MISS, 60))
def test_near_miss_edits_of_split_frames_parse_in_bounded_time(edits: list[tuple[str, int, str]]) -> None:
    text = apply(edits)
    started = time.perf_counter()
    _assert_no_placeholder_names(text)
    assert time.perf_counter() - started < 1.0
    for trace in parse(text):
        for f in trace.frames:
            assert f.func_index is None or 0 <= f.func_index < 1 << 64
            assert f.module_offset is None or 0 <= f.module_offset < 1 << 64

"""The JavaScriptCore parser: Safari's old and new frame shapes, Bun, hostile input."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.backtrace.edits import apply, near_misses, only_frame_after, parser
from wasmdbg.backtrace.formats import jsc
from wasmdbg.backtrace.model import MODULE, UNKNOWN


parse = parser(jsc)


only_frame = only_frame_after(parse, "RuntimeError: Division by zero")


@pytest.mark.parametrize(
    ("line", "name", "module", "func_index"),
    [
        ("<?>.wasm-function[12]@[wasm code]", None, None, 12),
        ("<?>.wasm-function[write]@[wasm code]", "write", None, None),
        ("demo.wasm-function[divide]@[wasm code]", "divide", "demo", None),
        ("wasm-function[107]@[wasm code]", None, None, 107),
        ("fs.wasm.wasm-function[<core[9097]::fmt::Formatter>::pad]@[wasm code]", "<core[9097]::fmt::Formatter>::pad",
         "fs.wasm", None),
        ("divide@demo:wasm-function[1]", "divide", "demo", 1),
        ("1@<?>:wasm-function[1]", None, None, 1),
        ("run@<?>:wasm-function[3]", "run", None, 3),
        ("16@wasm-function[16]", None, None, 16),
        ("a@b (c)@wasm-function[2]", "a@b (c)", None, 2),
    ],
)  # fmt: skip
def test_frames_have_no_offset(line: str, name: str | None, module: str | None, func_index: int | None) -> None:
    f = only_frame(line)
    assert (f.func_name, f.module, f.func_index) == (name, module, func_index)
    assert (f.offset, f.offset_kind, f.module_offset) == (None, UNKNOWN, None)
    assert f.runtime == "jsc"


@pytest.mark.parametrize(
    ("line", "name", "module", "func_index"),
    [
        (".wasm-function[app::run::h0123456789abcdef] in [wasm code] undefined:undefined",
         "app::run::h0123456789abcdef", None, None),
        ("demo.wasm-function[divide] in [wasm code] undefined:undefined", "divide", "demo", None),
        (".wasm-function[42] in [wasm code] undefined:undefined", None, None, 42),
        ("<?>.wasm-function[write] in [wasm code]", "write", None, None),
        ("  at .wasm-function[a in b] in [wasm code] 0:0", "a in b", None, None),
    ],
)  # fmt: skip
def test_reporter_rendering_keeps_the_bracketed_name(
    line: str, name: str | None, module: str | None, func_index: int | None
) -> None:
    f = only_frame(line)
    assert (f.func_name, f.module, f.func_index, f.offset, f.offset_kind) == (name, module, func_index, None, UNKNOWN)


@pytest.mark.parametrize(
    "line",
    [
        ".wasm-function[] in [wasm code] undefined:undefined",
        ".wasm-function[f] in [wasm code] undefined",
        ".wasm-function[f] in [wasm code]undefined:undefined",
        ".wasm-function[f] in [wasm code] undefined:undefined:1",
        "xwasm-function[f] in [wasm code] undefined:undefined",
        ".wasm-function[f] in [native code] undefined:undefined",
        ".wasm-function[" + "9" * 30 + "] in [wasm code] undefined:undefined",
        "run in https://x.test/app.js 12:3",
    ],
)
def test_reporter_near_misses_are_not_wasm_frames(line: str) -> None:
    assert parse("RuntimeError: Division by zero\n" + line + "\n") == []


def test_reporter_javascript_frames_are_host_frames() -> None:
    text = (
        "RuntimeError: Division by zero\n.wasm-function[f] in [wasm code] undefined:undefined\n"
        "wasm-stub in [wasm code] undefined:undefined\nrun in https://x.test/app.js 12:3\n"
        "global code in https://x.test/index.html 40:17\nnot a frame in the text\n"
    )
    (trace,) = parse(text)
    assert (len(trace.frames), trace.host_frames, trace.last_line) == (1, 3, 5)


def test_debugger_offset_is_a_module_offset() -> None:
    f = only_frame("run@wasm-function[3]:0x4f")
    assert (f.func_name, f.func_index, f.offset, f.offset_kind, f.module_offset) == ("run", 3, 0x4F, MODULE, 0x4F)


def test_spidermonkey_shape_is_not_claimed() -> None:
    assert parse("RuntimeError: x\nf@app.js line 2 > WebAssembly.Module:wasm-function[1]:0x8d\n") == []


def test_stubs_and_native_frames_are_host_frames() -> None:
    text = (
        "forEach@[native code]\n\n\nwasm-stub@[wasm code]\n<?>.wasm-function[f]@[wasm code]\n"
        "wasm-stub@[native code]\nglobal code@a.js:1:2\n"
    )
    (trace,) = parse(text)
    assert (trace.first_line, trace.last_line, trace.host_frames, len(trace.frames)) == (1, 7, 4, 1)


def test_evaluating_suffix_is_not_part_of_the_reason() -> None:
    text = "RuntimeError: Out of bounds memory access (evaluating 'e.load(70000)')\nload@demo:wasm-function[4]\n"
    (trace,) = parse(text)
    assert trace.trap_reason == "Out of bounds memory access"


def test_bun_trap_keeps_reason_without_frames() -> None:
    text = (
        "RuntimeError: Division by zero (evaluating 'f()')\n"
        "    at unknown\n    at unknown:1:1\n    at run (/x.js:1:2)\n"
    )
    (trace,) = parse(text)
    assert (trace.frames, trace.trap_reason, trace.host_frames) == ((), "Division by zero", 1)
    assert "2 frame(s)" in trace.notes[0]


def test_bun_javascript_error_is_not_a_trace() -> None:
    assert parse("TypeError: undefined is not an object\n    at unknown\n    at run (/x.js:1:2)\n") == []


@pytest.mark.parametrize(
    "line",
    ["<?>.wasm-function[" + "9" * 5000 + "]@[wasm code]", "f@<?>:wasm-function[18446744073709551616]",
     "f@wasm-function[1]:0x" + "f" * 5000],
)  # fmt: skip
def test_numbers_beyond_64_bits_give_no_frame(line: str) -> None:
    assert parse("RuntimeError: x\n" + line + "\n") == []


HOSTILE = [" in [wasm code]" * 292, " in " * 1024, "undefined:" * 409, ".wasm-function[x] in " * 195,
           "(" * 4096, ")" * 4096, "a@" * 2048, "@" * 4096, ".wasm-function[" * 273 + "]@[wasm code]",
           "wasm-function[" * 292, "@<?>:wasm-function[1]" * 195, "at unknown" * 409, "]@[wasm code]" * 315,
           "x (evaluating '" * 273 + "')"]  # fmt: skip


@pytest.mark.parametrize("line", HOSTILE, ids=lambda s: repr(s[:16]))
def test_hostile_lines_parse_in_bounded_time(line: str) -> None:
    text = "RuntimeError: Division by zero\n" + "\n".join([line] * 20) + "\n"
    started = time.perf_counter()
    result = parse(text)
    assert time.perf_counter() - started < 1.0
    assert isinstance(result, list)


_PIECES = ["@", "<?>", ".", "wasm-function[", "]", "[wasm code]", "[native code]", ":", "12", "name", " ",
           "RuntimeError: ", "at unknown", "9" * 25, ":0x", "wasm-stub", " in ", "undefined", " in [wasm code]",
           "(anonymous)"]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join), max_size=12).map("\n".join))
def test_near_miss_lines_never_raise(text: str) -> None:
    for trace in parse(text):
        for f in trace.frames:
            assert f.func_index is None or 0 <= f.func_index < 1 << 64


_NEAR_MISS = [
    ".wasm-function[app::run::h0123456789abcdef] in [wasm code] undefined:undefined",
    "demo.wasm-function[divide] in [wasm code] undefined:undefined",
    ".wasm-function[42] in [wasm code] undefined:undefined",
    "wasm-stub in [wasm code] undefined:undefined",
    "run in https://x.test/app.js 12:3",
    "1@<?>:wasm-function[1]",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_misses(_NEAR_MISS, 60))
def test_near_miss_edits_of_new_shapes_parse_in_bounded_time(edits: list[tuple[str, int, str]]) -> None:
    text = "RuntimeError: Division by zero\n" + apply(edits)
    started = time.perf_counter()
    traces = parse(text)
    assert time.perf_counter() - started < 1.0
    for trace in traces:
        for f in trace.frames:
            assert f.func_index is None or 0 <= f.func_index < 1 << 64
            assert f.func_name is None or (f.func_name != str(f.func_index) and f.func_name.strip())

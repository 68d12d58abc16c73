"""Chicory exceptions beyond the fixtures: which Java frames are wasm, chains, hostile input."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from hypothesis import given, settings

from tests.unit.backtrace.edits import apply, near_misses, parser
from wasmdbg.backtrace.formats import chicory
from wasmdbg.backtrace.model import UNKNOWN

EXC = "com.dylibso.chicory.runtime.TrapException: Trapped on unreachable instruction"


parse = parser(chicory)


@pytest.mark.parametrize(
    ("frame", "name", "index", "file", "line"),
    [
        ("at com.dylibso.chicory.$gen.CompiledMachine.func_12(Unknown Source)", None, 12, None, None),
        ("at com.example.gen.PluginMachineFuncGroup_3.count_vowels(src/lib.rs:23)", "count_vowels", None, "src/lib.rs", 23),
        ("at 0x000d7f: chicory interpreter.count_vowels(src/lib.rs:23)", "count_vowels", None, "src/lib.rs", 23),
        ("at 0x001cf6: chicory interpreter.func_30(/rustc/17067e9a/library/core/src/ub_checks.rs:68)", None, 30, "/rustc/17067e9a/library/core/src/ub_checks.rs", 68),
    ],
    ids=["aot index", "func group", "interpreter", "interpreter index"],
)
def test_wasm_frames(frame: str, name: str | None, index: int | None, file: str | None, line: int | None) -> None:
    (trace,) = parse(f"{EXC}\n\t{frame}\n")
    (raw,) = trace.frames
    assert (raw.func_name, raw.func_index, raw.file, raw.line, raw.offset_kind, raw.module_offset) == (name, index, file, line, UNKNOWN, None)


@pytest.mark.parametrize(
    "frame",
    [
        "at com.dylibso.chicory.runtime.InterpreterMachine.eval(InterpreterMachine.java:182)",
        "at com.dylibso.chicory.$gen.CompiledMachine.call(Unknown Source)",
        "at com.dylibso.chicory.$gen.CompiledMachineShaded.throwTrapException(Shaded.java:195)",
        "at java.base/java.lang.Thread.run(Thread.java:1583)",
    ],
    ids=["interpreter", "machine helper", "shaded helper", "jdk"],
)
def test_java_frames_are_host_frames(frame: str) -> None:
    (trace,) = parse(f"{EXC}\n\t{frame}\n\tat com.dylibso.chicory.$gen.CompiledMachine.func_1(Unknown Source)\n")
    assert trace.host_frames == 1 and [f.func_index for f in trace.frames] == [1]


def test_exceptions_of_other_libraries_are_ignored() -> None:
    assert parse("org.example.TrapException: no\n\tat com.dylibso.chicory.$gen.CompiledMachine.func_1(Unknown Source)\n") == []


@pytest.mark.parametrize("address", ["0x10000000000000000", "0x" + "f" * 41])
def test_addresses_beyond_64_bits_give_no_wasm_frame(address: str) -> None:
    assert parse(f"{EXC}\n\tat {address}: chicory interpreter.f(a.rs:1)\n") == []


_NEAR_MISS = [
        EXC,
        "\tat 0x006721: chicory interpreter.rust_panic_with_hook(library/std/src/panicking.rs:28)",
        "\tat com.dylibso.chicory.$gen.CompiledMachineFuncGroup_0.func_17(Unknown Source)",
        "\tat com.dylibso.chicory.runtime.InterpreterMachine.eval(InterpreterMachine.java:182)",
        "Caused by: com.dylibso.chicory.runtime.WasmRuntimeException: out of bounds memory access",
        "\t... 1 more",
    ]


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(near_misses(_NEAR_MISS, 90))
def test_near_miss_lines_parse_without_error(edits: list[tuple[str, int, str]]) -> None:
    text = apply(edits)
    for trace in parse(text):
        assert trace.frames


@pytest.mark.parametrize(
    "line",
    ["\tat " + "a." * 2000 + "(x:1)", "\tat com.dylibso.chicory.$gen.CompiledMachineFuncGroup_0." + "(" * 3000 + ")", "a." * 2048, "0" * 4096, "\x00\x1b" * 2000],
    ids=["long class", "parens", "dots", "zeros", "control"],
)
def test_pathological_lines_are_bounded(line: str) -> None:
    start = time.perf_counter()
    parse(f"{EXC}\n" + "\n".join([line] * 100))
    assert time.perf_counter() - start < 2.0

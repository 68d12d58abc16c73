"""WasmEdge error reports beyond the fixtures: which frame gets what, calling stacks, hostile input."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from hypothesis import given, settings

from tests.unit.backtrace.edits import apply, near_misses, parser
from wasmdbg.backtrace.formats import wasmedge
from wasmdbg.backtrace.model import MODULE, UNKNOWN

P = "[2024-05-01 12:00:00.000] [error] "


parse = parser(wasmedge)


def test_without_a_calling_stack_the_trap_and_the_entry_are_two_frames() -> None:
    text = (
        f"{P}execution failed: integer divide by zero, Code: 0x83\n"
        f"{P}    In instruction: i32.div_s (0x6d) , Bytecode offset: 0x00000123\n"
        f'{P}    When executing module name: "app" , function name: "main"\n'
    )
    (trace,) = parse(text)
    trap, entry = trace.frames
    assert (trap.line_no, trap.offset, trap.offset_kind, trap.module_offset, trap.func_name) == (2, 0x123, MODULE, 0x123, None)
    assert (entry.line_no, entry.func_name, entry.module, entry.offset, entry.offset_kind) == (3, "main", "app", None, UNKNOWN)
    assert trace.trap_reason == "integer divide by zero"
    assert wasmedge._GAP_NOTE in trace.notes and "WasmEdge error code 0x83" in trace.notes


def test_a_calling_stack_gives_one_frame_per_index_on_its_line() -> None:
    text = (
        f"{P}execution failed: unreachable, Code: 0x89\n"
        f"{P}    In instruction: unreachable (0x00) , Bytecode offset: 0x00000189\n"
        f"{P}calling stack:5, 4, 1\n"
        f'{P}    When executing function name: "_start"\n'
    )
    (trace,) = parse(text)
    assert [(f.line_no, f.index, f.func_index, f.func_name, f.offset) for f in trace.frames] == [
        (3, 0, 5, None, 0x189),
        (3, 1, 4, None, None),
        (3, 2, 1, "_start", None),
    ]


def test_an_aot_report_has_no_instruction_only_the_entry() -> None:
    (trace,) = parse(f"{P}execution failed: unreachable, Code: 0x89\n{P}    When executing function name: \"run\"\n")
    assert [(f.func_name, f.offset) for f in trace.frames] == [("run", None)]


def test_the_report_ends_at_the_next_one() -> None:
    one = f"{P}execution failed: unreachable, Code: 0x89\n{P}    When executing function name: \"a\"\n"
    two = f"{P}execution failed: integer overflow, Code: 0x84\n{P}    When executing function name: \"b\"\n"
    traces = parse(one + two)
    assert [(t.trap_reason, t.frames[0].func_name, t.first_line) for t in traces] == [
        ("unreachable", "a", 1),
        ("integer overflow", "b", 3),
    ]


@pytest.mark.parametrize("offset", ["0x10000000000000000", "0x" + "f" * 41, "0x" + "9" * 5000])
def test_instruction_offsets_beyond_64_bits_are_dropped(offset: str) -> None:
    text = f"{P}execution failed: unreachable\n{P}    In instruction: unreachable (0x00) , Bytecode offset: {offset}\n"
    assert parse(text) == []


_NEAR_MISS = [
        f"{P}execution failed: out of bounds memory access, Code: 0x88",
        f"{P}    In instruction: v128.load64_splat (0xfd 0x0a) , Bytecode offset: 0x0000027c",
        f'{P}    When executing function name: "main"',
        f"{P}calling stack:main:3, module[0]:1",
        f"{P}    Accessing offset from: 0x100001cc6 to: 0x100001ccd , Out of boundary: 0xffffffff",
    ]


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(near_misses(_NEAR_MISS, 110))
def test_near_miss_lines_parse_without_error(edits: list[tuple[str, int, str]]) -> None:
    text = apply(edits)
    for trace in parse(text):
        assert trace.frames and all(f.func_index is None or f.func_index < 1 << 64 for f in trace.frames)


@pytest.mark.parametrize(
    "line",
    [f"{P}calling stack:" + "1, " * 1300, f"{P}execution failed: " + ", Code: " * 400, "0" * 4096, '"' * 4096, "\x00\x1b" * 2000],
    ids=["long stack", "codes", "zeros", "quotes", "control"],
)
def test_pathological_lines_are_bounded(line: str) -> None:
    start = time.perf_counter()
    parse(f"{P}execution failed: x\n" + "\n".join([line] * 100))
    assert time.perf_counter() - start < 2.0

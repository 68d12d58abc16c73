"""WasmKit traps beyond the fixtures: both backtrace formats, neighbours, hostile input."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from hypothesis import given, settings

from tests.unit.backtrace.edits import apply, near_misses, parser
from wasmdbg.backtrace.detect import parse_text
from wasmdbg.backtrace.formats import wasmkit
from wasmdbg.backtrace.model import UNKNOWN


parse = parser(wasmkit)


def test_addresses_are_kept_as_unknown_offsets() -> None:
    (trace,) = parse("Trap: unreachable\n    0: (0x0000600001f04a10) foo\n    1: (123) unknown\n")
    first, second = trace.frames
    assert (first.offset, first.offset_kind, first.module_offset, first.func_name) == (0x600001F04A10, UNKNOWN, None, "foo")
    assert (second.offset, second.func_name, second.index) == (123, None, 1)


def test_a_python_wasmtime_trap_is_left_to_wasmtime() -> None:
    text = "wasmtime._trap.Trap: error while executing at wasm backtrace:\n    0:     0x37 - divzero!quotient\n"
    assert parse(text) == []
    assert [t.runtime for t in parse_text(text)] == ["wasmtime"]


def test_numbered_lines_without_a_trap_line_are_not_frames() -> None:
    assert parse("Caused by:\n    0: failed to invoke command default\n") == []


@pytest.mark.parametrize("address", ["0x10000000000000000", "0x" + "f" * 41])
def test_addresses_beyond_64_bits_give_no_frame(address: str) -> None:
    assert parse(f"Trap: unreachable\n    0: ({address}) foo\n") == []


_NEAR_MISS = ["Error: Trap: unreachable", "    0: foo", "    1: (0x0000600001f04b48) bar", "    2: unknown"]


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(near_misses(_NEAR_MISS, 40))
def test_near_miss_lines_parse_without_error(edits: list[tuple[str, int, str]]) -> None:
    text = apply(edits)
    for trace in parse(text):
        assert trace.frames and all(f.index == n for n, f in enumerate(trace.frames))


@pytest.mark.parametrize(
    "line",
    ["    0: (" * 500, "Trap: " * 680, "0" * 4096, "0: " * 1365, "\x00\x1b" * 2000],
    ids=["open parens", "traps", "zeros", "indices", "control"],
)
def test_pathological_lines_are_bounded(line: str) -> None:
    start = time.perf_counter()
    parse("Trap: x\n" + "\n".join([line] * 100))
    assert time.perf_counter() - start < 2.0

"""explain(): the paragraph for each way a run ends, checked against real runs of the sample modules."""

from __future__ import annotations

import base64
import re
from functools import cache
from typing import Any

import pytest

from tests.helpers import SAMPLES, wasm_tools
from wasmdbg.explanation import explain
from wasmdbg.symbols.frames import SourceFrame
from wasmdbg.runner.client import Agent
from wasmdbg.runner.limits import RunLimits
from wasmdbg.symbols.symbolizer import Symbolizer
from wasmdbg.wasm.module import read_module

BUILD = SAMPLES / "build"
DEFAULT = RunLimits(timeout_s=10)


@cache
def explained(name: str, limits: RunLimits = DEFAULT) -> tuple[str, dict[str, Any]]:
    """Run a sample through the real agent, symbolize its frames, and explain the outcome."""
    path = str(BUILD / name)
    with Agent() as agent:
        agent.send(
            "start", module=path, argv=["guest"],
            limits={"max_memory_bytes": limits.max_memory_bytes, "fuel": limits.fuel, "timeout_s": limits.timeout_s,
                    "max_wasm_stack": limits.max_wasm_stack},
        )  # fmt: skip
        events = list(agent.events())
    outcome = events[-1]
    stderr = b"".join(base64.b64decode(e["data"]) for e in events if e["ev"] == "output" and e["stream"] == "stderr")
    symbolizer = Symbolizer.open(path)
    frames = [
        list(symbolizer.symbolize(offset).frames) if offset is not None else [symbolizer.function_name(index)]
        for index, offset, _ in outcome["frames"]
    ]
    text = explain(outcome, frames, symbolizer.module, stderr=stderr.decode("utf-8", "replace"), limits=limits)
    return text, outcome


def test_a_wild_pointer_is_placed_against_the_memory_and_its_regions() -> None:
    text, outcome = explained("oob.O2.wasm")
    assert outcome["trap_kind"] == "memory_out_of_bounds"
    assert "0x7ffffff0" in text and "0x20000-byte" in text
    assert "store_field (../c/oob.c:16)" in text
    # wasi-libc exports none of __data_end/__heap_base: the data segments and __stack_pointer's init are the facts.
    assert "0x400–" in text and "__stack_pointer starts at 0x114a0" in text


def test_a_rust_panic_names_the_message_and_the_first_user_frame() -> None:
    text, _ = explained("panic.O2.wasm")
    assert '"index out of bounds: the len is 5 but the index is 7" at ../rust/panic.rs:9:5' in text
    assert "raised in panic::lookup (../rust/panic.rs:9)" in text
    assert "Rust's panic machinery" in text


def test_abort_names_its_caller_and_quotes_stderr() -> None:
    text, _ = explained("abort.O2.wasm")
    assert "called abort() from check_range (../c/abort.c:14)" in text
    assert "exceeds limit 10, aborting" in text


def test_a_cpp_abort_names_the_library_caller_and_the_user_frame() -> None:
    text, _ = explained("cpp_abort.O2.wasm")
    assert "abort()" in text and "inventory::Shelf<int>::pick(unsigned long) const (../cpp/cpp_abort.cpp:20)" in text


def test_a_stack_overflow_names_the_repeating_frame_and_the_truncated_depth() -> None:
    text, outcome = explained("stackoverflow.O2.wasm")
    assert outcome["frames_truncated"]
    assert "walk_tree at ../c/stackoverflow.c:18 is 20 of the 20 frames" in text and "real depth is larger" in text


def test_a_bad_signature_names_the_expected_type_from_the_type_section() -> None:
    text, _ = explained("badcall.O2.wasm")
    printed = wasm_tools("print", str(BUILD / "badcall.O2.wasm"))
    # Independently of wasmdbg's reader: the type dispatch's call_indirect names, as wasm-tools prints it.
    dispatch = printed[printed.index("(func $dispatch") :]
    type_index = int(re.search(r"call_indirect \(type (\d+)\)", dispatch)[1])  # type: ignore[index]
    signature = re.search(rf"\(type \(;{type_index};\) (\(func [^\n]*\))\)\n", printed)[1]  # type: ignore[index]
    assert f"expects type {type_index} {signature}" in text
    assert "dispatch (../c/badcall.c:23)" in text
    assert "slot 2 add_pair (func (param i32 i32) (result i32))" in text  # the function badcall.c really calls


@pytest.mark.parametrize(
    ("limits", "expected"),
    [(RunLimits(timeout_s=0.3), "time limit and was stopped after 0.3 s"), (RunLimits(fuel=100_000), "all of 100,000 fuel")],
)
def test_a_spinning_guest_is_stopped_in_spin_forever(limits: RunLimits, expected: str) -> None:
    text, _ = explained("spin.O2.wasm", limits)
    assert expected in text and "while running spin_forever (../c/spin.c:8)" in text


def test_a_leak_reports_the_cap_and_the_peak_with_the_abort() -> None:
    cap = 8 << 20
    text, outcome = explained("leak.O0.wasm", RunLimits(max_memory_bytes=cap, timeout_s=30))
    peak_mib = outcome["peak_pages"][0] * 65536 / (1 << 20)
    assert f"reached {peak_mib:.1f} MiB" in text and "of the 8 MiB cap" in text
    assert "called abort() from leak_chunk" in text and "malloc failed" in text


def test_an_exit_code_is_stated() -> None:
    text, _ = explained("exitcode.O0.wasm")
    assert text.startswith("The program exited with code 3.")


def test_arithmetic_and_table_traps_get_one_sentence_each() -> None:
    assert "divided an integer by zero" in explained("divzero.O2.wasm")[0]
    assert "null slot" in explained("indirect_null.wasm")[0]
    assert "past the end of the 2-slot table" in explained("table_oob.wasm")[0]


# -- synthetic outcomes: formats and hostile input no sample produces ---------------------------


@cache
def _module() -> Any:
    return read_module((BUILD / "hello.O0.wasm").read_bytes())


def test_the_new_panic_format_is_read_too() -> None:
    frames = [[SourceFrame("core::panicking::panic_fmt")], [SourceFrame("app::run", file="src/main.rs", line=4)]]
    outcome = {"outcome": "trapped", "trap_kind": "unreachable", "frames": [[1, 10, "a"], [2, 20, "b"]]}
    stderr = "thread 'main' panicked at src/main.rs:4:9:\nboom\nnote: run with `RUST_BACKTRACE=1`\n"
    text = explain(outcome, frames, _module(), stderr=stderr, limits=RunLimits())
    assert '"boom" at src/main.rs:4:9' in text and "raised in app::run (src/main.rs:4)" in text


def test_names_and_output_from_the_guest_cannot_drive_the_terminal() -> None:
    frames = [[SourceFrame("abort")], [SourceFrame("evil\x1b[2J\u202ename")]]
    outcome = {"outcome": "trapped", "trap_kind": "unreachable", "frames": [[1, None, "abort"], [2, None, "x"]]}
    text = explain(outcome, frames, _module(), stderr="bye\x1b]0;title\x07\n", limits=RunLimits())
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "evil\\x1b[2J\\u202ename" in text


def test_missing_symbols_fall_back_to_wasmtime_names_and_a_small_memory_is_not_a_cap_hit() -> None:
    outcome = {"outcome": "trapped", "trap_kind": "integer_overflow", "frames": [[3, 5, "_ZN3app3divE"]], "peak_pages": [2]}
    text = explain(outcome, [], _module(), stderr="", limits=RunLimits(max_memory_bytes=1 << 20))
    assert "overflowed a signed integer division" in text and "app::div" in text and "cap" not in text


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ({"outcome": "exited", "exit_code": 0}, "exited with code 0 (success)."),
        ({"outcome": "returned", "results": [7]}, "returned normally with 7."),
        ({"outcome": "engine_crashed", "message": "agent killed by SIGKILL"}, 'died before the run ended: "agent killed by SIGKILL".'),
        ({"outcome": "error", "message": "unknown import env.mystery"}, 'could not be run: "unknown import env.mystery".'),
        ({"outcome": "interrupted", "duration_s": 1.5, "frames": []}, "was interrupted after 1.5 s."),
    ],
)
def test_other_endings_are_one_short_sentence(outcome: dict[str, Any], expected: str) -> None:
    assert explain(outcome, [], _module(), stderr="", limits=RunLimits()).endswith(expected)

"""explain(): the paragraph for each way a run ends, checked against real runs of the sample modules."""

from __future__ import annotations

import re
from functools import cache

import pytest

from tests.helpers import SAMPLES, wasm_tools
from wasmdbg.explanation import explain
from wasmdbg.runner import protocol as p
from wasmdbg.runner.limits import RunLimits
from wasmdbg.session.live import RunRequest
from wasmdbg.session.session import Session
from wasmdbg.symbols.frames import SourceFrame
from wasmdbg.symbols.stack import StackFrame, symbolize_stack
from wasmdbg.wasm.module import WasmModule, read_module

BUILD = SAMPLES / "build"
DEFAULT = RunLimits(timeout_s=10)


@cache
def explained(name: str, limits: RunLimits = DEFAULT) -> tuple[str, p.Finished]:
    """Run a sample through the session (the real agent), and explain the outcome."""
    session = Session.open(str(BUILD / name))
    with session.start_run(RunRequest(limits=limits)) as live:
        finished = live.wait()
        stderr = bytes(live.stderr)
    stack = session.stack(finished.outcome.frames)
    text = explain(finished, stack, session.module, stderr=stderr.decode("utf-8", "replace"), limits=limits)
    assert session.report(finished, RunRequest(limits=limits), stderr=stderr).explanation == text
    return text, finished


def test_a_wild_pointer_is_placed_against_the_memory_and_its_regions() -> None:
    text, finished = explained("oob.O2.wasm")
    assert finished.outcome.trap_kind == "memory_out_of_bounds"
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
    text, finished = explained("stackoverflow.O2.wasm")
    assert finished.outcome.frames_truncated
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
    text, finished = explained("leak.O0.wasm", RunLimits(max_memory_bytes=cap, timeout_s=30))
    peak_mib = finished.peak_pages[0] * finished.page_bytes[0] / (1 << 20)
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
def _module() -> WasmModule:
    return read_module((BUILD / "hello.O0.wasm").read_bytes())


def _trapped(kind: str, *stack: tuple[SourceFrame, ...], fault_address: int | None = None) -> tuple[p.Finished, tuple[StackFrame, ...]]:
    """A trap of `kind` whose physical frames hold the given source frames (no module offsets)."""
    guest = tuple(p.GuestFrame(i, None, None) for i in range(len(stack)))
    outcome = p.Outcome(p.TRAPPED, trap_kind=kind, fault_address=fault_address, memory_size=0x20000, frames=guest)
    return p.Finished(outcome), tuple(StackFrame(i, None, sources) for i, sources in enumerate(stack))


def test_the_new_panic_format_is_read_too() -> None:
    finished, stack = _trapped(
        "unreachable", (SourceFrame("core::panicking::panic_fmt"),), (SourceFrame("app::run", file="src/main.rs", line=4),)
    )
    stderr = "thread 'main' panicked at src/main.rs:4:9:\nboom\nnote: run with `RUST_BACKTRACE=1`\n"
    text = explain(finished, stack, _module(), stderr=stderr, limits=RunLimits())
    assert '"boom" at src/main.rs:4:9' in text and "raised in app::run (src/main.rs:4)" in text


def test_names_and_output_from_the_guest_cannot_drive_the_terminal() -> None:
    finished, stack = _trapped("unreachable", (SourceFrame("abort"),), (SourceFrame("evil\x1b[2J\u202ename"),))
    text = explain(finished, stack, _module(), stderr="bye\x1b]0;title\x07\n", limits=RunLimits())
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "evil\\x1b[2J\\u202ename" in text


def test_missing_symbols_fall_back_to_wasmtime_names_and_a_small_memory_is_not_a_cap_hit() -> None:
    outcome = p.Outcome(p.TRAPPED, trap_kind="integer_overflow", frames=(p.GuestFrame(3, 5, "_ZN3app3divE"),))
    finished = p.Finished(outcome, peak_pages=(2,), page_bytes=(65536,))
    stack = symbolize_stack(outcome.frames, None)
    text = explain(finished, stack, _module(), stderr="", limits=RunLimits(max_memory_bytes=1 << 20))
    assert "overflowed a signed integer division" in text and "app::div" in text and "cap" not in text


@pytest.mark.parametrize(
    ("finished", "expected"),
    [
        (p.Finished(p.Outcome(p.EXITED, exit_code=0)), "exited with code 0 (success)."),
        (p.Finished(p.Outcome(p.RETURNED, results=(7,))), "returned normally with 7."),
        (p.Finished(p.Outcome(p.ENGINE_CRASHED, message="agent killed by SIGKILL")), 'died before the run ended: "agent killed by SIGKILL".'),
        (p.Finished(p.Outcome(p.ERROR, message="unknown import env.mystery")), 'could not be run: "unknown import env.mystery".'),
        (p.Finished(p.Outcome(p.INTERRUPTED), duration_s=1.5), "was interrupted after 1.5 s."),
    ],
)
def test_other_endings_are_one_short_sentence(finished: p.Finished, expected: str) -> None:
    assert explain(finished, (), _module(), stderr="", limits=RunLimits()).endswith(expected)


def test_a_fault_in_libc_names_the_user_frame_that_called_it_when_the_innermost_frame_is_runtime() -> None:
    finished, stack = _trapped(
        "memory_out_of_bounds",
        (SourceFrame("memcpy", file="/wasi-libc/libc-top-half/musl/src/string/memcpy.c", line=30),),
        (SourceFrame("copy_name", file="../c/names.c", line=12),),
        fault_address=0x7FFFFFF0,
    )
    text = explain(finished, stack, _module(), stderr="", limits=RunLimits())
    assert text.startswith(
        "Memory fault in memcpy (/wasi-libc/libc-top-half/musl/src/string/memcpy.c:30), called from copy_name (../c/names.c:12):"
    )


def test_a_fault_in_user_code_names_only_that_frame() -> None:
    finished, stack = _trapped(
        "integer_division_by_zero",
        (SourceFrame("quotient", file="../c/divzero.c", line=13),),
        (SourceFrame("main", file="../c/divzero.c", line=30),),
    )
    text = explain(finished, stack, _module(), stderr="", limits=RunLimits())
    assert text == "The program divided an integer by zero in quotient (../c/divzero.c:13); WebAssembly traps on that."


def test_a_panic_raised_inside_std_names_the_user_frame_past_it() -> None:
    finished, stack = _trapped(
        "unreachable",
        (SourceFrame("core::panicking::panic_fmt", file="/rustc/abc/library/core/src/panicking.rs", line=72),),
        (SourceFrame("core::cell::RefCell<T>::borrow_mut", file="/rustc/abc/library/core/src/cell.rs", line=1010),),
        (SourceFrame("core::cell::RefMut<T>::new", file="/rustc/abc/library/core/src/cell.rs", line=1400),),
        (SourceFrame("app::update", file="src/main.rs", line=7),),
    )
    text = explain(finished, stack, _module(), stderr="", limits=RunLimits())
    assert (
        "raised in core::cell::RefCell<T>::borrow_mut (/rustc/abc/library/core/src/cell.rs:1010), "
        "called from app::update (src/main.rs:7)."
    ) in text


@pytest.mark.parametrize(("page_bytes", "shown"), [((), "8 MiB (grown from 2 to 128 pages)"), ((65536,), "8 MiB (grown from 2 to 128 pages)"), ((1,), None)])
def test_the_memory_cap_counts_pages_of_the_size_the_run_reported(page_bytes: tuple[int, ...], shown: str | None) -> None:
    # 128 pages: 8 MiB of the module's own 64 KiB pages (the fallback) or as the run reported them; 128 bytes of 1-byte pages.
    finished = p.Finished(p.Outcome(p.EXITED, exit_code=1), peak_pages=(128,), page_bytes=page_bytes)
    text = explain(finished, (), _module(), stderr="", limits=RunLimits(max_memory_bytes=8 << 20))
    if shown is None:
        assert "cap" not in text
    else:
        assert f"Linear memory reached {shown} of the 8 MiB cap" in text

"""The language runtimes' sentences on texts and stacks the samples do not produce: fatal errors, forged tracebacks, clang's UBSan."""

from __future__ import annotations

from tests.helpers import SAMPLES
from wasmdbg.explanation.languages import explain_go_exit, explain_sanitizer, explain_zig_panic
from wasmdbg.symbols.frames import DWARF, NAME, SourceFrame
from wasmdbg.symbols.stack import StackFrame
from wasmdbg.wasm.module import read_module

GO = read_module((SAMPLES / "build" / "gopanic.wasm").read_bytes())

DEADLOCK = """fatal error: all goroutines are asleep - deadlock!

goroutine 1 [chan receive]:
main.wait(...)
\t./dl.go:6
main.main()
\t./dl.go:11 +0x5
"""


def test_a_go_fatal_error_is_named_as_one_with_the_inlined_user_frame() -> None:
    text = " ".join(explain_go_exit(2, DEADLOCK, GO))
    assert text.startswith('The program hit the fatal error "all goroutines are asleep - deadlock!" in main.wait (./dl.go:6), called from main.main (./dl.go:11)')
    assert "exited with code 2" in text


def test_a_traceback_naming_a_function_the_module_lacks_says_it_may_be_another_builds() -> None:
    forged = DEADLOCK.replace("main.main()", "main.serve()")
    text = " ".join(explain_go_exit(2, forged, GO))
    assert "This module has no function main.serve, which the traceback names" in text


def test_stderr_without_a_go_traceback_and_a_module_not_go_are_not_a_go_exit() -> None:
    assert explain_go_exit(2, "usage: tool [flags]\n", GO) == []
    assert explain_go_exit(2, DEADLOCK, read_module((SAMPLES / "build" / "exitcode.O0.wasm").read_bytes())) == []


def _stack(*names_files: tuple[str, str | None, int | None]) -> tuple[StackFrame, ...]:
    return tuple(
        StackFrame(i, 100 + i, (SourceFrame(name, file=file, line=line, source=DWARF if file else NAME),))
        for i, (name, file, line) in enumerate(names_files)
    )


def test_clangs_full_ubsan_report_is_quoted_with_its_place() -> None:
    stack = _stack(
        ("abort", None, None),
        ("__ubsan_handle_divrem_overflow", "/llvm/compiler-rt/lib/ubsan/ubsan_handlers.cpp", 240),
        ("ratio", "src/ratio.c", 13),
        ("main", "src/main.c", 4),
    )
    text = " ".join(explain_sanitizer(stack, "src/ratio.c:13:18: runtime error: division by zero\n"))
    assert text.startswith(
        'The undefined-behaviour sanitizer stopped the program, reporting "division by zero" at src/ratio.c:13:18 '
        "in ratio (src/ratio.c:13), called from main (src/main.c:4)."
    )
    assert "Zig's" not in text


def test_a_zig_panic_without_its_message_says_so_and_a_stack_without_the_handler_is_not_one() -> None:
    stack = _stack(
        ("process.abort", "/z/lib/std/process.zig", 859),
        ("debug.defaultPanic", "/z/lib/std/debug.zig", 620),
        ("app.run", "/src/app.zig", 12),
    )
    sentences = explain_zig_panic(stack, "")
    assert sentences[0] == "The program panicked in app.run (/src/app.zig:12)."
    assert sentences[-1] == "No `panic:` line was found on stderr."
    assert explain_zig_panic(_stack(("app.run", "/src/app.zig", 12)), "panic: x\n") == []


def test_a_zig_user_frame_placed_in_std_without_a_line_is_named_past_the_handler() -> None:
    # Optimized Zig can give an inlined user function its caller's file in std, without a line.
    stack = _stack(
        ("process.abort", "/z/lib/std/process.zig", 859),
        ("debug.FullPanic((function 'defaultPanic')).integerOverflow", "/z/lib/std/debug.zig", 164),
        ("app.main", "/z/lib/std/start.zig", None),
        ("start.startWasi", "/z/lib/std/start.zig", 128),
    )
    sentences = explain_zig_panic(stack, "panic: integer overflow\n")
    assert sentences[0] == 'The program panicked with "integer overflow" in app.main (the debug info gives it no line of its own).'
    assert "integerOverflow" in sentences[1] and "start.startWasi" not in sentences[1]


def test_an_assemblyscript_abort_inside_its_standard_library_names_the_user_caller() -> None:
    from wasmdbg.explanation.languages import explain_abort_call
    from wasmdbg.runner.protocol import AbortCall

    stack = _stack(("~lib/array/Array<i32>#__get", "~lib/array.ts", 110), ("app/total", None, None))
    text = explain_abort_call(AbortCall("Index out of range", "~lib/array.ts", 110, 42), stack)[0]
    assert text == 'The program aborted with "Index out of range" at ~lib/array.ts:110:42 in ~lib/array/Array<i32>#__get, called from app/total.'


def test_a_guests_hostile_stderr_is_read_in_bounded_time() -> None:
    # A line of a million spaces after `panic: ` made the old `.+?\s*$` patterns backtrack quadratically;
    # megabytes of stderr are cut to their tail. (Bounded by the suite's per-test timeout, not timed.)
    hostile = "panic: " + " " * 1_000_000 + "x\n" + "goroutine 1 [running]:\n" + "main.f(" + "(" * 3000 + "\n" * 10
    stack = _stack(("ubsan_rt.divRemHandler", "/z/lib/ubsan_rt.zig", 1), ("debug.defaultPanic", "/z/lib/std/debug.zig", 2))
    assert explain_sanitizer(stack, hostile)[0].startswith("The undefined-behaviour sanitizer stopped the program")
    assert explain_go_exit(2, hostile * 3, GO) is not None
    long_message = "panic: " + "y" * 100_000
    quoted = explain_zig_panic(_stack(("debug.defaultPanic", "/z/lib/std/debug.zig", 2), ("a.b", "/a.zig", 1)), long_message)[0]
    assert len(quoted) < 1000  # the message is quoted cut, not whole


def test_thousands_of_rust_panicked_at_lines_are_read_in_bounded_time() -> None:
    from wasmdbg.explanation.panics import explain_panic

    stack = _stack(("core::panicking::panic", None, None), ("app::run", "src/main.rs", 3))
    stderr = "panicked at '" * 200_000 + "\nthread 'main' panicked at 'boom', src/main.rs:3:5\n"
    assert explain_panic(stack, stderr)[0] == 'The program panicked with "boom" at src/main.rs:3:5.'

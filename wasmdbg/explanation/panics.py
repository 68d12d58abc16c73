"""Rust panics and C/C++ `abort()`: the message and place of the panic, the frame that called abort."""

from __future__ import annotations

import re
from collections.abc import Sequence

from wasmdbg.explanation.names import function_name, last_line, quote, where
from wasmdbg.symbols.runtime import is_runtime_frame, user_frame
from wasmdbg.symbols.stack import StackFrame
from wasmdbg.text import printable

# Rust <1.73: `panicked at 'msg', file:line:col`; Rust >=1.73: `panicked at file:line:col:\nmsg`.
_PANIC_OLD = re.compile(r"panicked at '(?P<msg>.*?)', (?P<loc>[^\n]*?:\d+:\d+)\s*$", re.DOTALL | re.MULTILINE)
_PANIC_NEW = re.compile(r"panicked at (?P<loc>[^\n']*?:\d+:\d+):\n(?P<msg>.*?)(?=\nnote: |\n*\Z)", re.DOTALL)
_PANIC_MACHINERY = (
    "rust_panic", "rust_begin_unwind", "__rust_start_panic", "__rust_end_short_backtrace", "__rustc",
    "core::panicking::", "std::panicking::", "std::panic::", "core::panic::", "panic_abort::", "panic_unwind::",
    "std::sys_common::backtrace::", "std::rt::", "core::result::unwrap_failed", "core::option::expect_failed",
    "core::slice::index::", "core::str::slice_error_fail", "alloc::raw_vec::capacity_overflow",
)  # fmt: skip
"""The frames between a panic and the code that raised it (a narrower set than the runtime's frames)."""
_PANIC_MARKERS = ("rust_panic", "core::panicking::", "std::panicking::", "rust_begin_unwind")
"""A stack with one of these is a panic's."""
ABORT_NAMES = frozenset({"abort", "__builtin_abort", "std::abort()", "abort()"})
"""Functions whose `unreachable` is a call of abort()."""


def is_abort(stack: Sequence[StackFrame]) -> bool:
    """Whether the innermost frame is abort() itself."""
    return bool(stack) and function_name(stack[0].function) in ABORT_NAMES


def explain_abort(stack: Sequence[StackFrame], stderr: str) -> list[str]:
    """Sentences for a run ended by abort(): who called it, and the last line on stderr.

    Args:
        stack: the symbolized stack, innermost first; `stack[0]` is abort.
        stderr: everything the guest wrote to stderr.

    Returns:
        Two sentences.
    """
    found = user_frame(stack[1:])
    user = found.frame if found is not None else None
    caller = stack[1].sources[0] if len(stack) > 1 else None
    sentence = "The program called abort()"
    if caller is not None and is_runtime_frame(caller) and user is not None:
        sentence += f" in {where(caller)}, reached from {where(user)}"
    elif user is not None:
        sentence += f" from {where(user)}"
    elif caller is not None:
        sentence += f" from {where(caller)}"
    sentences = [sentence + "; abort() ends the run with an `unreachable` trap."]
    last = last_line(stderr)
    sentences.append(f"The last line on stderr was {quote(last)}." if last else "Nothing was written to stderr.")
    return sentences


def explain_panic(stack: Sequence[StackFrame], stderr: str) -> list[str]:
    """Sentences for a Rust panic, or [] when the stack holds no panic machinery.

    Args:
        stack: the symbolized stack, innermost first.
        stderr: everything the guest wrote to stderr (where the `panicked at` message is).

    Returns:
        The panic's message and place, the frame that raised it and the machinery above it; or [].
    """
    flat = [(i, j, s) for i, frame in enumerate(stack) for j, s in enumerate(frame.sources)]
    if not any(function_name(s).startswith(_PANIC_MARKERS) for _, _, s in flat):
        return []
    # The panic machinery is the innermost run of frames; the first frame past it is the code that panicked.
    run = next((n for n, (_, _, s) in enumerate(flat) if not function_name(s).startswith(_PANIC_MACHINERY)), len(flat))
    machinery = [function_name(s) for _, _, s in flat[:run]]
    message = _panic_message(stderr)
    sentence = "The program panicked"
    if message is not None:
        text, place = message
        sentence += f" with {quote(text)} at {printable(place)}"
    sentences = [sentence + "."]
    if run < len(flat):
        raised = flat[run][2]
        caller = flat[run + 1][2] if run + 1 < len(flat) else None
        if is_runtime_frame(raised):  # raised inside std (`RefCell::borrow_mut`): name the user's frame next
            found = user_frame(stack)
            if found is not None and flat.index((found.frame_index, found.source_index, found.frame)) > run:
                caller = found.frame
        text = f"The panic was raised in {where(raised)}"
        if caller is not None:
            text += f", called from {where(caller)}"
        sentences.append(text + ".")
    if machinery:
        sentences.append(
            f"The {len(machinery)} frames above it are Rust's panic machinery "
            f"({machinery[-1]} … {machinery[0]}), which ends the run with an `unreachable` trap."
        )
    if message is None:
        sentences.append("No `panicked at` message was found on stderr.")
    return sentences


_PANIC_WINDOW = 8192
"""Characters read from the last `panicked at`: a message longer than that is not quoted whole anyway."""


def _panic_message(stderr: str) -> tuple[str, str] | None:
    """(message, file:line:col) of the last panic reported on stderr, in either of Rust's formats.

    Only the last `panicked at` is read, and only _PANIC_WINDOW characters of it: the patterns'
    lazy message runs to a delimiter, and from every one of a guest's thousands of `panicked at`
    that would be quadratic in stderr.
    """
    at = stderr.rfind("panicked at ")
    if at < 0:
        return None
    window = stderr[at : at + _PANIC_WINDOW]
    for pattern in (_PANIC_OLD, _PANIC_NEW):
        m = pattern.match(window)
        if m is not None:
            return " ".join(m["msg"].split("\n")), m["loc"]
    return None

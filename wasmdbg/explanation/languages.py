"""Failures a language runtime turned into its own ending: Zig panics, sanitizer reports, Go panics, AssemblyScript aborts.

Each language reports a failed check its own way before the run ends, and the wasm trap (or exit
code) that follows says little: Zig's panic handler and UBSan's runtime end in `unreachable` deep
in their standard library, Go prints a traceback and exits with code 2 (or, with
GOTRACEBACK=crash, traps in `runtime.abort`), AssemblyScript calls its host's `abort` import. The
paragraph says what the runtime did, quotes the message the program printed (or handed over),
and names the user's frame: from the wasm stack where it has one, from Go's own traceback where it
has none. What the guest printed is checked against the frames, not repeated blindly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from wasmdbg.backtrace.formats import go as go_format
from wasmdbg.backtrace.lines import split_lines
from wasmdbg.backtrace.model import RawFrame
from wasmdbg.explanation.names import function_name, quote, where
from wasmdbg.runner.protocol import AbortCall
from wasmdbg.symbols.frames import SourceFrame
from wasmdbg.symbols.go import GoFunctions, is_go_module
from wasmdbg.symbols.runtime import is_go_std_name, is_runtime_frame, user_frame
from wasmdbg.symbols.stack import StackFrame
from wasmdbg.text import printable
from wasmdbg.wasm.module import WasmModule

# Each is matched against whole lines, stripped and cut (see `_last`): none of them may scan a
# guest's megabytes of stderr, or backtrack over a line of a million spaces.
_PANIC_LINE = re.compile(r"(?:thread \d{1,20} )?panic: (?P<msg>.+)")
"""Zig's default panic handler (`panic: msg`, `thread N panic: msg` with threads), and Go's."""
_GO_FATAL = re.compile(r"(?P<kind>panic|fatal error): (?P<msg>.+?)(?: \[recovered\])?")
_UBSAN_REPORT = re.compile(r"(?P<loc>[^\s:]\S{0,1000}:\d{1,10}:\d{1,10}): runtime error: (?P<msg>.+)")
"""clang's full UBSan runtime: `file.c:13:18: runtime error: division by zero`."""
_UBSAN_MINIMAL = re.compile(r"ubsan: (?P<msg>.+)")
"""clang's minimal UBSan runtime: `ubsan: divrem-overflow by 0x...`."""
TAIL_CHARS = 1 << 18
"""Only this much of the end of stderr is read for a runtime's report: it is the last thing printed."""
MAX_LINE_CHARS = 2000
"""A stderr line is cut to this before it is matched."""

_ZIG_PANIC = ("debug.defaultPanic", "debug.FullPanic", "debug.panicExtra", "debug.panic", "builtin.default_panic")
_UBSAN = ("ubsan_rt.", "__ubsan_handle_", "__ubsan::")
_GO_ABORTING = ("runtime.fatalpanic", "runtime.fatalthrow", "runtime.throw", "runtime.gopanic")
"""Go's functions that end in `runtime.abort` under GOTRACEBACK=crash (a panic, a fatal error)."""
_SAFETY_CHECK = re.compile(r"^debug\.FullPanic\(.*\)\.(?P<check>\w+)$")
"""Zig names each safety check's panic function: `debug.FullPanic((function 'defaultPanic')).outOfBounds`."""


def _flat(stack: Sequence[StackFrame]) -> list[SourceFrame]:
    return [source for frame in stack for source in frame.sources]


def _names(stack: Sequence[StackFrame]) -> list[str]:
    return [function_name(source) for source in _flat(stack)]


def _last_handler_frame(flat: Sequence[SourceFrame], handler: tuple[str, ...]) -> int | None:
    """The index of the outermost frame of `handler` (a panic handler's functions), None without one."""
    return max((i for i, s in enumerate(flat) if function_name(s).startswith(handler)), default=None)


def _machinery(stack: Sequence[StackFrame], handler: tuple[str, ...] = ()) -> list[str]:
    """The names of the runtime frames inside the user's frame (else up to the `handler`'s caller), innermost first."""
    found = user_frame(stack)
    flat = _flat(stack)
    if found is not None:
        end = flat.index(found.frame)
    else:
        last = _last_handler_frame(flat, handler)
        end = len(flat) if last is None else last + 1
    return [function_name(s) for s in flat[:end] if is_runtime_frame(s)]


def _user_sentence(stack: Sequence[StackFrame]) -> str:
    """` in <user frame>, called from <its caller>`, or "" when every frame is the runtime's."""
    found = user_frame(stack)
    if found is None:
        return ""
    flat = _flat(stack)
    at = flat.index(found.frame)
    caller = next((s for s in flat[at + 1 :] if not is_runtime_frame(s)), None)
    text = f" in {where(found.frame)}"
    return text + (f", called from {where(caller)}" if caller is not None else "")


def _past_the_handler(stack: Sequence[StackFrame], handler: tuple[str, ...]) -> str:
    """` in <the frame that called the handler>`, for a stack whose user frame has no line of its own.

    Optimized Zig (ReleaseSafe) can place an inlined user function at its caller's file in std
    without a line: the rule then finds no user frame, yet the frame past the panic handler is it.
    """
    flat = _flat(stack)
    last = _last_handler_frame(flat, handler)
    if last is None or last + 1 >= len(flat):
        return ""
    frame = flat[last + 1]
    return f" in {function_name(frame)}" + ("" if frame.line else " (the debug info gives it no line of its own)")


def _span(names: Sequence[str]) -> str:
    if not names:
        return ""
    return f" ({names[-1]} … {names[0]}, {len(names)} frames)" if len(names) > 1 else f" ({names[0]})"


def _tail(stderr: str) -> str:
    return stderr[-TAIL_CHARS:]


def _last(pattern: re.Pattern[str], stderr: str) -> re.Match[str] | None:
    """The last line of stderr's tail that `pattern` matches whole (stripped, cut at MAX_LINE_CHARS)."""
    found = None
    for line in _tail(stderr).splitlines():
        match = pattern.fullmatch(line.strip()[:MAX_LINE_CHARS])
        if match is not None:
            found = match
    return found


def explain_zig_panic(stack: Sequence[StackFrame], stderr: str) -> list[str]:
    """Sentences for a trap at the end of Zig's panic handler, or [] when the stack holds none."""
    names = _names(stack)
    if not any(n.startswith(_ZIG_PANIC) for n in names) or any(n.startswith(_UBSAN) for n in names):
        return []
    message = _last(_PANIC_LINE, stderr)
    sentence = "The program panicked"
    if message is not None:
        sentence += f" with {quote(message['msg'])}"
    sentences = [sentence + (_user_sentence(stack) or _past_the_handler(stack, _ZIG_PANIC)) + "."]
    check = next((m["check"] for n in names if (m := _SAFETY_CHECK.match(n)) is not None), None)
    machinery = _machinery(stack, _ZIG_PANIC)
    what = f"Zig's safety check `{printable(check)}` called the panic handler" if check else "Zig's panic handler ran"
    sentences.append(f"{what}; the frames above it{_span(machinery)} are Zig's standard library, which ends the run with an `unreachable` trap.")
    if message is None:
        sentences.append("No `panic:` line was found on stderr.")
    return sentences


def explain_sanitizer(stack: Sequence[StackFrame], stderr: str) -> list[str]:
    """Sentences for a trap at the end of an undefined-behaviour sanitizer's report, or [] when the stack holds none."""
    names = _names(stack)
    if not any(n.startswith(_UBSAN) for n in names):
        return []
    full = _last(_UBSAN_REPORT, stderr)
    message = full["msg"] if full else None
    if message is None:
        found = _last(_UBSAN_MINIMAL, stderr) or _last(_PANIC_LINE, stderr)
        message = found["msg"] if found else None
    sentence = "The undefined-behaviour sanitizer stopped the program"
    if message is not None:
        sentence += f", reporting {quote(message)}"
    if full is not None:
        sentence += f" at {printable(full['loc'])}"
    sentences = [sentence + _user_sentence(stack) + "."]
    machinery = _machinery(stack)
    runtime = "Zig's ubsan_rt" if any(n.startswith("ubsan_rt.") for n in names) else "its runtime"
    sentences.append(
        f"The check is compiled into the program (`zig cc` turns it on below -O2, clang with -fsanitize=undefined); "
        f"{runtime}{_span(machinery)} reported it and ended the run with an `unreachable` trap."
    )
    if message is None:
        sentences.append("No sanitizer report was found on stderr.")
    return sentences


_ZIG_ERROR = re.compile(r"error: (?P<name>[A-Za-z_][A-Za-z0-9_]{0,200})")
"""What Zig's start code prints when main returns an error (std/start.zig `callMain`)."""
_ZIG_START = frozenset({"start.startWasi", "start.callMain", "start.wasi_start"})
_NO_TRACE = "Cannot print stack trace"


def _is_zig_module(module: WasmModule) -> bool:
    names = module.names.functions if module.names else {}
    return any(name in _ZIG_START for name in names.values())


def explain_zig_error_exit(code: int | None, stderr: str, module: WasmModule) -> list[str]:
    """Sentences for a Zig program whose main returned an error (exit code 1, `error: Name` on stderr), or []."""
    if code != 1 or not _is_zig_module(module):
        return []
    found = _last(_ZIG_ERROR, stderr)
    if found is None:
        return []
    name = printable(found["name"])
    sentences = [f'The program\'s main returned `error.{name}`: Zig printed "error: {name}" and exited with code 1.']
    if _NO_TRACE in _tail(stderr):
        sentences.append(
            "Zig cannot print the error's return trace on wasm, and returning an error is not a trap, so the run "
            "has no frames: a breakpoint on the function that returns it (--break FUNCTION) stops there."
        )
    return sentences


# -- Go ------------------------------------------------------------------------------------------


def _go_traceback(stderr: str) -> tuple[str | None, str | None, list[RawFrame]]:
    """The last `panic:` / `fatal error:` line on stderr (kind, message), and the first goroutine Go printed after one (its frames)."""
    first = go_format.failing_goroutine(split_lines(_tail(stderr)))
    found = _last(_GO_FATAL, stderr)
    kind, message = (found["kind"], found["msg"]) if found else (None, None)
    return kind, message, list(first.frames) if first is not None else []


def _go_user_frames(frames: Sequence[RawFrame]) -> list[RawFrame]:
    return [f for f in frames if f.func_name and not is_go_std_name(f.func_name) and not _go_std_file(f.file)]


def _go_std_file(file: str | None) -> bool:
    return bool(file) and is_runtime_frame(SourceFrame("?", file=file))


def _go_where(frame: RawFrame) -> str:
    place = f"{printable(frame.file)}:{frame.line}" if frame.file else None
    name = printable(frame.func_name or "?")
    return f"{name} ({place})" if place else name


def _go_what(kind: str | None, message: str | None, user: Sequence[RawFrame]) -> str:
    fatal = kind == "fatal error"
    sentence = "The program hit a fatal error" if fatal else "The program panicked"
    if message is not None:
        sentence = f"The program hit the fatal error {quote(message)}" if fatal else f"{sentence} with {quote(message)}"
    if user:
        sentence += f" in {_go_where(user[0])}"
        if len(user) > 1:
            sentence += f", called from {_go_where(user[1])}"
    return sentence


def explain_go_exit(code: int | None, stderr: str, module: WasmModule) -> list[str]:
    """Sentences for a Go program that exited after printing a panic's traceback, or [] when stderr has none."""
    if not is_go_module(module):  # a C program may print `panic:` and an indented trace of its own
        return []
    kind, message, frames = _go_traceback(stderr)
    if not frames or kind is None:
        return []
    user = _go_user_frames(frames)
    sentences = [_go_what(kind, message, user) + f"; Go's runtime printed the goroutine's traceback and exited with code {code}."]
    functions = GoFunctions(module)
    missing = [f for f in frames if not f.inlined and functions.index(f.func_name or "") is None]
    if missing:
        sentences.append(
            f"This module has no function {printable(missing[0].func_name or '?')}, which the traceback names: "
            "the output may come from another build."
        )
    else:
        sentences.append("Every function the traceback names is in this module (Go emits no DWARF for wasm: the lines are Go's own).")
    return sentences


def explain_go_abort(stack: Sequence[StackFrame], stderr: str) -> list[str]:
    """Sentences for a trap in Go's `runtime.abort` (GOTRACEBACK=crash, or a fatal error), or [] when it is not one."""
    names = _names(stack)
    if not names or names[0] != "runtime.abort" or not any(n.startswith(_GO_ABORTING) for n in names):
        return []
    kind, message, frames = _go_traceback(stderr)
    user = _go_user_frames(frames)
    if user:
        sentence = _go_what(kind, message, user)
    else:  # no traceback on stderr: the wasm frames are all there is
        sentence = _go_what(kind, message, []) + _user_sentence(stack)
    sentences = [sentence + "."]
    machinery = _machinery(stack)
    sentences.append(
        f"Go's runtime{_span(machinery)} printed its traceback and, as GOTRACEBACK=crash (or higher) asks, ended the "
        "run with an `unreachable` trap rather than exit code 2."
    )
    if user:
        sentences.append(_agreement(stack, user))
    return sentences


def _agreement(stack: Sequence[StackFrame], frames: Sequence[RawFrame]) -> str:
    """Whether the user's functions in Go's traceback are on the wasm stack, in the same order.

    Only the user's: a goroutine runs on a stack of Go's own, so the runtime's frames around it
    (`runtime.goexit` at the bottom) are not the wasm stack's (`wasm_pc_f_loop` is).
    """
    wasm = [go_format.name_section_spelling(s.function or "") for s in _flat(stack)]
    spelled = [go_format.name_section_spelling(f.func_name or "") for f in frames if not f.inlined]
    at = 0
    for name in spelled:
        try:
            at = wasm.index(name, at) + 1
        except ValueError:
            return (
                f"Go's traceback names {printable(name)}, which is not on the wasm stack in that order: "
                "the traceback may be another goroutine's or another build's."
            )
    return "Go's traceback agrees with the wasm frames; the file and line are Go's own (Go emits no DWARF for wasm)."


# -- AssemblyScript ------------------------------------------------------------------------------


def explain_abort_call(abort: AbortCall, stack: Sequence[StackFrame]) -> list[str]:
    """Sentences for a run that called AssemblyScript's `abort(message, file, line, column)` import."""
    sentence = "The program aborted"
    if abort.message is not None:
        sentence += f" with {quote(abort.message)}"
    if abort.file is not None:
        sentence += f" at {printable(abort.file)}:{abort.line}:{abort.column}"
    inner = stack[0].sources[0] if stack else None
    found = user_frame(stack)
    if inner is not None:  # by name: its place is the abort's (the session put it on the frame)
        sentence += f" in {function_name(inner)}"
        if is_runtime_frame(inner) and found is not None and found.frame is not inner:
            sentence += f", called from {where(found.frame)}"  # a check in AssemblyScript's ~lib
    return [
        sentence + ".",
        "AssemblyScript's `assert` and `abort` call the host's `env.abort` with the message and the source position, "
        "which wasmdbg reads from the guest's memory; the `unreachable` after every such call ends the run "
        "(AssemblyScript's own loader throws instead).",
    ]

"""`explain`: one paragraph of plain text saying how a run ended, built only from facts the run and the module give.

`explain` reads the agent's `Finished` event, the symbolized stack, the module's own sections
(globals, data and element segments, types, the faulting instruction) and the guest's stderr. It
never guesses: where a fact is missing (the slot a `call_indirect` used, the true depth of a
truncated stack) the paragraph says what is known instead. Every name and every quoted line comes
from an untrusted module or guest, so all of it passes through `printable` before it is joined in.
The sentences for each family of outcomes live in their own module; this one only dispatches.
"""

from __future__ import annotations

from collections.abc import Sequence

from wasmdbg.explanation.indirect import INDIRECT_TRAPS, explain_indirect
from wasmdbg.explanation.languages import (
    explain_abort_call,
    explain_go_abort,
    explain_go_exit,
    explain_sanitizer,
    explain_zig_error_exit,
    explain_zig_panic,
)
from wasmdbg.explanation.memory import explain_memory_cap, explain_memory_fault
from wasmdbg.explanation.names import innermost, quote
from wasmdbg.explanation.panics import explain_abort, explain_panic, is_abort
from wasmdbg.explanation.stops import (
    explain_breakpoint,
    explain_exit,
    explain_out_of_fuel,
    explain_return,
    explain_stack_overflow,
    explain_stop,
)
from wasmdbg.runner.limits import RunLimits
from wasmdbg.runner.protocol import BREAKPOINT, ENGINE_CRASHED, EXITED, INTERRUPTED, RETURNED, TIMEOUT, TRAPPED, Finished
from wasmdbg.symbols.stack import StackFrame
from wasmdbg.text import printable
from wasmdbg.wasm.module import WasmModule

_ARITHMETIC = {
    "integer_division_by_zero": "divided an integer by zero",
    "integer_overflow": "overflowed a signed integer division (the minimum value divided by -1)",
    "bad_conversion_to_integer": "converted a float to an integer that cannot hold it (NaN or out of range)",
}


def explain(
    finished: Finished,
    stack: Sequence[StackFrame],
    module: WasmModule,
    *,
    stderr: str,
    limits: RunLimits,
) -> str:
    """How a run ended, as one paragraph of plain, printable text.

    Args:
        finished: the agent's `Finished` event: the outcome and the run's final figures
            (`peak_pages`, `page_bytes`, `fuel_consumed`, `duration_s`).
        stack: `finished.outcome.frames` symbolized (`symbolize_stack`), innermost first.
        module: the module that ran.
        stderr: everything the guest wrote to stderr, decoded.
        limits: the limits the run had.

    Returns:
        Sentences joined by spaces; every name and quote in them has been made printable.
    """
    outcome = finished.outcome
    kind = outcome.outcome
    sentences: list[str]
    if kind == TRAPPED:
        sentences = _trap(finished, stack, module, stderr, limits)
    elif kind == EXITED:
        code = outcome.exit_code
        sentences = (
            (code and (explain_go_exit(code, stderr, module) or explain_zig_error_exit(code, stderr, module)))
            or explain_exit(outcome, stderr)
        )  # fmt: skip
    elif kind == RETURNED:
        sentences = explain_return(outcome)
    elif kind in (TIMEOUT, INTERRUPTED):
        sentences = explain_stop(finished, stack, limits)
    elif kind == BREAKPOINT:
        sentences = explain_breakpoint(stack, outcome.message)  # a breakpoint outcome's message: the step
    elif kind == ENGINE_CRASHED:
        sentences = [f"The engine process died before the run ended: {quote(outcome.message)}."]
    else:
        sentences = [f"The module could not be run: {quote(outcome.message)}."]
    cap = explain_memory_cap(finished, module, limits)
    if cap:
        sentences.append(cap)
    return " ".join(s for s in sentences if s)


def _trap(
    finished: Finished, stack: Sequence[StackFrame], module: WasmModule, stderr: str, limits: RunLimits
) -> list[str]:
    outcome = finished.outcome
    kind = outcome.trap_kind or ""
    if kind == "memory_out_of_bounds" or outcome.fault_address is not None:
        return explain_memory_fault(outcome, stack, module)
    if kind == "out_of_fuel":
        return explain_out_of_fuel(finished, stack, limits)
    if kind == "stack_overflow":
        return explain_stack_overflow(outcome, stack)
    if kind in INDIRECT_TRAPS:
        return explain_indirect(kind, stack, module)
    where = innermost(stack)
    if kind in _ARITHMETIC:
        return [f"The program {_ARITHMETIC[kind]}{where}; WebAssembly traps on that."]
    if outcome.abort is not None:
        return explain_abort_call(outcome.abort, stack)
    for language in (explain_sanitizer, explain_zig_panic, explain_go_abort, explain_panic):
        sentences = language(stack, stderr)
        if sentences:
            return sentences
    if kind == "unreachable" and is_abort(stack):
        return explain_abort(stack, stderr)
    if kind == "unreachable":
        return [f"The program executed an `unreachable` instruction{where}."]
    return [f"The program trapped ({printable(kind or 'unknown kind')}: {quote(outcome.message)}){where}."]

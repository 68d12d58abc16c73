"""Runs that stopped rather than failed at an instruction: exit, return, timeout, interrupt, fuel, stack overflow."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from wasmdbg.explanation.names import function_name, last_line, location, quote, where, where_physical
from wasmdbg.runner.limits import RunLimits
from wasmdbg.runner.protocol import TIMEOUT, Finished, Outcome
from wasmdbg.symbols.runtime import user_frame
from wasmdbg.symbols.stack import StackFrame
from wasmdbg.text import printable


def explain_exit(outcome: Outcome, stderr: str) -> list[str]:
    """Sentences for a WASI exit: the code and, unless it is 0, the last line on stderr."""
    code = outcome.exit_code
    if code == 0:
        return ["The program exited with code 0 (success)."]
    sentences = [f"The program exited with code {printable(str(code))}."]
    last = last_line(stderr)
    if last:
        sentences.append(f"Its last line on stderr was {quote(last)}.")
    return sentences


def explain_return(outcome: Outcome) -> list[str]:
    """The sentence for an `--invoke` that returned, with its results."""
    results = outcome.results or ()
    shown = ", ".join(printable(repr(r)) for r in results)
    return [f"The program returned normally{f' with {shown}' if results else ''}."]


STEP_WORDS = {"into": "to the next line, into calls", "over": "to the next line", "out": "out of the function"}
"""How a stop's explanation names the step that ended there (the runner's STEP_MODES)."""


def explain_breakpoint(stack: Sequence[StackFrame], step: str | None = None) -> list[str]:
    """The sentence for a run held at a breakpoint (and ended there, headless), or after `step`."""
    where = f" in {where_physical(stack[0])}" if stack else ""
    how = f"after a step ({STEP_WORDS[step]})" if step in STEP_WORDS else "at a breakpoint"
    return [f"The program stopped {how}{where}, before that instruction ran."]


def explain_stop(finished: Finished, stack: Sequence[StackFrame], limits: RunLimits) -> list[str]:
    """The sentence for a timeout or an interrupt: after how long, and where the guest was."""
    timed_out = finished.outcome.outcome == TIMEOUT
    seconds = limits.timeout_s if timed_out and limits.timeout_s else finished.duration_s
    when = f" after {seconds:.3g} s" if seconds is not None else ""
    what = "hit its time limit and was stopped" if timed_out else "was interrupted"
    return [f"The program {what}{when}{running(stack)}."]


def explain_out_of_fuel(finished: Finished, stack: Sequence[StackFrame], limits: RunLimits) -> list[str]:
    """The sentence for a run that used all its fuel, and where it was."""
    fuel = limits.fuel if limits.fuel is not None else finished.fuel_consumed
    budget = f" of {fuel:,}" if fuel is not None else ""
    return [f"The program used all{budget} fuel{running(stack)}."]


def running(stack: Sequence[StackFrame]) -> str:
    """` while running <innermost frame>[, called from <user frame>]`; "" without frames."""
    if not stack:
        return ""
    text = f" while running {where_physical(stack[0])}"
    user = user_frame(stack)
    if user is not None and (user.frame_index, user.source_index) != (0, 0):
        text += f", called from {where(user.frame)}"
    return text


def explain_stack_overflow(outcome: Outcome, stack: Sequence[StackFrame]) -> list[str]:
    """The sentence for an exhausted call stack: the function that repeats, and how deep the trace goes."""
    if not stack:
        return ["The call stack was exhausted (stack overflow); wasmtime reported no frames."]
    counts = Counter(function_name(frame.function) for frame in stack)
    repeating = [(name, n) for name, n in counts.most_common(3) if n > 1]
    depth = f"{len(stack)} frames"
    if outcome.frames_truncated:
        depth = f"the {len(stack)} frames wasmtime reports (it stops there; the real depth is larger)"
    if not repeating:
        return [f"The call stack was exhausted (stack overflow) in {where_physical(stack[0])}; no function repeats in {depth}."]
    name, n = repeating[0]
    lines = Counter(
        shown for f in stack if function_name(f.function) == name and (shown := location(f.function)) is not None
    )
    at = f" at {lines.most_common(1)[0][0]}" if lines else ""
    sentence = f"The call stack was exhausted (stack overflow): {name}{at} is {n} of {depth}"
    others = [f"{other} ({m})" for other, m in repeating[1:]]
    if others:
        sentence += f", together with {', '.join(others)}"
    return [sentence + ", so the recursion through it did not end."]

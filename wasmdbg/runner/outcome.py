"""How a call into the guest ended, read from what wasmtime raised: exit, trap, interrupt or error."""

from __future__ import annotations

import re

import wasmtime

from wasmdbg.facts import WASMTIME_FRAME_LIMIT
from wasmdbg.facts import WASMTIME_UNKNOWN_OFFSET as UNKNOWN_OFFSET
from wasmdbg.runner.epoch import INTERRUPT_PREFIX, error_frames
from wasmdbg.runner.protocol import ERROR, EXITED, INTERRUPTED, TIMEOUT, TRAPPED, GuestFrame, Outcome

_MEMORY_FAULT = re.compile(
    r"memory fault at wasm address 0x(?P<address>[0-9a-fA-F]{1,16}) in linear memory of size 0x(?P<size>[0-9a-fA-F]{1,16})"
)
_TIMEOUT_REASON = "timeout"


def guest_frames(error: BaseException) -> tuple[GuestFrame, ...]:
    """The frames an exception from a guest call carries (an unknown offset as None)."""
    frames = []
    for frame in error_frames(error):
        offset = frame.module_offset
        frames.append(
            GuestFrame(frame.func_index, None if offset == UNKNOWN_OFFSET else offset, frame.func_name)
        )
    return tuple(frames)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    last = lines[-1]
    return re.sub(r"^\d+:\s+", "", last)


def classify(error: BaseException) -> Outcome:
    """The outcome an exception from a guest call stands for."""
    if isinstance(error, wasmtime.ExitTrap):
        return Outcome(EXITED, exit_code=error.code)
    text = str(error)
    frames = guest_frames(error)
    truncated = len(frames) >= WASMTIME_FRAME_LIMIT
    if INTERRUPT_PREFIX in text:
        reason = text.split(INTERRUPT_PREFIX, 1)[1].splitlines()[0].strip()
        kind = TIMEOUT if reason.startswith(_TIMEOUT_REASON) else INTERRUPTED
        return Outcome(kind, message=reason, frames=frames, frames_truncated=truncated)
    if isinstance(error, wasmtime.Trap):
        code = error.trap_code
        fault = _MEMORY_FAULT.search(text)
        return Outcome(
            TRAPPED,
            trap_kind=code.name.lower() if code is not None else None,
            message=_last_line(text).removeprefix("wasm trap: "),
            fault_address=int(fault["address"], 16) if fault else None,
            memory_size=int(fault["size"], 16) if fault else None,
            frames=frames,
            frames_truncated=truncated,
        )
    return Outcome(ERROR, message=_last_line(text) or type(error).__name__, frames=frames, frames_truncated=truncated)

"""The typed run protocol between the debugger and its agent: every request, event and reply.

Both sides of the pipe use these records; the wire format is one JSON object per line with a
`type` key. Requests carry an `id`; the agent answers a request that asks for data with a reply
whose `reply_to` is that id, so a reply is matched to its request however many samples and
output chunks arrive in between (LSP, DAP and gdb/MI work the same way). Events (`Started`,
`Sample`, `Output`, `Finished`) carry no id.

This module is plain data: it imports no wasmtime, so the parent can speak the protocol without
loading the engine.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, TypeAlias

from wasmdbg.errors import WasmdbgError
from wasmdbg.runner.grants import DirGrant
from wasmdbg.runner.limits import RunLimits

# -- outcome kinds ------------------------------------------------------------------------------

EXITED, RETURNED, TRAPPED, TIMEOUT, INTERRUPTED, ENGINE_CRASHED, ERROR = (
    "exited", "returned", "trapped", "timeout", "interrupted", "engine_crashed", "error",
)  # fmt: skip
BREAKPOINT = "breakpoint"
"""Not an outcome the agent sends: a headless run that stopped at a breakpoint and was ended there."""
OUTCOMES = (EXITED, RETURNED, TRAPPED, TIMEOUT, INTERRUPTED, ENGINE_CRASHED, ERROR, BREAKPOINT)

OUTPUT_LIMIT = 1 << 20
"""Bytes of each of the guest's output streams the agent forwards; the rest is counted (`Finished.*_dropped`)."""

# Why a run could not start (Outcome.error_kind): each gets its own hint from the front end.
NO_START, NO_EXPORT, ARITY, BAD_ARGUMENT, MISSING_IMPORT, COMPILE, AGENT_FAILURE = (
    "no_start", "no_export", "arity", "bad_argument", "missing_import", "compile", "agent_failure",
)  # fmt: skip

STDOUT, STDERR = "stdout", "stderr"


class ProtocolError(WasmdbgError):
    """A line on the pipe that is not a message of this protocol."""


# -- shared records -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GuestFrame:
    """One frame of the guest's stack as wasmtime reports it, innermost first."""

    func_index: int
    module_offset: int | None
    """Module offset of the frame's instruction; None where wasmtime reports its unknown-offset sentinel."""
    func_name: str | None
    """The name wasmtime gives the function (from the name section), if any."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a call into the guest ended, as classified on the engine's side."""

    outcome: str
    """One of OUTCOMES: "exited", "returned", "trapped", "timeout", "interrupted", "engine_crashed", "error"."""
    exit_code: int | None = None
    results: tuple[int | float | str | None, ...] | None = None
    """What a returned `--invoke` gave back (non-numbers as their repr)."""
    trap_kind: str | None = None
    """The lowercased wasmtime TrapCode name: `integer_division_by_zero`, `out_of_fuel`, ..."""
    message: str | None = None
    fault_address: int | None = None
    memory_size: int | None = None
    frames: tuple[GuestFrame, ...] = ()
    frames_truncated: bool = False
    """True when the trace is as long as wasmtime's frame limit, so outer frames may be missing."""
    error_kind: str | None = None
    """For outcome "error": why the run could not start (NO_START, NO_EXPORT, ARITY, ...), else None."""
    abort: AbortCall | None = None
    """For a trap the guest asked for through AssemblyScript's `env.abort` import: what it passed."""


@dataclass(frozen=True, slots=True)
class AbortCall:
    """What a guest passed to AssemblyScript's `abort(message, fileName, lineNumber, columnNumber)` import.

    The strings are read from the guest's memory (AssemblyScript's UTF-16 strings, their byte length
    in the object header before them); None where the pointer was null or the string unreadable.
    """

    message: str | None
    file: str | None
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class GlobalValue:
    """An exported global's value after the run."""

    name: str
    type: str
    value: int | float | str | None


# -- requests (debugger -> agent) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Start:
    """Compile, instantiate and run the module once."""

    TYPE: ClassVar[str] = "start"
    module: str
    """Absolute path of the module (binary or text format)."""
    argv: tuple[str, ...]
    output_dir: str
    """A private directory the parent made and removes: the agent puts the guest's output files there."""
    env: tuple[tuple[str, str], ...] = ()
    dirs: tuple[DirGrant, ...] = ()
    stdin: str | None = None
    """A file for the guest's stdin (`/dev/fd/N` for a descriptor the parent passed); None: empty."""
    limits: RunLimits = field(default_factory=RunLimits)
    invoke: str | None = None
    invoke_args: tuple[str, ...] = ()
    unknown_imports_trap: bool = False
    tick_s: float = 0.01
    meter_fuel: bool = False
    """Meter fuel even without a fuel limit (the app shows it live); a `limits.fuel` budget always meters.
    Metering costs guest time and compile time, so a plain run leaves it off, as the wasmtime CLI does."""
    compile_cache: bool = True
    """Use wasmtime's compile cache in wasmdbg's cache directory (`runner.cache`)."""
    breakpoints: tuple[int, ...] = ()
    """Module offsets of instructions to stop before: the agent runs an instrumented copy (`wasmdbg.instrument`)."""
    call_sites: tuple[int, ...] = ()
    """Module offsets of call instructions whose callers' locals are kept, so a stop shows outer frames' variables."""
    live_points: tuple[int, ...] = ()
    """Offsets probed behind guards (`instrument(guarded=True)`), so `SetBreakpoints` can stop at them while the guest runs."""
    id: int = 0


@dataclass(frozen=True, slots=True)
class Pause:
    """Hold the guest at its next epoch check."""

    TYPE: ClassVar[str] = "pause"
    id: int = 0


@dataclass(frozen=True, slots=True)
class Resume:
    """Let a paused guest go on."""

    TYPE: ClassVar[str] = "resume"
    id: int = 0


@dataclass(frozen=True, slots=True)
class Interrupt:
    """End the guest's call at its next epoch check; the outcome says where it was."""

    TYPE: ClassVar[str] = "interrupt"
    reason: str = "interrupted by the user"
    id: int = 0


@dataclass(frozen=True, slots=True)
class SetBreakpoints:
    """Stop at these offsets from now on (those among `Start.live_points`; the others are ignored)."""

    TYPE: ClassVar[str] = "set_breakpoints"
    offsets: tuple[int, ...] = ()
    id: int = 0


STEP_MODES = ("into", "over", "out")
"""`Step` modes: to the next line anywhere, the next in this frame or a caller, the next in a caller."""


@dataclass(frozen=True, slots=True)
class Step:
    """From a stop, run to the next line (of the user's code, as probed behind guards) by `mode`.

    `depth` is the stop's frame count, which `over` and `out` compare each later line's with.
    """

    TYPE: ClassVar[str] = "step"
    mode: str = "over"
    depth: int = 0
    id: int = 0


@dataclass(frozen=True, slots=True)
class Continue:
    """Let a guest stopped at a breakpoint go on (to the next hit or the end)."""

    TYPE: ClassVar[str] = "continue"
    id: int = 0


@dataclass(frozen=True, slots=True)
class ReadMemory:
    """Bytes of an exported linear memory: while paused or running (read at an epoch check) or after the run."""

    TYPE: ClassVar[str] = "read_memory"
    address: int
    length: int
    memory: int = 0
    id: int = 0


@dataclass(frozen=True, slots=True)
class MemorySize:
    """The size in bytes of an exported linear memory."""

    TYPE: ClassVar[str] = "memory_size"
    memory: int = 0
    id: int = 0


@dataclass(frozen=True, slots=True)
class ReadGlobals:
    """The exported globals' values, after the run."""

    TYPE: ClassVar[str] = "globals"
    id: int = 0


@dataclass(frozen=True, slots=True)
class Quit:
    """End the agent."""

    TYPE: ClassVar[str] = "quit"
    id: int = 0


Request: TypeAlias = (
    Start | Pause | Resume | Continue | SetBreakpoints | Step | Interrupt | ReadMemory | MemorySize | ReadGlobals | Quit
)

# -- events (agent -> debugger) -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Started:
    """The module compiled; guest code (start functions, then `_start` or the invoke) runs from now on."""

    TYPE: ClassVar[str] = "started"


@dataclass(frozen=True, slots=True)
class Sample:
    """What the guest used at one epoch tick while it ran."""

    TYPE: ClassVar[str] = "sample"
    t_s: float
    """Seconds since the guest started."""
    memory_pages: tuple[int, ...]
    """Pages of each exported memory, in export order (empty before instantiation finished)."""
    fuel_consumed: int | None
    """A lower bound while running: compiled code writes fuel back only at calls; None when fuel is not metered."""
    fuel_stale_s: float = 0.0
    """Seconds the fuel figure has not changed while the guest ran: long in a loop without calls (0 unmetered)."""
    page_bytes: tuple[int, ...] = ()
    """Bytes per page of each memory (custom page sizes exist)."""


@dataclass(frozen=True, slots=True)
class Output:
    """Bytes the guest wrote to stdout or stderr, exactly as written."""

    TYPE: ClassVar[str] = "output"
    stream: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Finished:
    """The run's outcome and the final, exact figures. Always the last event of a run."""

    TYPE: ClassVar[str] = "finished"
    outcome: Outcome
    fuel_consumed: int | None = None
    fuel_exact: bool = True
    """False when the figure is a lower bound: an interrupt (or timeout) ends the call before compiled
    code writes its fuel counter back, and a run ended by the parent has only its last sample; also
    False when fuel was not metered (there is no figure)."""
    fuel_metered: bool | None = None
    """Whether fuel was metered; None when the run never got that far (a module that did not compile)."""
    cpu_time_s: float | None = None
    """CPU seconds the guest's thread used from instantiation to the end of the call (compilation
    excluded); None when the guest never ran or the parent had to end the agent."""
    memory_pages: tuple[int, ...] = ()
    peak_pages: tuple[int, ...] = ()
    page_bytes: tuple[int, ...] = ()
    duration_s: float | None = None
    stdout_dropped: int = 0
    stderr_dropped: int = 0
    signal: int | None = None
    """For engine_crashed: the signal that killed the agent, if one did."""
    ended_by_parent: bool = False
    """True when the debugger had to end the agent itself (the guest was stuck outside wasm code)."""


Local: TypeAlias = int | float | None
"""A wasm local's value as captured at a stop (None: its type is not captured, v128 or a reference)."""


@dataclass(frozen=True, slots=True)
class Stopped:
    """The guest is held before an instruction with a breakpoint; it waits for Continue (or Interrupt).

    Memory reads are served while it is held. Offsets and function indices are the original
    module's: the agent maps the instrumented module's back before sending.
    """

    TYPE: ClassVar[str] = "stopped"
    offset: int
    """Module offset of the breakpoint's instruction (not yet executed)."""
    hit: int
    """How many times this offset has been reached, this one included."""
    frames: tuple[GuestFrame, ...]
    frame_locals: tuple[tuple[Local, ...] | None, ...]
    """Per frame, the wasm locals (parameters first) by index; None where they were not captured."""
    frames_truncated: bool = False
    global_values: tuple[Local, ...] = ()
    """Every global of the module by index (numeric ones; None for the others)."""
    memory_pages: tuple[int, ...] = ()
    step: str | None = None
    """The step (STEP_MODES) that ended here, or None for a breakpoint (`hit` is then 0 unless one is here too)."""


Event: TypeAlias = Started | Sample | Output | Stopped | Finished

# -- replies (agent -> debugger, matched by reply_to) -------------------------------------------


@dataclass(frozen=True, slots=True)
class MemoryBytes:
    """Reply to ReadMemory: the bytes that exist from `address` on (fewer past the end)."""

    TYPE: ClassVar[str] = "memory"
    reply_to: int
    memory: int
    address: int
    data: bytes


@dataclass(frozen=True, slots=True)
class MemorySizeReply:
    """Reply to MemorySize."""

    TYPE: ClassVar[str] = "memory_size_reply"
    reply_to: int
    memory: int
    size_bytes: int


@dataclass(frozen=True, slots=True)
class Globals:
    """Reply to ReadGlobals."""

    TYPE: ClassVar[str] = "globals_reply"
    reply_to: int
    globals: tuple[GlobalValue, ...]


@dataclass(frozen=True, slots=True)
class Refused:
    """Reply to a request that cannot be served now, saying why (no such memory, no run yet, ...)."""

    TYPE: ClassVar[str] = "refused"
    reply_to: int
    message: str


Reply: TypeAlias = MemoryBytes | MemorySizeReply | Globals | Refused
Message: TypeAlias = Request | Event | Reply

# -- the wire format ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A value as JSON: records as objects, tuples as lists, bytes as base64."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


def encode(message: Message) -> bytes:
    """One line of the wire format, newline included."""
    body = {f.name: _plain(getattr(message, f.name)) for f in fields(message)}
    return (json.dumps({"type": message.TYPE, **body}, separators=(",", ":")) + "\n").encode()


def _tuple(convert: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, ...]]:
    return lambda items: tuple(convert(item) for item in items)


def _ints(items: Any) -> tuple[int, ...]:
    return tuple(int(i) for i in items)


def _frame(data: Any) -> GuestFrame:
    return GuestFrame(int(data["func_index"]), data["module_offset"], data["func_name"])


def _outcome(data: Mapping[str, Any]) -> Outcome:
    values = dict(data)
    values["frames"] = tuple(_frame(f) for f in values.get("frames", ()))
    if values.get("abort") is not None:
        values["abort"] = AbortCall(**values["abort"])
    if values.get("results") is not None:
        values["results"] = tuple(values["results"])
    return Outcome(**values)


def _limits(data: Mapping[str, Any]) -> RunLimits:
    return RunLimits(**data)


def _grant(data: Mapping[str, Any]) -> DirGrant:
    return DirGrant(str(data["host"]), str(data["guest"]), bool(data["writable"]))


def _bytes(text: Any) -> bytes:
    return base64.b64decode(str(text), validate=True)


_TYPES: dict[str, type[Any]] = {
    cls.TYPE: cls
    for cls in (
        Start, Pause, Resume, Continue, SetBreakpoints, Step, Interrupt, ReadMemory, MemorySize, ReadGlobals, Quit, Started,
        Sample,
        Output, Stopped, Finished, MemoryBytes, MemorySizeReply, Globals, Refused,
    )
}  # fmt: skip
_CONVERT: dict[str, Callable[[Any], Any]] = {
    "outcome": _outcome,
    "limits": _limits,
    "dirs": _tuple(_grant),
    "env": _tuple(lambda pair: (str(pair[0]), str(pair[1]))),
    "argv": _tuple(str),
    "invoke_args": _tuple(str),
    "memory_pages": _ints,
    "peak_pages": _ints,
    "page_bytes": _ints,
    "data": _bytes,
    "globals": _tuple(lambda g: GlobalValue(str(g["name"]), str(g["type"]), g["value"])),
    "breakpoints": _ints,
    "call_sites": _ints,
    "live_points": _ints,
    "offsets": _ints,
    "frames": _tuple(_frame),
    "frame_locals": _tuple(lambda values: None if values is None else tuple(values)),
    "global_values": tuple,
}


def decode(line: bytes | str) -> Message:
    """The message one line of the wire format holds.

    Raises:
        ProtocolError: the line is not JSON, names no known type, or its fields do not fit.
    """
    try:
        data = json.loads(line)
        cls = _TYPES[data.pop("type")]
        values = {k: _CONVERT[k](v) if k in _CONVERT and v is not None else v for k, v in data.items()}
        message: Message = cls(**values)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        shown = line[:80] if isinstance(line, str) else line[:80].decode("utf-8", "replace")
        raise ProtocolError(f"not a protocol message ({type(error).__name__}): {shown!r}") from None
    return message


def is_reply(message: Message) -> bool:
    """True for the messages that answer a request (they carry `reply_to`)."""
    return isinstance(message, MemoryBytes | MemorySizeReply | Globals | Refused)

"""What a parsed backtrace is: frames as the runtime printed them, and what their numbers mean."""

from __future__ import annotations

from dataclasses import dataclass, field

MODULE, FUNCTION, CODE, UNKNOWN = "module", "function", "code", "unknown"
"""What a printed offset is relative to: the module's first byte, the function body's first byte
(just after the body's size field, as V8 counts), the code section's contents, or nothing known."""

MAX_LINE_CHARS = 4096
"""Lines are cut to this length before any pattern sees them, so work per line is bounded."""


@dataclass(frozen=True, slots=True)
class Line:
    """One input line, cleaned for matching: ANSI escapes and trailing CR removed, length capped."""

    no: int
    """1-based line number in the input."""
    text: str


@dataclass(frozen=True, slots=True)
class RawFrame:
    """One wasm frame exactly as a runtime printed it, plus what can be derived without the module."""

    line_no: int
    runtime: str
    """"wasmtime", "wasmer", "v8", "spidermonkey", "jsc", "wamr", "wavm", "wazero", "wasm3",
    "wasmedge", "wasmkit" or "chicory"."""
    index: int | None = None
    """The frame number the runtime printed (0 innermost for most), or None."""
    func_index: int | None = None
    func_name: str | None = None
    """The name exactly as printed, mangled or not; None for `<unknown>`-style placeholders."""
    module: str | None = None
    """Module name or URL as printed."""
    offset: int | None = None
    """The number as printed, in its own space (see `offset_kind`)."""
    offset_kind: str = UNKNOWN
    module_offset: int | None = None
    """The offset from the module's first byte, when the format alone allows it."""
    file: str | None = None
    line: int | None = None
    column: int | None = None
    """A source location the runtime already printed (e.g. WASMTIME_BACKTRACE_DETAILS=1)."""
    inlined: bool = False
    """A frame the runtime printed as inlined into the next one."""


@dataclass(frozen=True, slots=True)
class Trace:
    """One backtrace found in the text: its wasm frames, innermost first, and the trap reason."""

    runtime: str
    frames: tuple[RawFrame, ...]
    first_line: int
    last_line: int
    trap_reason: str | None = None
    """The runtime's description of the fault (`integer divide by zero`, `unreachable`), if printed."""
    host_frames: int = 0
    """JavaScript, host or Go frames recognised in the trace (not reported as wasm frames)."""
    build_id: str | None = None
    notes: tuple[str, ...] = field(default=())

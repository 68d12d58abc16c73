"""WasmKit's `Trap: ...` errors with the backtrace under them (Swift, swiftwasm/WasmKit).

Format (Sources/WasmKit/Execution/Errors.swift, `Trap.description` and `Backtrace.description`):
`Trap: {reason}`, then `    {i}: ({address}) {name}` per frame, innermost first, `unknown` for a
function without a name. The first release with backtraces (PR #150) printed `    {i}: {name}`
without the address. The address is WasmKit's `Pc`, a pointer into its own translated code: it
is kept as the printed offset with offset_kind "unknown", since no module maps it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from wasmdbg.backtrace.formats._common import clean_reason, dec_int, hex_int, make_trace, placeholder
from wasmdbg.backtrace.model import UNKNOWN, Line, RawFrame, Trace

RUNTIME = "wasmkit"

_TRAP = re.compile(r"(?<![\w.])Trap: (?P<reason>\S.*)")
_FRAME = re.compile(r"(?:^|\s)(?P<index>\d{1,9}): (?:\((?P<address>[^()\s]{1,64})\) )?(?P<name>\S.*)")
_WASMTIME_SHAPE = re.compile(r"0x[0-9a-fA-F]{1,40}\s+-\s")
_ADDRESS_NOTE = "WasmKit prints addresses in its own translated code, not module offsets"


def parse(lines: Sequence[Line]) -> list[Trace]:
    """Every `Trap: ...` line in `lines` followed by numbered frames."""
    traces: list[Trace] = []
    i = 0
    while i < len(lines):
        trap = _TRAP.search(lines[i].text)
        if trap is None:
            i += 1
            continue
        used = [lines[i].no]
        frames: list[RawFrame] = []
        i += 1
        while i < len(lines) and (frame := _frame(lines[i], len(frames))) is not None:
            frames.append(frame)
            used.append(lines[i].no)
            i += 1
        notes = [_ADDRESS_NOTE] if any(f.offset is not None for f in frames) else []
        trace = make_trace(RUNTIME, frames, used, reason=clean_reason(trap["reason"]), notes=notes)
        if trace is not None:
            traces.append(trace)
    return traces


def _frame(line: Line, expected: int) -> RawFrame | None:
    m = _FRAME.search(line.text)
    if m is None or dec_int(m["index"]) != expected:
        return None
    name = m["name"].rstrip()
    if _WASMTIME_SHAPE.match(name) or _TRAP.search(name):
        return None  # wasmtime's `0: 0x1f3 - m!f` after a Python `...Trap: ` line is not WasmKit's
    offset = None
    address = m["address"]
    if address is not None:
        offset = hex_int(address[2:]) if address.startswith("0x") else dec_int(address)
        if offset is None:
            return None
    return RawFrame(
        line_no=line.no,
        runtime=RUNTIME,
        index=expected,
        func_name=placeholder(name, "unknown"),
        offset=offset,
        offset_kind=UNKNOWN,
    )

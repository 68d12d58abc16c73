"""WasmEdge's spdlog error reports: `execution failed: ...` and the `[error]` lines after it.

Format (lib/common/errinfo.cpp and the executor, each line behind spdlog's
`[2024-05-01 12:00:00.000] [error] ` prefix):

    execution failed: integer divide by zero, Code: 0x83
        In instruction: i32.div_s (0x6d) , Bytecode offset: 0x00000123
        When executing module name: "m" , function name: "main"
    calling stack:3, 2, 0

`In instruction` is `ErrInfo::InfoInstruction(Instr.getOpCode(), Instr.getOffset())`; the
loader sets each instruction's offset from its FileMgr position before reading the opcode, the
offset from the start of the wasm file: a module offset, pointing at the opcode itself.
`When executing` (`InfoExecuting`) names the function the host invoked, the outermost wasm
frame, not the one that trapped. Newer WasmEdge adds `calling stack:` (executor.cpp
`dumpStackTrace`): the function indices of the frames, joined by ", ", and in the newest
versions `name:index` or `module[N]:index` per frame.

Frames, innermost first: with a calling stack, one per entry, the first carrying the
instruction's offset and the last the invoked function's name; without one, the trapping
instruction (offset, no name) and the invoked function (name, no offset), with a note that the
frames between them, if any, were not printed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from wasmdbg.backtrace.formats._common import clean_reason, dec_int, hex_int, make_trace
from wasmdbg.backtrace.model import MODULE, UNKNOWN, Line, RawFrame, Trace

RUNTIME = "wasmedge"

_FAILED = re.compile(r"execution failed: (?P<reason>.+?)(?:, Code: 0x(?P<code>[0-9a-fA-F]{1,8}))?\s*$")
_INSTRUCTION = re.compile(
    r"In instruction: (?P<op>\S{1,64}) \([^)]{0,32}\) , Bytecode offset: 0x(?P<offset>[0-9a-fA-F]{1,40})"
)
_EXECUTING = re.compile(
    r'When executing (?:module name: "(?P<module>[^"]{0,1024})" , )?function name: "(?P<name>[^"]{0,4000})"'
)
_STACK = re.compile(r"calling stack:(?P<entries>.{0,4000})$")
_ENTRY = re.compile(r"(?:(?P<module>[^,:]{1,512}):)?(?P<index>\d{1,40})")
_ANONYMOUS = re.compile(r"module\[\d{1,20}\]")
_DETAIL = re.compile(r"\[error\]|^\s{4}\S|calling stack:")
_WINDOW = 12
_GAP_NOTE = "WasmEdge printed the trapping instruction and the invoked function only; calls between them are not in the text"


def parse(lines: Sequence[Line]) -> list[Trace]:
    """Every `execution failed:` report in `lines` with the detail lines that follow it."""
    traces: list[Trace] = []
    i = 0
    while i < len(lines):
        failed = _FAILED.search(lines[i].text)
        if failed is None:
            i += 1
            continue
        start = i
        used = [lines[i].no]
        notes = [f"WasmEdge error code 0x{failed['code']}"] if failed["code"] else []
        instruction: tuple[Line, int, str] | None = None
        executing: tuple[Line, str | None, str] | None = None
        stack: tuple[Line, list[tuple[str | None, int]]] | None = None
        i += 1
        while i < len(lines) and i <= start + _WINDOW:
            text = lines[i].text
            if _FAILED.search(text) or not _DETAIL.search(text):
                break
            if (m := _INSTRUCTION.search(text)) is not None and (offset := hex_int(m["offset"])) is not None:
                instruction = (lines[i], offset, m["op"])
            elif (m := _EXECUTING.search(text)) is not None:
                executing = (lines[i], m["module"], m["name"])
            elif (m := _STACK.search(text)) is not None:
                stack = (lines[i], _entries(m["entries"]))
            elif "Accessing offset from:" in text:
                notes.append(text[text.index("Accessing offset from:") :].strip())
            used.append(lines[i].no)
            i += 1
        frames = _frames(instruction, executing, stack, notes)
        trace = make_trace(RUNTIME, frames, used, reason=clean_reason(failed["reason"]), notes=notes)
        if trace is not None:
            traces.append(trace)
    return traces


def _entries(text: str) -> list[tuple[str | None, int]]:
    """`3, 2, 0` or `main:3, module[0]:1` as (module, function index) pairs, innermost first."""
    out: list[tuple[str | None, int]] = []
    for part in text.split(",", 10000):
        m = _ENTRY.fullmatch(part.strip())
        if m is None or (index := dec_int(m["index"])) is None:
            return out
        module = m["module"]
        out.append((None if module is None or _ANONYMOUS.fullmatch(module) else module, index))
    return out


def _frames(
    instruction: tuple[Line, int, str] | None,
    executing: tuple[Line, str | None, str] | None,
    stack: tuple[Line, list[tuple[str | None, int]]] | None,
    notes: list[str],
) -> list[RawFrame]:
    trap = None
    if instruction is not None:
        line, offset, _ = instruction
        trap = RawFrame(line.no, RUNTIME, offset=offset, offset_kind=MODULE, module_offset=offset)
    entry = None
    if executing is not None:
        line, module, name = executing
        entry = RawFrame(line.no, RUNTIME, func_name=name or None, module=module or None)
    if stack is not None and stack[1]:
        line, entries = stack
        frames = [
            RawFrame(line.no, RUNTIME, index=n, func_index=index, module=module, offset_kind=UNKNOWN)
            for n, (module, index) in enumerate(entries)
        ]
        if trap is not None:
            frames[0] = replace(frames[0], offset=trap.offset, offset_kind=MODULE, module_offset=trap.module_offset)
        if entry is not None:
            frames[-1] = replace(frames[-1], func_name=entry.func_name, module=frames[-1].module or entry.module)
        return frames
    frames = [f for f in (trap, entry) if f is not None]
    if trap is not None and entry is not None:
        notes.append(_GAP_NOTE)
    return frames

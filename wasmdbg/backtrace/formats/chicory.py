"""Chicory (pure-Java wasm runtime) exceptions and the wasm frames in their Java stack traces.

Chicory throws `com.dylibso.chicory.runtime.TrapException: Trapped on unreachable instruction`
(or `WasmRuntimeException: out of bounds memory access`, ...). Its interpreter's Java frames
(`InterpreterMachine.eval`) say nothing about wasm; wasm frames appear when Chicory rewrites the
trace (docs "Dwarf Debug Symbols", chirino/wasm-dwarf-parser):

- interpreter with a debug parser: `at 0x006721: chicory interpreter.{function}({file}:{line})`;
- the compiler (runtime or build time): `at com.dylibso.chicory.$gen.CompiledMachineFuncGroup_0.
  {function}({file}:{line} | Unknown Source)`; without a name the method is `func_{index}`.

The address in the interpreter form could not be tied to a module or code-section offset from
Chicory's sources; it is kept with offset_kind "unknown". Java frames that are not wasm code are
counted as host frames. Each exception in a `Caused by:` chain is its own trace.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from wasmdbg.backtrace.formats._common import clean_reason, dec_int, hex_int, location, make_trace
from wasmdbg.backtrace.model import UNKNOWN, Line, RawFrame, Trace

RUNTIME = "chicory"

_EXCEPTION = re.compile(
    r"(?:^|[\s:])(?P<cls>(?:[\w$]{1,128}\.){1,32}(?:TrapException|WasmRuntimeException|WASMRuntimeException"
    r"|ChicoryException|UninstantiableException|WasmException|WASMMachineException))(?::\s(?P<msg>.*))?$"
)
_AT = re.compile(r"(?:^|\s)at\s(?P<frame>\S.*)")
_INTERPRETER = re.compile(r"0x(?P<address>[0-9a-fA-F]{1,40}): chicory interpreter\.(?P<name>.+)")
_GENERATED = re.compile(r"\$gen\.|CompiledMachine|FuncGroup_\d{1,9}$")
_FUNC = re.compile(r"func_(?P<index>\d{1,40})")
_MORE = re.compile(r"\.\.\.\s\d{1,9}\smore\s*$")
_HELPER_CLASS = re.compile(r"Shaded$|Machine$")
_ADDRESS_NOTE = "Chicory's interpreter addresses are not tied to a module offset here"


def parse(lines: Sequence[Line]) -> list[Trace]:
    """Every Chicory exception in `lines` whose stack trace holds wasm frames."""
    traces: list[Trace] = []
    i = 0
    while i < len(lines):
        exc = _EXCEPTION.search(lines[i].text)
        if exc is None or "chicory" not in exc["cls"]:
            i += 1
            continue
        used = [lines[i].no]
        frames: list[RawFrame] = []
        host = 0
        i += 1
        while i < len(lines):
            text = lines[i].text
            if (at := _AT.search(text)) is not None:
                frame = _frame(lines[i], at["frame"].rstrip())
                if frame is None:
                    host += 1
                else:
                    frames.append(frame)
            elif not _MORE.search(text):
                break
            used.append(lines[i].no)
            i += 1
        notes = [_ADDRESS_NOTE] if any(f.offset is not None for f in frames) else []
        reason = clean_reason(exc["msg"]) if exc["msg"] else None
        trace = make_trace(RUNTIME, frames, used, reason=reason, host_frames=host, notes=notes)
        if trace is not None:
            traces.append(trace)
    return traces


def _frame(line: Line, text: str) -> RawFrame | None:
    """A wasm frame from a Java `at` line, or None for Java code (a host frame)."""
    if not text.endswith(")") or (paren := text.rfind("(")) < 0:
        return None
    where, source = text[:paren], text[paren + 1 : -1]
    offset = None
    interpreter = _INTERPRETER.fullmatch(where)
    if interpreter is not None:
        offset = hex_int(interpreter["address"])
        if offset is None:
            return None
        name = interpreter["name"]
    else:
        cls, dot, name = where.rpartition(".")
        if not dot or not _GENERATED.search(cls):
            return None
        if _HELPER_CLASS.search(cls) and not _FUNC.fullmatch(name):
            return None  # Chicory's own helpers (`CompiledMachineShaded.throwTrapException`)
    by_index = _FUNC.fullmatch(name)
    file, line_no, _ = location(source) if ":" in source else (None, None, None)
    return RawFrame(
        line_no=line.no,
        runtime=RUNTIME,
        func_index=dec_int(by_index["index"]) if by_index else None,
        func_name=None if by_index else name,
        offset=offset,
        offset_kind=UNKNOWN,
        file=file,
        line=line_no,
    )

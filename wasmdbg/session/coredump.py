"""A stopped run written as a wasm coredump (tool-conventions format), from what the Python bindings can read.

The bindings give the frames (function index and module offset), the exported memories' bytes and
the exported globals' values. They give no locals, no operand stack, and nothing of a memory or
global the module does not export: such a memory is written with its size and no contents, a
mutable global with its initial value, each marked in the dump's notes so a reader can say so.
An immutable global's value is its constant initializer, so it is exact whether exported or not.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from wasmdbg.coredump.model import CoreDump, CoreGlobal
from wasmdbg.coredump.offsets import code_offset
from wasmdbg.coredump.write import MemoryImage, write_coredump
from wasmdbg.errors import WasmdbgError
from wasmdbg.facts import page_bytes
from wasmdbg.runner import protocol as p
from wasmdbg.session.live import LiveRun
from wasmdbg.session.report import RunReport, Trap
from wasmdbg.text import printable
from wasmdbg.wasm.entities import GLOBAL, MEMORY
from wasmdbg.wasm.files import write_whole
from wasmdbg.wasm.segments import constant_value
from wasmdbg.wasm.module import WasmModule

RUN_SECTION = "wasmdbg-run"
"""Our own custom section: how the run stopped and the tail of its output, which the format has no place
for. JSON (UTF-8): {"format": 1, "outcome", "trap": {"kind", "message", "fault_address", "memory_size"},
"stdout_base64", "stderr_base64"}; other readers skip it as any unknown custom section."""
OUTPUT_TAIL = 64 << 10
"""Bytes of each output stream kept in the dump (its end: where a panic message is)."""
MAX_RUN_SECTION = 1 << 20
"""A larger `wasmdbg-run` section is not ours (or is damaged): it is ignored."""

READ_BYTES = 1 << 20
"""Memory is read from the agent in pieces of this size (its largest reply)."""

STOPPED = (p.TRAPPED, p.TIMEOUT, p.INTERRUPTED)
"""Outcomes with a stack to dump."""


def coredump_bytes(module: WasmModule, executable: str, live: LiveRun, report: RunReport) -> bytes:
    """The coredump of a stopped run: its frames, the memories and globals that can be read.

    Args:
        module: the module that ran.
        executable: the name recorded in the dump (the module's path, as wasmtime records it).
        live: the run, ended but open (its engine keeps the memory).
        report: the run's report (its stack gives the frames).

    Raises:
        WasmdbgError: the run has no stack to dump, or its engine is gone.
    """
    if report.outcome not in STOPPED or not report.stack:
        raise WasmdbgError("the run did not stop in wasm code: there is no stack to write as a coredump")
    frames = [(f.func_index, _code_offset(module, f.func_index, f.module_offset)) for f in report.stack if f.func_index is not None]
    notes: list[str] = []
    memories = [_memory(module, index, live, notes) for index in range(len(module.memories))]
    globals_ = _globals(module, live, notes)
    if report.frames_truncated:
        notes.append("wasmtime keeps at most 20 frames: older frames are missing")
    notes.append("locals and the operand stack cannot be read through wasmtime's Python bindings: frames have none")
    return write_coredump(executable, frames, memories, globals_, notes, [(RUN_SECTION, _run_record(report))])


@dataclass(frozen=True, slots=True)
class RunRecord:
    """What a dump of ours says of the run besides frames, memory and globals."""

    outcome: str
    trap: Trap | None
    stdout: bytes
    stderr: bytes


def _run_record(report: RunReport) -> bytes:
    trap = report.trap
    record = {
        "format": 1,
        "outcome": report.outcome,
        "trap": None if trap is None else {"kind": trap.kind, "message": trap.message,
                                           "fault_address": trap.fault_address, "memory_size": trap.memory_size},
        "stdout_base64": base64.b64encode(report.stdout[-OUTPUT_TAIL:]).decode("ascii"),
        "stderr_base64": base64.b64encode(report.stderr[-OUTPUT_TAIL:]).decode("ascii"),
    }  # fmt: skip
    return json.dumps(record).encode("utf-8")


def run_record(dump: CoreDump) -> RunRecord | str | None:
    """The dump's `wasmdbg-run` record; a string saying why it cannot be read; None when there is none."""
    payload = next((data for name, data in dump.other_sections if name == RUN_SECTION), None)
    if payload is None:
        return None
    if len(payload) > MAX_RUN_SECTION:
        return f"the {RUN_SECTION} section is {len(payload):,} bytes, more than wasmdbg writes: it is ignored"
    try:
        data = json.loads(payload.decode("utf-8"))
        trap = data.get("trap")
        return RunRecord(
            outcome=str(data["outcome"]),
            trap=None if not trap else Trap(_text(trap.get("kind")), _text(trap.get("message")),
                                             _number(trap.get("fault_address")), _number(trap.get("memory_size"))),
            stdout=base64.b64decode(str(data.get("stdout_base64") or ""), validate=True),
            stderr=base64.b64decode(str(data.get("stderr_base64") or ""), validate=True),
        )  # fmt: skip
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        return f"the {RUN_SECTION} section is damaged: how the run stopped is judged from the frames"


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _code_offset(module: WasmModule, func_index: int, offset: int | None) -> int:
    """The frame's function-relative offset; 0 where it is unknown, as wasmtime writes it."""
    found = None if offset is None else code_offset(module, func_index, offset)
    return found if found is not None else 0


def write_file(path: str, data: bytes) -> None:
    """Write `data` to `path` whole or not at all (a temporary file beside it, then renamed).

    Raises:
        WasmdbgError: the file cannot be written.
    """
    try:
        write_whole(path, data, prefix=".wasmdbg-coredump-")
    except OSError as error:
        raise WasmdbgError(f"{printable(path)}: {error.strerror or error}") from None


def _exported(module: WasmModule, kind: str) -> list[int]:
    """The indices of `kind` the module exports, in export order (how the agent numbers exported memories)."""
    return [e.index for e in module.exports if e.kind == kind]


def _memory(module: WasmModule, index: int, live: LiveRun, notes: list[str]) -> MemoryImage:
    limits = module.memories[index].limits
    size_of_page = page_bytes(limits.page_size_log2)
    exported = _exported(module, MEMORY)
    if index not in exported:
        notes.append(f"memory {index} is not exported: the Python bindings cannot read it, so it was not captured")
        return MemoryImage(limits.min, limits.max, size_of_page, b"")
    agent_index = exported.index(index)
    size = live.memory_size(agent_index)
    data = bytearray()
    while len(data) < size:
        piece = live.read_memory(len(data), min(READ_BYTES, size - len(data)), agent_index)
        if not piece:
            break
        data += piece
    return MemoryImage(size // size_of_page, limits.max, size_of_page, bytes(data))


def _globals(module: WasmModule, live: LiveRun, notes: list[str]) -> list[CoreGlobal]:
    values = {g.name: g for g in live.globals()}
    imported = [i for i in module.imports if i.kind == GLOBAL]
    out: list[CoreGlobal] = []
    missing: list[int] = []
    for index in range(len(imported) + len(module.globals)):
        defined = module.globals[index - len(imported)] if index >= len(imported) else None
        type_ = defined.type if defined is not None else imported[index].type
        val_type = getattr(type_, "val_type", "i32")
        mutable = bool(getattr(type_, "mutable", False))
        read = values.get(module.export_names.get((GLOBAL, index), ""))
        if read is not None and isinstance(read.value, int | float):
            out.append(CoreGlobal(index, val_type, mutable, read.value, True))
            continue
        initial = constant_value(defined.init) if defined is not None else None
        exact = initial is not None and not mutable
        out.append(CoreGlobal(index, val_type, mutable, initial, exact))
        if not exact:
            missing.append(index)
    if missing:
        named = module.names.globals if module.names is not None else {}
        shown = ", ".join(f"{i} ({named[i]})" if i in named else str(i) for i in missing[:8])
        shown += " …" if len(missing) > 8 else ""
        notes.append(f"mutable globals the module does not export were not captured, their initial values are written: {printable(shown)}")
    return out

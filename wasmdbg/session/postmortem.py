"""Post-mortem: a saved run report or a wasm coredump turned into the report the trap view shows.

`open_postmortem` reads either kind of file, finds the module it belongs to (from the file, or
as the user names it) and checks that it is that module: a report carries the module's sha256;
a coredump carries only a name, so its frames are checked against the module's functions and
instruction boundaries. A file whose module is missing or different still opens with what it
holds, and `PostMortem.notes` say what cannot be shown and why.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from wasmdbg.coredump.model import CoreDump, CoreMemory
from wasmdbg.coredump.offsets import module_offset
from wasmdbg.coredump.read import read_coredump
from wasmdbg.errors import WasmdbgError, WasmFormatError
from wasmdbg.explanation.names import innermost
from wasmdbg.facts import WASMTIME_FRAME_LIMIT
from wasmdbg.runner import protocol as p
from wasmdbg.runner.limits import RunLimits
from wasmdbg.session.coredump import RunRecord, run_record
from wasmdbg.session.disassembly import Disassembly
from wasmdbg.session.live import RunRequest
from wasmdbg.session.report import ModuleRef, ReportFormatError, RunReport, Trap
from wasmdbg.session.session import Session, SessionOptions
from wasmdbg.symbols.frames import SourceFrame
from wasmdbg.symbols.sources import SourceRoots
from wasmdbg.symbols.stack import StackFrame
from wasmdbg.text import printable
from wasmdbg.wasm.entities import GLOBAL
from wasmdbg.wasm.files import read_regular_file
from wasmdbg.wasm.instructions import InstructionIndex, instruction_at
from wasmdbg.wasm.module import WasmModule

REPORT, COREDUMP = "report", "coredump"
"""What `PostMortem.kind` may be."""

MAX_FILE_BYTES = 4 << 30
"""A file larger than this is refused before it is read (a coredump holds at most a few memories)."""

WASM_MAGIC = b"\0asm"

UNKNOWN_LIMITS = RunLimits(max_memory_bytes=None, fuel=None, timeout_s=None)
"""A coredump does not say what limits the run had."""

# What a trap must have been, judged from the instruction that raised it; only where one kind is possible.
_TRAP_OF_INSTRUCTION = {
    "unreachable": "unreachable",
    "i32.div_u": "integer_division_by_zero", "i64.div_u": "integer_division_by_zero",
    "i32.rem_u": "integer_division_by_zero", "i64.rem_u": "integer_division_by_zero",
    "i32.rem_s": "integer_division_by_zero", "i64.rem_s": "integer_division_by_zero",
}  # fmt: skip


# What an instruction that can trap for more than one reason traps on.
_COULD_TRAP_ON = {
    "i32.div_s": "a division by zero, or the minimum value divided by -1",
    "i64.div_s": "a division by zero, or the minimum value divided by -1",
    "trunc": "a NaN or a value out of the integer's range",
    "call_indirect": "a null or out-of-range table slot, or a function of another type",
    "return_call_indirect": "a null or out-of-range table slot, or a function of another type",
    "call_ref": "a null function reference",
}  # fmt: skip

NOT_RECORDED = "a coredump does not record the trap's reason"


@dataclass(frozen=True, slots=True)
class DumpedGlobal:
    """A global of a coredump, named from the module when it is known."""

    index: int
    name: str | None
    type: str
    mutable: bool
    value: int | float | None
    captured: bool
    """False: the writer could not read it (not exported); `value` is the module's initial value."""


@dataclass(frozen=True)
class PostMortem:
    """A saved report or a coredump, ready for the trap view."""

    path: str
    kind: str
    """REPORT or COREDUMP."""
    report: RunReport
    code: Session | SourcesOnly
    """Where sources and instructions are read: the module's session, or only the source roots."""
    memory: CoreMemory | None = None
    """A coredump's memory 0 (a report holds no memory)."""
    globals: tuple[DumpedGlobal, ...] = ()
    notes: tuple[str, ...] = ()
    """One line each: what is missing, different or guessed, and what to do."""
    memory_missing: str = ""
    """Why a coredump's memory is not shown, when it is not."""

    @property
    def session(self) -> Session | None:
        """The module's session, when the module was found and is the one that ran."""
        return self.code if isinstance(self.code, Session) else None

    @property
    def stack_pointer(self) -> int | None:
        """`__stack_pointer` when the dump captured it (wasmtime does; our bindings cannot when it is not exported)."""
        return next((int(g.value) for g in self.globals if g.name == "__stack_pointer" and g.captured
                     and isinstance(g.value, int)), None)  # fmt: skip

    @property
    def memory_unavailable(self) -> str:
        """Why there is no memory to show, when there is none."""
        if self.kind == REPORT:
            return "a saved report holds no memory: write a coredump (wasmdbg run --coredump PATH) to keep it"
        return self.memory_missing or "the coredump holds no linear memory"


class SourcesOnly:
    """A code source without a module: sources under the roots, no instructions (says why)."""

    def __init__(self, sources: SourceRoots, reason: str) -> None:
        self.sources = sources
        self.reason = reason

    def disassemble(self, func_index: int) -> Disassembly:
        raise WasmdbgError(self.reason)


def open_postmortem(path: str, *, module: str | None = None, options: SessionOptions | None = None) -> PostMortem:
    """Read a report (`wasmdbg run --report`) or a wasm coredump, with the module it belongs to.

    Args:
        path: the report or coredump.
        module: the module, when the user names it; else it is found from the file.
        options: where sources and debug files are found.

    Raises:
        WasmdbgError: the file cannot be read, or is neither a report nor a coredump.
    """
    options = options or SessionOptions()
    data = read_regular_file(path, what="report or coredump", limit=MAX_FILE_BYTES)
    if data.startswith(WASM_MAGIC):
        return _open_coredump(path, data, module, options)
    return _open_report(path, data, module, options)


def _candidates(recorded: str, beside: str) -> list[str]:
    """Where the module a file names may be: as recorded, then relative to the file, then beside it by name."""
    if not recorded:
        return []
    folder = Path(beside).parent
    found = [recorded, str(folder / recorded), str(folder / Path(recorded).name)]
    return list(dict.fromkeys(c for c in found if os.path.isfile(c)))


def _roots(path: str, options: SessionOptions) -> SourceRoots:
    return SourceRoots.for_module(path, list(options.source_roots), list(options.substitutions))


# -- reports ------------------------------------------------------------------------------------


def _open_report(path: str, data: bytes, module: str | None, options: SessionOptions) -> PostMortem:
    shown = printable(path)
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WasmdbgError(
            f"{shown} is neither a wasmdbg report (not JSON: {error}) nor a wasm coredump (no \\0asm magic)"
        ) from None
    except RecursionError:
        # The json module recurses once per nesting level: `[[[[...` a few thousand deep exhausts the stack.
        raise WasmdbgError(f"{shown} is not a wasmdbg report: its JSON nests too deeply to read") from None
    notes: list[str] = []
    try:
        report = RunReport.from_json(parsed)
    except ReportFormatError as error:
        if "newer" not in error.message:
            raise WasmdbgError(f"{shown}: {error.message}") from None
        # Keys are only ever added to the format, so a newer report reads as far as this version understands it.
        report = RunReport.from_json({**parsed, "format": 1})
        notes.append(f"{error.message}; shown as far as this version understands it")
    recorded = report.module
    if module is not None:
        candidates = [module]
    else:
        candidates = _candidates(recorded.path, path)
    session, problem = _module_for_report(candidates, recorded, options, given=module is not None)
    if problem:
        notes.append(problem)
    code: Session | SourcesOnly = session if session is not None else SourcesOnly(_roots(path, options), problem or "")
    return PostMortem(path, REPORT, report, code, notes=tuple(notes))


def _module_for_report(
    candidates: Sequence[str], recorded: ModuleRef, options: SessionOptions, *, given: bool
) -> tuple[Session | None, str | None]:
    if not candidates:
        where = printable(recorded.path) if recorded.path else "it"
        return None, f"the module that ran ({where}) was not found: pass --module PATH to see its code"
    mismatch = None
    for candidate in candidates:
        try:
            session = Session.open(candidate, options)
        except WasmdbgError as error:
            if given:
                raise
            mismatch = f"{printable(candidate)}: {error.message}"
            continue
        if not recorded.sha256 or session.sha256 == recorded.sha256:
            return session, None
        mismatch = (
            f"{printable(candidate)} is not the module that ran (its sha256 differs from the report's): "
            "the stack is the report's; pass --module with the build that ran to see its code"
        )
    return None, mismatch


# -- coredumps ----------------------------------------------------------------------------------


def _open_coredump(path: str, data: bytes, module: str | None, options: SessionOptions) -> PostMortem:
    dump = read_coredump(data)
    notes = list(dump.notes)
    candidates = [module] if module is not None else _candidates(dump.executable, path)
    session: Session | None = None
    problem = None
    if not candidates:
        named = printable(dump.executable) if dump.executable else "it does not name one"
        problem = f"the module the coredump was taken of ({named}) was not found: pass --module PATH"
    else:
        try:
            session = Session.open(candidates[0], options)
        except WasmdbgError as error:
            if module is not None:
                raise
            problem = f"{printable(candidates[0])}: {error.message}"
    if session is not None:
        problem = _frames_misfit(dump, session.module)
        if problem:
            problem = f"this coredump does not come from {printable(session.path)}: {problem}; pass --module with the build that ran"
            session = None
    if problem:
        notes.append(problem)
    report = _dump_report(path, dump, session)
    record = run_record(dump)
    if isinstance(record, str):
        notes.append(record)
    if session is not None and record is None and report.trap is not None and report.trap.kind:
        notes.append(f"{NOT_RECORDED}: {report.trap.kind} is judged from the faulting instruction, the only reason it traps on")
    memory = _memory_zero(dump)
    missing = ""
    if memory is not None and memory.size and not memory.captured_bytes:
        # Not one byte was written: the writer could not read it (ours, for a memory the module does not
        # export). Shown, it would be a memory of zeros that never was.
        missing = f"the coredump has the size of memory 0 ({memory.size:,} bytes) but none of its bytes"
        memory = None
    code: Session | SourcesOnly = session if session is not None else SourcesOnly(_roots(path, options), problem or "")
    return PostMortem(path, COREDUMP, report, code, memory=memory, globals=_globals(dump, session), notes=tuple(notes),
                      memory_missing=missing)  # fmt: skip


def _memory_zero(dump: CoreDump) -> CoreMemory | None:
    """The instance's memory 0 (the one offsets in the DWARF and the stack pointer refer to)."""
    wanted = dump.instances[0].memories[0] if dump.instances and dump.instances[0].memories else 0
    return next((m for m in dump.memories if m.index == wanted), None)


def _frames_misfit(dump: CoreDump, module: WasmModule) -> str | None:
    """Why the dump's frames cannot be this module's (a function out of range, an offset off its code), or None."""
    indices: dict[int, InstructionIndex] = {}  # each body decoded once, however often the stack recurses
    for number, frame in enumerate(dump.frames):
        where = f"frame {number} (function {frame.func_index}, +{frame.code_offset:#x})"
        offset = module_offset(module, frame.func_index, frame.code_offset)
        body = module.body(frame.func_index)
        if offset is None or body is None:
            return f"{where} lies outside the module's code"
        try:
            index = indices.get(frame.func_index) or InstructionIndex(module.data, body.code_offset, body.end)
        except WasmFormatError:
            return f"{where} lies in a function body that cannot be decoded"
        indices[frame.func_index] = index
        # +0, the body's first byte: wasmtime puts a trap taken on entry there (the stack check;
        # without fuel metering, as its CLI runs, a leading `unreachable` too).
        if not index.is_boundary(offset) and frame.code_offset != 0:
            return f"{where} is not on an instruction"
    return None


def _dump_report(path: str, dump: CoreDump, session: Session | None) -> RunReport:
    if session is None:
        # No module: the frames can only be listed by function index and body offset.
        stack = tuple(
            StackFrame(f.func_index, None, (SourceFrame(f"<wasm function {f.func_index}> +{f.code_offset:#x}"),))
            for f in dump.frames
        )
        return RunReport(outcome=p.TRAPPED, module=ModuleRef(dump.executable, ""), limits=UNKNOWN_LIMITS,
                         trap=Trap(None, None), stack=stack)  # fmt: skip
    module = session.module
    frames = tuple(
        p.GuestFrame(f.func_index, module_offset(module, f.func_index, f.code_offset), None) for f in dump.frames
    )
    record = run_record(dump)
    if isinstance(record, RunRecord):
        # Our own dump says how the run stopped: the report is the one the live run gave.
        trap = record.trap or Trap(None, None)
        outcome = p.Outcome(record.outcome, trap_kind=trap.kind, message=trap.message, fault_address=trap.fault_address,
                            memory_size=trap.memory_size, frames=frames, frames_truncated=len(frames) >= WASMTIME_FRAME_LIMIT)  # fmt: skip
        return session.report(p.Finished(outcome), RunRequest(limits=UNKNOWN_LIMITS), stdout=record.stdout, stderr=record.stderr)
    mnemonic = _instruction_at(module, frames[0]) if frames else ""
    kind = _judged_trap(mnemonic)
    outcome = p.Outcome(p.TRAPPED, trap_kind=kind, frames=frames, message=NOT_RECORDED)
    report = session.report(p.Finished(outcome), RunRequest(limits=UNKNOWN_LIMITS))
    where = innermost(report.stack)
    if kind == "memory_out_of_bounds":
        # The explanation of a live run would blame wasmtime for the missing address; here the file lacks it.
        sentence = f"The program accessed linear memory out of bounds{where} with `{mnemonic}`"
        report = replace(report, explanation=f"{sentence}; a coredump does not record the address it used.")
    elif kind is None:
        # The trap's reason is not in the file: say what the instruction can trap on instead of guessing one.
        could = _COULD_TRAP_ON.get("trunc" if ".trunc_f" in mnemonic else mnemonic)  # trunc_sat never traps
        sentence = f"The program trapped{where} at `{mnemonic}`" if mnemonic else f"The program trapped{where}"
        sentence += f", which traps on {could}." if could else "."
        report = replace(report, explanation=f"{sentence} A coredump does not record the trap's reason.")
    return report


def _instruction_at(module: WasmModule, frame: p.GuestFrame) -> str:
    """The mnemonic at the frame's offset ("" where it cannot be read)."""
    body = module.body(frame.func_index)
    if frame.module_offset is None or body is None:
        return ""
    try:
        found = instruction_at(module.data, body.code_offset, body.end, frame.module_offset)
    except WasmFormatError:
        return ""
    return found.mnemonic if found is not None else ""


def _judged_trap(mnemonic: str) -> str | None:
    """The trap kind an instruction allows, when it allows only one."""
    if mnemonic in _TRAP_OF_INSTRUCTION:
        return _TRAP_OF_INSTRUCTION[mnemonic]
    if ".load" in mnemonic or ".store" in mnemonic:
        return "memory_out_of_bounds"
    return None


def _globals(dump: CoreDump, session: Session | None) -> tuple[DumpedGlobal, ...]:
    """The dump's globals, named by the module's index space: the instance maps its i-th global to a dump global."""
    names: dict[int, str] = {}
    if session is not None and dump.instances:
        module = session.module
        by_index = {index: name for (kind, index), name in module.export_names.items() if kind == GLOBAL}
        if module.names is not None:
            by_index.update(module.names.globals)
        names = {dumped: by_index[i] for i, dumped in enumerate(dump.instances[0].globals) if i in by_index}
    return tuple(
        DumpedGlobal(g.index, names.get(g.index), g.type, g.mutable, g.value, g.captured) for g in dump.globals
    )

"""One paragraph of plain text saying how a run ended, built only from facts the run and the module give.

`explain` reads the agent's `outcome` event, the symbolized frames, the module's own sections
(globals, data and element segments, types, the faulting instruction) and the guest's stderr. It
never guesses: where a fact is missing (the slot a `call_indirect` used, the true depth of a
truncated stack) the paragraph says what is known instead. Every name and every quoted line comes
from an untrusted module or guest, so all of it passes through `printable` before it is joined in.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wasmdbg.symbols.demangle import demangle
from wasmdbg.errors import WasmFormatError
from wasmdbg.symbols.frames import SourceFrame
from wasmdbg.text import describe_bytes
from wasmdbg.runner.limits import RunLimits, memory_cap_hit
from wasmdbg.text import printable
from wasmdbg.wasm.entities import GLOBAL, TABLE
from wasmdbg.wasm.instructions import Instruction, instruction_at
from wasmdbg.wasm.module import WasmModule
from wasmdbg.wasm.segments import ACTIVE, const_value
from wasmdbg.wasm.types import CompositeType, TableType

PAGE = 65536
MAX_QUOTE = 300
"""Characters of a quoted stderr line or panic message kept; the rest is elided."""
MAX_LISTED = 6
"""Table slots listed for a `call_indirect` before the rest are counted instead."""

_RUST_HASH = re.compile(r"::h[0-9a-f]{16}$")
# Rust <1.73: `panicked at 'msg', file:line:col`; Rust >=1.73: `panicked at file:line:col:\nmsg`.
_PANIC_OLD = re.compile(r"panicked at '(?P<msg>.*?)', (?P<loc>[^\n]*?:\d+:\d+)\s*$", re.DOTALL | re.MULTILINE)
_PANIC_NEW = re.compile(r"panicked at (?P<loc>[^\n']*?:\d+:\d+):\n(?P<msg>.*?)(?=\nnote: |\n*\Z)", re.DOTALL)
_PANIC_MACHINERY = (
    "rust_panic", "rust_begin_unwind", "__rust_start_panic", "__rust_end_short_backtrace", "__rustc",
    "core::panicking::", "std::panicking::", "std::panic::", "core::panic::", "panic_abort::", "panic_unwind::",
    "std::sys_common::backtrace::", "std::rt::", "core::result::unwrap_failed", "core::option::expect_failed",
    "core::slice::index::", "core::str::slice_error_fail", "alloc::raw_vec::capacity_overflow",
)  # fmt: skip
_PANIC_MARKERS = ("rust_panic", "core::panicking::", "std::panicking::", "rust_begin_unwind")
# Functions of the C runtime and Rust/C++ standard libraries; what a user wants named is the first frame past them.
_RUNTIME_NAMES = frozenset({
    "abort", "_Exit", "exit", "_exit", "__wasi_proc_exit", "__wasi_proc_exit_wrapper", "_start", "__original_main",
    "__main_void", "_start.command_export", "__main_argc_argv", "main", "__libc_start_main",
})  # fmt: skip
_RUNTIME_PREFIXES = ("std::", "core::", "alloc::", "panic_abort::", "panic_unwind::", "__rust", "rust_", "__cxa_", "__cxxabiv1::")
_RUNTIME_PATHS = ("libc-bottom-half/", "libc-top-half/", "/usr/include/", "/usr/lib/", "/rustc/", "/rustc-", "/library/std/",
                  "/library/core/", "/library/alloc/", "/wasi-libc/", "/libcxx/", "/libcxxabi/")  # fmt: skip
_ABORT_NAMES = frozenset({"abort", "__builtin_abort", "std::abort()", "abort()"})
_ARITHMETIC = {
    "integer_division_by_zero": "divided an integer by zero",
    "integer_overflow": "overflowed a signed integer division (the minimum value divided by -1)",
    "bad_conversion_to_integer": "converted a float to an integer that cannot hold it (NaN or out of range)",
}


@dataclass(frozen=True, slots=True)
class _Frame:
    """One physical frame of the guest's stack: wasmtime's raw data and its source frames, innermost first."""

    func_index: int | None
    module_offset: int | None
    sources: tuple[SourceFrame, ...]

    @property
    def function(self) -> str:
        """The function the frame executes (the outermost source frame; the rest are inlined into it)."""
        return _name(self.sources[-1])


def explain(
    outcome: Mapping[str, Any],
    frames: Sequence[Sequence[SourceFrame]],
    module: WasmModule,
    *,
    stderr: str,
    limits: RunLimits,
) -> str:
    """How a run ended, as one paragraph of plain, printable text.

    Args:
        outcome: the agent's `outcome` event (`outcome`, `trap_kind`, `frames`, `fault_address`, ...).
        frames: the source frames of each of `outcome["frames"]`, innermost first, in the same order;
            missing or empty entries fall back to wasmtime's own function names.
        module: the module that ran.
        stderr: everything the guest wrote to stderr, decoded.
        limits: the limits the run had.

    Returns:
        Sentences joined by spaces; every name and quote in them has been made printable.
    """
    stack = _stack(outcome, frames)
    kind = outcome.get("outcome")
    sentences: list[str]
    if kind == "trapped":
        sentences = _trap(outcome, stack, module, stderr, limits)
    elif kind == "exited":
        sentences = _exited(outcome, stderr)
    elif kind == "returned":
        results = outcome.get("results") or []
        shown = ", ".join(printable(repr(r)) for r in results)
        sentences = [f"The program returned normally{f' with {shown}' if results else ''}."]
    elif kind in ("timeout", "interrupted"):
        sentences = [_stopped(outcome, stack, limits)]
    elif kind == "engine_crashed":
        sentences = [f"The engine process died before the run ended: {_quote(outcome.get('message'))}."]
    else:
        sentences = [f"The module could not be run: {_quote(outcome.get('message'))}."]
    cap = _memory_cap(outcome, module, limits)
    if cap:
        sentences.append(cap)
    return " ".join(s for s in sentences if s)


# -- stacks and names ---------------------------------------------------------------------------


def _stack(outcome: Mapping[str, Any], frames: Sequence[Sequence[SourceFrame]]) -> list[_Frame]:
    stack = []
    for i, raw in enumerate(outcome.get("frames") or []):
        func_index = raw[0] if len(raw) > 0 and isinstance(raw[0], int) else None
        offset = raw[1] if len(raw) > 1 and isinstance(raw[1], int) else None
        sources = tuple(frames[i]) if i < len(frames) else ()
        if not sources:
            raw_name = raw[2] if len(raw) > 2 and isinstance(raw[2], str) else None
            shown = demangle(raw_name) if raw_name else f"<wasm function {func_index}>"
            sources = (SourceFrame(shown, raw_name),)
        stack.append(_Frame(func_index, offset, sources))
    return stack


def _name(frame: SourceFrame) -> str:
    """A function name as the paragraph shows it: demangled, without a Rust hash, printable."""
    name = frame.function or "<unnamed function>"
    return printable(_RUST_HASH.sub("", name))


def _file(path: str) -> str:
    # DWARF joins comp_dir "." with the name: `./../c/oob.c`; the leading `./` says nothing.
    while path.startswith("./"):
        path = path[2:]
    return printable(path)


def _location(frame: SourceFrame) -> str | None:
    if frame.file is None:
        return None
    return f"{_file(frame.file)}:{frame.line}" if frame.line else _file(frame.file)


def _where(frame: SourceFrame) -> str:
    """`name (file:line)`, or just the name without a location."""
    location = _location(frame)
    return f"{_name(frame)} ({location})" if location else _name(frame)


def _where_physical(frame: _Frame) -> str:
    """Where a physical frame was: its innermost source frame, and what that was inlined into."""
    inner = frame.sources[0]
    text = _where(inner)
    if inner.inlined and len(frame.sources) > 1:
        text += f", inlined into {_name(frame.sources[-1])}"
    return text


def _is_runtime(frame: SourceFrame) -> bool:
    """True for libc, libc++ and Rust std frames: what sits between a failure and the code that caused it."""
    name = _RUST_HASH.sub("", frame.function or "")
    if frame.file is not None:
        return any(part in frame.file for part in _RUNTIME_PATHS)
    return name in _RUNTIME_NAMES or name.startswith(_RUNTIME_PREFIXES) or name.startswith("std::__")


def _first_user(stack: Sequence[_Frame], start: int = 0) -> SourceFrame | None:
    for frame in stack[start:]:
        for source in frame.sources:
            if not _is_runtime(source):
                return source
    return None


def _quote(text: object, limit: int = MAX_QUOTE) -> str:
    shown = str(text or "").strip()
    if len(shown) > limit:
        shown = shown[:limit] + "…"
    return f'"{printable(shown)}"'


def _last_line(stderr: str) -> str | None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else None


# -- outcomes -------------------------------------------------------------------------------


def _exited(outcome: Mapping[str, Any], stderr: str) -> list[str]:
    code = outcome.get("exit_code")
    if code == 0:
        return ["The program exited with code 0 (success)."]
    sentences = [f"The program exited with code {printable(str(code))}."]
    last = _last_line(stderr)
    if last:
        sentences.append(f"Its last line on stderr was {_quote(last)}.")
    return sentences


def _stopped(outcome: Mapping[str, Any], stack: Sequence[_Frame], limits: RunLimits) -> str:
    seconds = limits.timeout_s if outcome.get("outcome") == "timeout" and limits.timeout_s else outcome.get("duration_s")
    when = f" after {seconds:g} s" if isinstance(seconds, (int, float)) else ""
    what = "hit its time limit and was stopped" if outcome.get("outcome") == "timeout" else "was interrupted"
    return f"The program {what}{when}{_running(stack)}."


def _running(stack: Sequence[_Frame]) -> str:
    if not stack:
        return ""
    text = f" while running {_where_physical(stack[0])}"
    user = _first_user(stack)
    if user is not None and user is not stack[0].sources[0]:
        text += f", called from {_where(user)}"
    return text


def _trap(
    outcome: Mapping[str, Any], stack: Sequence[_Frame], module: WasmModule, stderr: str, limits: RunLimits
) -> list[str]:
    kind = str(outcome.get("trap_kind") or "")
    if kind == "memory_out_of_bounds" or outcome.get("fault_address") is not None:
        return _memory_fault(outcome, stack, module)
    if kind == "out_of_fuel":
        fuel = limits.fuel if limits.fuel is not None else outcome.get("fuel_consumed")
        budget = f" of {fuel:,}" if isinstance(fuel, int) else ""
        return [f"The program used all{budget} fuel{_running(stack)}."]
    if kind == "stack_overflow":
        return _stack_overflow(outcome, stack)
    if kind in ("bad_signature", "indirect_call_to_null", "table_out_of_bounds"):
        return _indirect(kind, stack, module)
    if kind in _ARITHMETIC:
        where = f" in {_where_physical(stack[0])}" if stack else ""
        return [f"The program {_ARITHMETIC[kind]}{where}; WebAssembly traps on that."]
    panic = _panic(stack, stderr)
    if panic:
        return panic
    if kind == "unreachable" and stack and stack[0].function in _ABORT_NAMES:
        return _abort(stack, stderr)
    where = f" in {_where_physical(stack[0])}" if stack else ""
    if kind == "unreachable":
        return [f"The program executed an `unreachable` instruction{where}."]
    return [f"The program trapped ({printable(kind or 'unknown kind')}: {_quote(outcome.get('message'))}){where}."]


def _abort(stack: Sequence[_Frame], stderr: str) -> list[str]:
    user = _first_user(stack, 1)
    caller = stack[1].sources[0] if len(stack) > 1 else None
    sentence = "The program called abort()"
    if caller is not None and _is_runtime(caller) and user is not None:
        sentence += f" in {_where(caller)}, reached from {_where(user)}"
    elif user is not None:
        sentence += f" from {_where(user)}"
    elif caller is not None:
        sentence += f" from {_where(caller)}"
    sentences = [sentence + "; abort() ends the run with an `unreachable` trap."]
    last = _last_line(stderr)
    sentences.append(f"The last line on stderr was {_quote(last)}." if last else "Nothing was written to stderr.")
    return sentences


def _panic(stack: Sequence[_Frame], stderr: str) -> list[str]:
    sources = [s for frame in stack for s in frame.sources]
    if not any(_name(s).startswith(_PANIC_MARKERS) for s in sources):
        return []
    # The panic machinery is the innermost run of frames; the first frame past it is the code that panicked.
    run = next((i for i, s in enumerate(sources) if not _name(s).startswith(_PANIC_MACHINERY)), len(sources))
    machinery = [_name(s) for s in sources[:run]]
    user_frames = sources[run:]
    message = _panic_message(stderr)
    sentence = "The program panicked"
    if message is not None:
        text, location = message
        sentence += f" with {_quote(text)} at {printable(location)}"
    sentences = [sentence + "."]
    if user_frames:
        raised = f"The panic was raised in {_where(user_frames[0])}"
        if len(user_frames) > 1:
            raised += f", called from {_where(user_frames[1])}"
        sentences.append(raised + ".")
    if machinery:
        sentences.append(
            f"The {len(machinery)} frames above it are Rust's panic machinery "
            f"({machinery[-1]} … {machinery[0]}), which ends the run with an `unreachable` trap."
        )
    if message is None:
        sentences.append("No `panicked at` message was found on stderr.")
    return sentences


def _panic_message(stderr: str) -> tuple[str, str] | None:
    """(message, file:line:col) of the last panic reported on stderr, in either of Rust's formats."""
    found = [(m.start(), m["msg"], m["loc"]) for pattern in (_PANIC_OLD, _PANIC_NEW) for m in pattern.finditer(stderr)]
    if not found:
        return None
    _, message, location = max(found)
    return " ".join(message.split("\n")), location


def _stack_overflow(outcome: Mapping[str, Any], stack: Sequence[_Frame]) -> list[str]:
    if not stack:
        return ["The call stack was exhausted (stack overflow); wasmtime reported no frames."]
    counts = Counter(frame.function for frame in stack)
    repeating = [(name, n) for name, n in counts.most_common(3) if n > 1]
    depth = f"{len(stack)} frames"
    if outcome.get("frames_truncated"):
        depth = f"the {len(stack)} frames wasmtime reports (it stops there; the real depth is larger)"
    if not repeating:
        return [f"The call stack was exhausted (stack overflow) in {_where_physical(stack[0])}; no function repeats in {depth}."]
    name, n = repeating[0]
    lines = Counter(_location(f.sources[-1]) for f in stack if f.function == name and _location(f.sources[-1]))
    at = f" at {lines.most_common(1)[0][0]}" if lines else ""
    sentence = f"The call stack was exhausted (stack overflow): {name}{at} is {n} of {depth}"
    others = [f"{other} ({m})" for other, m in repeating[1:]]
    if others:
        sentence += f", together with {', '.join(others)}"
    return [sentence + ", so the recursion through it did not end."]


# -- indirect calls -------------------------------------------------------------------------


def _faulting_instruction(stack: Sequence[_Frame], module: WasmModule) -> Instruction | None:
    if not stack or stack[0].module_offset is None:
        return None
    offset = stack[0].module_offset
    body = module.function_at(offset)
    if body is None:
        return None
    try:
        return instruction_at(module.data, body.code_offset, body.end, offset)
    except WasmFormatError:  # a malformed body only costs the detail, never the explanation
        return None


def _function_label(module: WasmModule, func_index: int) -> str:
    names = module.names.functions if module.names else {}
    name = names.get(func_index) or module.export_names.get(("func", func_index))
    return printable(_RUST_HASH.sub("", demangle(name))) if name else f"function {func_index}"


def _table_slots(module: WasmModule, table: int) -> dict[int, int]:
    """Slot -> function index, as the active element segments with constant offsets initialise `table`."""
    slots: dict[int, int] = {}
    for segment in module.elements:
        if segment.mode != ACTIVE or segment.table_index != table or segment.offset is None:
            continue
        for i, func in enumerate(segment.functions):
            if func is not None:
                slots[segment.offset + i] = func
    return slots


def _table_type(module: WasmModule, table: int) -> TableType | None:
    imported = [i.type for i in module.imports if i.kind == TABLE]
    tables = [t for t in imported if isinstance(t, TableType)] + list(module.tables)
    return tables[table] if 0 <= table < len(tables) else None


def _same_type(a: CompositeType | None, b: CompositeType | None) -> bool:
    return a is not None and b is not None and (a.kind, a.params, a.results) == (b.kind, b.params, b.results)


def _slot_list(module: WasmModule, entries: list[tuple[int, int]], with_type: bool) -> str:
    shown = []
    for slot, func in entries[:MAX_LISTED]:
        text = f"slot {slot} {_function_label(module, func)}"
        ftype = module.function_type(func)
        if with_type and ftype is not None:
            text += f" {ftype.signature()}"
        shown.append(text)
    if len(entries) > MAX_LISTED:
        shown.append(f"{len(entries) - MAX_LISTED} more")
    return ", ".join(shown)


def _indirect(kind: str, stack: Sequence[_Frame], module: WasmModule) -> list[str]:
    where = f" in {_where_physical(stack[0])}" if stack else ""
    instruction = _faulting_instruction(stack, module)
    if instruction is None or instruction.mnemonic not in ("call_indirect", "return_call_indirect"):
        what = {
            "bad_signature": "made an indirect call to a function of the wrong type",
            "indirect_call_to_null": "made an indirect call through a null (uninitialised) table slot",
            "table_out_of_bounds": "accessed a table beyond its size",
        }[kind]
        return [f"The program {what}{where}."]
    type_index, table = instruction.immediates[0], instruction.immediates[1]
    expected = module.types[type_index] if 0 <= type_index < len(module.types) else None
    slots = sorted(_table_slots(module, table).items())
    table_type = _table_type(module, table)
    size = f"{table_type.limits.min}-slot " if table_type is not None else ""
    if kind == "bad_signature":
        signature = expected.signature() if expected is not None else f"type {type_index}"
        sentences = [
            (
                f"An indirect call{where} failed its type check: {instruction.mnemonic} expects type {type_index} "
                f"{signature} (table {table}), but the function in the slot it used has another type."
            )
        ]
        matching = [(s, f) for s, f in slots if _same_type(module.function_type(f), expected)]
        other = [(s, f) for s, f in slots if not _same_type(module.function_type(f), expected)]
        if slots:
            text = "The slot index is computed at run time; as the element segments fill the table, "
            text += f"the functions of type {type_index} are in {_slot_list(module, matching, False)}" if matching else (
                f"no slot holds a function of type {type_index}"
            )
            if other:
                text += f", and those of other types are in {_slot_list(module, other, True)}"
            sentences.append(text + ".")
        return sentences
    if kind == "indirect_call_to_null":
        filled = ", ".join(str(s) for s, _ in slots[: MAX_LISTED * 2])
        fills = f"fill slot{'s' if len(slots) > 1 else ''} {filled}" if slots else "fill no slot"
        return [
            (
                f"An indirect call{where} ({instruction.mnemonic} on table {table}) used a null slot. "
                f"The element segments {fills} of the {size}table; the slot index is computed at run time."
            )
        ]
    return [
        (
            f"An indirect call{where} ({instruction.mnemonic} on table {table}) used a slot index past the end of "
            f"the {size}table; the index is computed at run time."
        )
    ]


# -- memory -----------------------------------------------------------------------------------


def _global_values(module: WasmModule) -> dict[str, int]:
    """Constant initial values of globals named by an export or the name section (`__heap_base`, `__stack_pointer`)."""
    imported = sum(1 for i in module.imports if i.kind == GLOBAL)
    names: dict[int, str] = dict(module.names.globals) if module.names else {}
    names.update({e.index: e.name for e in module.exports if e.kind == GLOBAL})
    values = {}
    for index, name in names.items():
        defined = index - imported
        if 0 <= defined < len(module.globals):
            value = const_value(module.globals[defined].init)
            if value is not None:
                values[name] = value
    return values


def _memory_fault(outcome: Mapping[str, Any], stack: Sequence[_Frame], module: WasmModule) -> list[str]:
    address = outcome.get("fault_address")
    size = outcome.get("memory_size")
    where = f" in {_where_physical(stack[0])}" if stack else ""
    instruction = _faulting_instruction(stack, module)
    access = instruction.mnemonic if instruction is not None else ""
    if not isinstance(address, int):
        return [f"The program accessed linear memory out of bounds{where}; wasmtime did not report the address."]
    sentence = f"Memory fault{where}: {access or 'an access'} at 0x{address:x}"
    if isinstance(size, int):
        if address >= size:
            sentence += f", beyond the end of the 0x{size:x}-byte ({describe_bytes(size)}) linear memory, 0x{address - size:x} bytes past it"
        else:
            sentence += f", which runs past the end of the 0x{size:x}-byte ({describe_bytes(size)}) linear memory"
    sentences = [sentence + "."]
    regions = _regions(module, address, size if isinstance(size, int) else None)
    if regions:
        sentences.append(regions)
    return sentences


def _regions(module: WasmModule, address: int, size: int | None) -> str:
    values = _global_values(module)
    parts = []
    data = [(d.offset, d.offset + d.size) for d in module.data_segments
            if d.mode == ACTIVE and d.memory_index == 0 and d.offset is not None and d.size]  # fmt: skip
    data_end = values.get("__data_end")
    if data:
        start, end = min(s for s, _ in data), max(e for _, e in data)
        if data_end is not None and data_end >= end:
            parts.append(f"static data occupies 0x{start:x}–0x{data_end:x} (__data_end)")
        else:
            parts.append(f"the data segments occupy 0x{start:x}–0x{end:x}")
        if address < start:
            parts.append(f"0x{address:x} lies below the first data segment, near address 0")
        elif address < max(end, data_end or 0):
            parts.append(f"0x{address:x} lies in static data")
    stack_pointer = values.get("__stack_pointer")
    if stack_pointer is not None:
        parts.append(f"__stack_pointer starts at 0x{stack_pointer:x} and the stack grows down from there")
    heap_base = values.get("__heap_base")
    if heap_base is not None:
        end_text = f" to the end of memory at 0x{size:x}" if size is not None else ""
        parts.append(f"the heap runs from __heap_base 0x{heap_base:x}{end_text}")
        if size is not None and heap_base <= address < size:
            parts.append(f"0x{address:x} lies in the heap")
    elif size is not None:
        parts.append(f"the memory ends at 0x{size:x}")
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _memory_cap(outcome: Mapping[str, Any], module: WasmModule, limits: RunLimits) -> str:
    cap = limits.max_memory_bytes
    peak_pages = (outcome.get("peak_pages") or [None])[0]
    if cap is None or not isinstance(peak_pages, int):
        return ""
    peak = peak_pages * PAGE
    initial = module.memories[0].limits.min if module.memories else None
    # A memory that never grew did not meet the cap, however small the cap is.
    if not memory_cap_hit(peak, cap) or (initial is not None and peak_pages <= initial):
        return ""
    grew = f" (grown from {initial} to {peak_pages} pages)" if initial is not None else f" ({peak_pages} pages)"
    return (
        f"Linear memory reached {describe_bytes(peak)}{grew} of the {describe_bytes(cap)} cap (max-memory-size); "
        f"memory.grow past the cap fails and returns -1, which is how allocators see an exhausted heap."
    )

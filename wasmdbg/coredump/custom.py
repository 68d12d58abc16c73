"""The coredump's custom sections: their grammar (shared with the writer) and a tolerant reader.

Grammar (tool-conventions `Coredump.md`, as wasmparser's `readers/core/coredumps.rs` reads it):

    core          ::= 0x00 executable:name
    coremodules   ::= vec(0x00 module:name)
    coreinstances ::= vec(0x00 moduleidx:u32 memories:vec(u32) globals:vec(u32))
    corestack     ::= 0x00 thread:name vec(frame)
    frame         ::= 0x00 instanceidx:u32 funcidx:u32 codeoffset:u32 locals:vec(value) stack:vec(value)
    value         ::= 0x01 | 0x7F i32:sleb | 0x7E i64:sleb | 0x7D f32:4 bytes LE | 0x7C f64:8 bytes LE

and wasmdbg's own section, which other tools ignore like any unknown custom section:

    wasmdbg-notes ::= 0x00 notes:vec(name) uncaptured:vec(globalidx:u32 known:u8)

`notes` are one-line statements the writer wants a reader to see; each `uncaptured` entry names a global
the writer could not read, with known=1 when the global section holds a stand-in value (the module's
initial value) and known=0 when it holds a placeholder 0. The leading 0x00 is a version, as in `core`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from wasmdbg.coredump.model import CoreFrame, CoreInstance, CoreThread, CoreValue
from wasmdbg.errors import WasmFormatError
from wasmdbg.wasm.reader import Reader

NOTES_SECTION = "wasmdbg-notes"
STANDARD_CUSTOM_SECTIONS = frozenset({"core", "coremodules", "coreinstances", "corestack", NOTES_SECTION})
"""The custom sections the reader interprets; any other is handed on as it is (`CoreDump.other_sections`)."""
MISSING = 0x01
VALUE_CODES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64"}
"""corestack value type bytes (the numeric value types' codes); 0x01 is a missing value."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CustomParts:
    """What the custom sections of a dump hold."""

    executable: str
    modules: tuple[str, ...]
    instances: tuple[CoreInstance, ...]
    threads: tuple[CoreThread, ...]
    stored_notes: tuple[str, ...]
    """The writer's notes (`wasmdbg-notes`)."""
    uncaptured: tuple[tuple[int, bool], ...]
    """(global index, whether the global section holds a stand-in value) for each global the writer could not read."""


def read_vector(
    r: Reader, what: str, read_one: Callable[[Reader], T], notes: list[str], *, last: bool = True
) -> list[T]:
    """Read `vec(item)` up to the first damaged item; a note says what was lost.

    Each item takes at least one byte, so the bytes left bound the loop whatever the count claims.
    With `last`, bytes left after the vector are noted as unread.
    """
    try:
        count = r.u32()
    except WasmFormatError:
        notes.append(f"the {what} is damaged: its count is unreadable")
        return []
    items: list[T] = []
    try:
        while len(items) < count and not r.at_end():
            items.append(read_one(r))
    except WasmFormatError as error:
        notes.append(f"the {what} is damaged at 0x{error.offset:x} ({error.expected}): {len(items)} of {count} read")
        return items
    if len(items) < count:
        notes.append(f"the {what} is cut short: {len(items)} of {count} read")
    elif last and not r.at_end():
        notes.append(f"the {what} has {r.remaining} unread bytes at its end")
    return items


def read_custom_sections(data: bytes, customs: list[tuple[str, int, int]], notes: list[str]) -> CustomParts:
    """Read the coredump's custom sections, given as (name, payload start, end) in file order."""
    executable = ""
    modules: list[str] = []
    instances: list[CoreInstance] = []
    threads: list[CoreThread] = []
    stored: list[str] = []
    uncaptured: list[tuple[int, bool]] = []
    seen: set[str] = set()
    for name, start, end in customs:
        if name in ("core", "coremodules", "coreinstances", NOTES_SECTION):
            if name in seen:
                notes.append(f"the dump has more than one '{name}' section; only the first is read")
                continue
            seen.add(name)
        r = Reader(data, start, end)
        if name == "core":
            executable = _core(r, notes)
        elif name == "coremodules":
            modules = read_vector(r, "'coremodules' section", _module, notes)
        elif name == "coreinstances":
            instances = read_vector(r, "'coreinstances' section", _instance, notes)
        elif name == "corestack":
            thread = _thread(r, notes)
            if thread is not None:
                threads.append(thread)
        elif name == NOTES_SECTION:
            stored, uncaptured = _notes(r, notes)
    for name in ("coremodules", "coreinstances"):
        if name not in seen:
            notes.append(f"the dump has no '{name}' section")
    if not any(name == "corestack" for name, _, _ in customs):
        notes.append("the dump has no 'corestack' section: it records no stack frames")
    return CustomParts(executable, tuple(modules), tuple(instances), tuple(threads), tuple(stored), tuple(uncaptured))


def _expect_zero(r: Reader, what: str) -> None:
    at = r.pos
    if r.u8() != 0x00:
        raise r.error(f"invalid start byte for {what}", at)


def _core(r: Reader, notes: list[str]) -> str:
    try:
        _expect_zero(r, "the process info")
        executable = r.lossy_name()
    except WasmFormatError as error:
        notes.append(f"the 'core' section is damaged ({error.message}); the executable name is unknown")
        return ""
    if not r.at_end():
        notes.append(f"the 'core' section has {r.remaining} unread bytes at its end")
    return executable


def _module(r: Reader) -> str:
    _expect_zero(r, "a coremodule")
    return r.lossy_name()


def _instance(r: Reader) -> CoreInstance:
    _expect_zero(r, "a coreinstance")
    module_index = r.u32()
    memories = tuple(r.u32() for _ in range(r.count("instance memory")))
    globals_ = tuple(r.u32() for _ in range(r.count("instance global")))
    return CoreInstance(module_index, memories, globals_)


def _thread(r: Reader, notes: list[str]) -> CoreThread | None:
    at = r.pos
    try:
        _expect_zero(r, "the thread info")
        name = r.lossy_name()
    except WasmFormatError as error:
        notes.append(f"the 'corestack' section at 0x{at:x} is damaged ({error.message}); its thread is not shown")
        return None
    frames = read_vector(r, f"'corestack' section of thread {name!r}", _frame, notes)
    return CoreThread(name, tuple(frames))


def _frame(r: Reader) -> CoreFrame:
    _expect_zero(r, "a stack frame")
    instance, func_index, code_offset = r.u32(), r.u32(), r.u32()
    locals_ = tuple(_value(r) for _ in range(r.count("frame local")))
    stack = tuple(_value(r) for _ in range(r.count("frame stack value")))
    return CoreFrame(instance, func_index, code_offset, locals_, stack)


def _value(r: Reader) -> CoreValue:
    at = r.pos
    code = r.u8()
    if code == MISSING:
        return CoreValue("missing", None)
    kind = VALUE_CODES.get(code)
    if kind == "i32":
        return CoreValue(kind, r.s32())
    if kind == "i64":
        return CoreValue(kind, r.s64())
    if kind == "f32":
        return CoreValue(kind, float(struct.unpack("<f", r.bytes(4, "f32 value"))[0]))
    if kind == "f64":
        return CoreValue(kind, float(struct.unpack("<d", r.bytes(8, "f64 value"))[0]))
    raise r.error(f"invalid value type 0x{code:02x}", at)


def _notes(r: Reader, notes: list[str]) -> tuple[list[str], list[tuple[int, bool]]]:
    try:
        _expect_zero(r, f"the '{NOTES_SECTION}' section")
    except WasmFormatError as error:
        notes.append(f"the '{NOTES_SECTION}' section is of an unknown version ({error.message}); it is ignored")
        return [], []
    stored = read_vector(r, f"'{NOTES_SECTION}' notes", Reader.lossy_name, notes, last=False)
    # The writer refuses a note spanning lines; a dump from elsewhere may hold one anyway.
    stored = [note.replace("\r\n", " ").replace("\n", " ").replace("\r", " ") for note in stored]
    uncaptured = read_vector(r, f"'{NOTES_SECTION}' uncaptured globals", _uncaptured, notes)
    return stored, uncaptured


def _uncaptured(r: Reader) -> tuple[int, bool]:
    index = r.u32()
    at = r.pos
    known = r.u8()
    if known > 1:
        raise r.error(f"invalid known flag {known}", at)
    return index, bool(known)

"""read_coredump: a wasm coredump's bytes -> CoreDump, keeping what damaged input still holds.

A coredump is a core module that is never instantiated: memory, global and data sections carry the
process image, and custom sections (`core`, `coremodules`, `coreinstances`, `corestack`) the rest
(tool-conventions `Coredump.md`). The standard sections are read with `wasmdbg.wasm.read_module`; when
that refuses the bytes (a truncated dump, a section whose size lies) a tolerant walk of our own reads
them section by section and item by item, and every loss becomes a one-line note. Either way every
count is bounded by the bytes that remain, so no input can make the reader hang or allocate much.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from wasmdbg.coredump.custom import NOTES_SECTION, STANDARD_CUSTOM_SECTIONS, read_custom_sections, read_vector
from wasmdbg.coredump.model import (
    CoreDump,
    CoreGlobal,
    CoreInstance,
    CoreMemory,
    CoreThread,
)
from wasmdbg.errors import WasmdbgError, WasmFormatError
from wasmdbg.wasm import sections as S
from wasmdbg.wasm.entities import Global, read_global
from wasmdbg.wasm.module import read_module
from wasmdbg.wasm.reader import Reader
from wasmdbg.wasm.segments import ACTIVE, constant_value, read_data_segment_header
from wasmdbg.wasm.types import Limits, read_limits

DEFAULT_PAGE_BYTES = 65536


class CoredumpError(WasmdbgError):
    """The bytes are not a wasm coredump at all (not a wasm binary, or no `core` section)."""


class Segment(NamedTuple):
    """One data segment as the standard sections give it."""

    mode: str
    memory_index: int | None
    offset: int | None
    """The constant offset as `i32.const`/`i64.const` wrote it (signed), or None."""
    payload: bytes
    """The segment's bytes; shorter than `declared` when the dump is cut short inside it."""
    declared: int
    """The size the segment declares."""


@dataclass
class Layout:
    """The standard sections of a dump and where its custom sections lie; what both readers produce."""

    memories: list[Limits] = field(default_factory=list)
    globals: list[Global] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    customs: list[tuple[str, int, int]] = field(default_factory=list)
    """(name, payload start, end) of each custom section, in file order."""
    imports: int = 0
    """Import entries; a coredump has none, and they are ignored."""


def read_coredump(data: bytes) -> CoreDump:
    """Read a wasm coredump.

    Args:
        data: the coredump file's bytes.

    Returns:
        Everything that could be read; `notes` says what was damaged, missing or guessed.

    Raises:
        CoredumpError: the bytes are not a wasm binary, or have no `core` section.
    """
    _check_header(data)
    notes: list[str] = []
    try:
        layout = strict_layout(data)
    except WasmdbgError as error:
        notes.append(f"the dump is not a well-formed wasm binary ({error.message}); it was read section by section")
        layout = tolerant_layout(data, notes)
    if not any(name == "core" for name, _, _ in layout.customs):
        raise CoredumpError(
            "not a wasm coredump: it has no 'core' section (is it the module itself?)",
            hint="runtimes write a coredump when a module traps, e.g. `wasmtime run -D coredump=FILE module.wasm`",
        )
    if layout.imports:
        notes.append(f"the dump has {layout.imports} imports, which a coredump should not; they are ignored")
    custom = read_custom_sections(data, layout.customs, notes)
    memories = _memories(layout, notes)
    uncaptured = dict(custom.uncaptured)
    globals_ = tuple(_global(i, g, uncaptured, notes) for i, g in enumerate(layout.globals))
    if any(i >= len(globals_) for i in uncaptured):
        notes.append(f"the {NOTES_SECTION} section lists globals that the dump does not have")
    _check_references(custom.instances, custom.threads, len(memories), len(globals_), notes)
    return CoreDump(
        executable=custom.executable,
        modules=custom.modules,
        instances=custom.instances,
        threads=custom.threads,
        memories=memories,
        globals=globals_,
        notes=custom.stored_notes + tuple(notes),
        other_sections=tuple(
            (name, data[start:end]) for name, start, end in layout.customs if name not in STANDARD_CUSTOM_SECTIONS
        ),
    )


def _check_header(data: bytes) -> None:
    if data[:4] != S.MAGIC:
        raise CoredumpError("not a wasm coredump: it is not a WebAssembly binary (no '\\0asm' header)")
    version = data[4:8]
    if version == S.COMPONENT_VERSION:
        raise CoredumpError("not a wasm coredump: it is a WebAssembly component, and coredumps are core modules")
    if len(version) < 4:
        raise CoredumpError("not a wasm coredump: the file ends inside the wasm header")
    if version != S.CORE_VERSION:
        raise CoredumpError(f"not a wasm coredump: unknown wasm binary version 0x{int.from_bytes(version, 'little'):x}")


# -- the two readers of the standard sections ---------------------------------------------------


def strict_layout(data: bytes) -> Layout:
    """The layout as `wasmdbg.wasm.read_module` reads it; raises `WasmFormatError` on any malformation."""
    module = read_module(data)
    segments = [
        Segment(s.mode, s.memory_index, s.offset, data[s.data_offset : s.data_offset + s.size], s.size)
        for s in module.data_segments
    ]
    customs = [(s.name, s.data_offset, s.end) for s in module.sections if s.is_custom]
    return Layout(list(module.defined_memories), list(module.globals), segments, customs, len(module.imports))


def tolerant_layout(data: bytes, notes: list[str]) -> Layout:
    """The layout read section by section, keeping every entry that precedes damage; notes say what was lost."""
    layout = Layout()
    pos = 8
    while pos < len(data):
        r = Reader(data, pos)
        try:
            section_id = r.u8()
            size = r.u32()
        except WasmFormatError:
            notes.append(f"the dump is truncated: the section header at 0x{pos:x} is cut short")
            break
        if section_id not in S.SECTION_NAMES:
            notes.append(f"unknown section id {section_id} at 0x{pos:x}: the rest of the dump is ignored")
            break
        what = S.SECTION_NAMES[section_id]
        start, end = r.pos, r.pos + size
        if end > len(data):
            notes.append(
                f"the dump is truncated: the {what} section at 0x{pos:x} claims {size} bytes, {len(data) - start} remain"
            )
            end = len(data)
        section = Reader(data, start, end)
        if section_id == S.CUSTOM:
            _custom_entry(section, layout, notes, pos)
        elif section_id == S.IMPORT:
            layout.imports += _import_count(section)
        elif section_id == S.MEMORY:
            layout.memories += read_vector(section, "memory section", lambda r: read_limits(r, "memory type"), notes)
        elif section_id == S.GLOBAL:
            layout.globals += read_vector(section, "global section", read_global, notes)
        elif section_id == S.DATA:
            layout.segments += read_vector(section, "data section", _segment, notes)
        pos = end
    return layout


def _custom_entry(section: Reader, layout: Layout, notes: list[str], header: int) -> None:
    try:
        name = section.lossy_name()
    except WasmFormatError:
        notes.append(f"the custom section at 0x{header:x} is damaged: its name is cut short")
        return
    layout.customs.append((name, section.pos, section.end))


def _import_count(section: Reader) -> int:
    try:
        return section.u32()
    except WasmFormatError:
        return 0


def _segment(r: Reader) -> Segment:
    """One data segment; a payload cut short by the end of the dump keeps the bytes that are there."""
    mode, memory_index, offset, size = read_data_segment_header(r)
    return Segment(mode, memory_index, offset, r.bytes(min(size, r.remaining)), size)


# -- from the layout to the model ---------------------------------------------------------------


def _memories(layout: Layout, notes: list[str]) -> tuple[CoreMemory, ...]:
    pieces: list[list[tuple[int, bytes]]] = [[] for _ in layout.memories]
    for number, segment in enumerate(layout.segments):
        if segment.mode != ACTIVE:
            notes.append(f"data segment {number} is {segment.mode}, which a coredump does not use; it is ignored")
        elif segment.memory_index is None or segment.memory_index >= len(pieces):
            notes.append(f"data segment {number} is for memory {segment.memory_index}, which the dump does not have")
        elif segment.offset is None:
            notes.append(f"data segment {number} has no constant offset; its bytes are not shown")
        else:
            limits = layout.memories[segment.memory_index]
            # i32.const/i64.const are signed: wasmtime writes addresses >= 2**31 as negative numbers.
            address = segment.offset & ((1 << (64 if limits.is64 else 32)) - 1)
            pieces[segment.memory_index].append((address, segment.payload))
            if len(segment.payload) < segment.declared:
                notes.append(
                    f"the dump is truncated: data segment {number} (memory {segment.memory_index} at 0x{address:x})"
                    f" is cut short after {len(segment.payload)} of {segment.declared} bytes; memory beyond is shown as zeros"
                )
    memories = []
    for index, (limits, segments) in enumerate(zip(layout.memories, pieces)):
        page_bytes = _page_bytes(index, limits, notes)
        size = limits.min * page_bytes
        if any(address + len(payload) > size for address, payload in segments):
            notes.append(f"memory {index} has data past its size of {size} bytes; that data is not shown")
        memories.append(CoreMemory(index, limits.min, limits.max, page_bytes, tuple(segments)))
    return tuple(memories)


def _page_bytes(index: int, limits: Limits, notes: list[str]) -> int:
    log2 = limits.page_size_log2
    if log2 is None or log2 == 16:
        return DEFAULT_PAGE_BYTES
    if log2 == 0:
        return 1
    # Only 1-byte and 64 KiB pages exist (custom-page-sizes); never compute 1 << log2 for an absurd log2.
    notes.append(f"memory {index} declares a page size of 2**{log2} bytes, which wasm does not allow; 64 KiB assumed")
    return DEFAULT_PAGE_BYTES


def _global(index: int, g: Global, uncaptured: dict[int, bool], notes: list[str]) -> CoreGlobal:
    value = constant_value(g.init)
    if value is None and g.type.val_type in ("i32", "i64", "f32", "f64", "v128"):
        notes.append(f"global {index} is not initialized by a single constant; its value is unknown")
    if index not in uncaptured:
        return CoreGlobal(index, g.type.val_type, g.type.mutable, value, True)
    known = uncaptured[index]
    return CoreGlobal(index, g.type.val_type, g.type.mutable, value if known else None, False)


def _check_references(
    instances: tuple[CoreInstance, ...], threads: tuple[CoreThread, ...], memories: int, globals_: int, notes: list[str]
) -> None:
    for number, instance in enumerate(instances):
        missing_memories = sorted({m for m in instance.memories if m >= memories})
        if missing_memories:
            notes.append(f"instance {number} lists memories {missing_memories} that the dump does not hold (not captured)")
        missing_globals = sorted({g for g in instance.globals if g >= globals_})
        if missing_globals:
            notes.append(f"instance {number} lists globals {missing_globals} that the dump does not hold (not captured)")
    for thread in threads:
        strays = sorted({frame.instance for frame in thread.frames if frame.instance >= len(instances)})
        if strays:
            notes.append(f"thread {thread.name!r} has frames of instances {strays}, which the dump does not list")




"""write_coredump: a trapped run's frames, memories and globals -> a coredump file that other tools read.

The layout copies wasmtime's `WasmCoreDump::_serialize` (crates/wasmtime/src/runtime/coredump.rs):
sections in the order `core`, memory, global, data, `coremodules`, `coreinstances`, `corestack`, with one
module, one instance that owns every memory and global, and one thread "main" whose frames carry no
locals or operand stack. wasmdbg appends its own `wasmdbg-notes` custom section (grammar in
`wasmdbg.coredump.custom`) when it has notes or globals it could not read.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from wasmdbg.coredump.custom import NOTES_SECTION
from wasmdbg.coredump.model import CoreGlobal
from wasmdbg.wasm import sections as S
from wasmdbg.wasm import encode as E

ZERO_RUN_BYTES = 4096
"""A run of zeros at least this long is left out of the data segments (the reader shows it as zeros)."""
MAX_SEGMENTS = 50_000
"""Stay well under wasmparser's limit of 100,000 data segments: longer memories skip longer runs only."""

_GLOBAL_TYPES = {"i32": 0x7F, "i64": 0x7E, "f32": 0x7D, "f64": 0x7C, "v128": 0x7B, "funcref": 0x70, "externref": 0x6F}
_NONZERO = re.compile(rb"[^\x00]")


@dataclass(frozen=True, slots=True)
class MemoryImage:
    """One linear memory as a runner captured it."""

    min_pages: int
    """The memory's current size in pages (wasmtime writes the current size as the minimum)."""
    max_pages: int | None
    page_bytes: int
    """65536, or 1 for a memory with the custom page size 1."""
    data: bytes
    """The memory's contents from address 0; shorter than the memory means the rest is zeros."""


def write_coredump(
    executable: str,
    frames: Sequence[tuple[int, int]],
    memories: Sequence[MemoryImage],
    globals: Sequence[CoreGlobal],
    notes: Sequence[str] = (),
    other_sections: Sequence[tuple[str, bytes]] = (),
) -> bytes:
    """Encode a coredump.

    Args:
        executable: the module's path or name, written to `core` and as the one `coremodules` entry.
        frames: (function index, code offset) pairs, innermost first; code offsets are function-relative
            (`wasmdbg.coredump.offsets.code_offset` converts module offsets).
        memories: each memory's limits and contents.
        globals: written in this order (a global's position is its index in the dump; `index` is not
            read). A global with `captured=False` is written with its `value` (0 when None) and listed
            as not captured in `wasmdbg-notes`, so `read_coredump` restores `captured` and a None value.
        notes: one-line statements for whoever reads the dump (what was not captured, and why).
        other_sections: (name, payload) custom sections written last, as they are (the reader hands
            them back in `CoreDump.other_sections`).

    Returns:
        A wasm binary that `wasm-tools validate` accepts.

    Raises:
        ValueError: an offset or index does not fit a u32, a page size other than 1 or 65536, data
            larger than the memory, a memory over 4 GiB, a global type or value the writer cannot
            encode, or a note spanning lines.
    """
    out = bytearray(S.MAGIC + S.CORE_VERSION)
    out += E.custom_section("core", b"\x00" + E.name(executable))
    out += E.section(S.MEMORY, E.vector([_limits(m) for m in memories]))
    out += E.section(S.GLOBAL, E.vector([_global(g) for g in globals]))
    out += E.section(S.DATA, E.vector(list(_data_segments(memories))))
    out += E.custom_section("coremodules", E.vector([b"\x00" + E.name(executable)]))
    instance = b"\x00" + E.u32(0) + E.vector([E.u32(i) for i in range(len(memories))])
    out += E.custom_section("coreinstances", E.vector([instance + E.vector([E.u32(i) for i in range(len(globals))])]))
    out += E.custom_section("corestack", b"\x00" + E.name("main") + E.vector([_frame(f, o) for f, o in frames]))
    uncaptured = [E.u32(i) + bytes([g.value is not None]) for i, g in enumerate(globals) if not g.captured]
    if notes or uncaptured:
        for note in notes:
            if "\n" in note or "\r" in note:
                raise ValueError(f"a coredump note must be one line: {note!r}")
        out += E.custom_section(NOTES_SECTION, b"\x00" + E.vector([E.name(n) for n in notes]) + E.vector(uncaptured))
    for name, payload in other_sections:
        out += E.custom_section(name, payload)
    return bytes(out)


# -- sections -----------------------------------------------------------------------------------


def _limits(memory: MemoryImage) -> bytes:
    if memory.page_bytes not in (1, 65536):
        raise ValueError(f"page size {memory.page_bytes} is not 1 or 65536 bytes")
    if len(memory.data) > memory.min_pages * memory.page_bytes:
        raise ValueError(f"{len(memory.data)} bytes of data do not fit in {memory.min_pages} pages")
    for pages in (memory.min_pages, memory.max_pages or 0):
        if pages * memory.page_bytes > 2**32:
            raise ValueError(f"{pages} pages of {memory.page_bytes} bytes exceed the 4 GiB of a 32-bit memory")
    flags = (memory.max_pages is not None) | (0x08 if memory.page_bytes == 1 else 0)
    encoded = bytes([flags]) + E.u32(memory.min_pages)
    if memory.max_pages is not None:
        encoded += E.u32(memory.max_pages)
    if memory.page_bytes == 1:
        encoded += E.u32(0)  # log2 of the page size
    return encoded


def _global(g: CoreGlobal) -> bytes:
    # The spec asks for immutable globals; wasmtime keeps each global's own mutability, and so do we,
    # so a reader can tell the stack pointer from a constant.
    code = _GLOBAL_TYPES.get(g.type)
    if code is None:
        raise ValueError(f"cannot write a global of type {g.type!r}")
    value = 0 if g.value is None else g.value
    if g.type == "i32":
        init = b"\x41" + E.sleb(_wrap(int(value), 32))
    elif g.type == "i64":
        init = b"\x42" + E.sleb(_wrap(int(value), 64))
    elif g.type == "f32":
        try:
            init = b"\x43" + struct.pack("<f", float(value))
        except OverflowError:
            raise ValueError(f"global {g.index}: {value} does not fit in an f32") from None
    elif g.type == "f64":
        init = b"\x44" + struct.pack("<d", float(value))
    elif g.type == "v128":
        init = b"\xfd\x0c" + (int(value) & ((1 << 128) - 1)).to_bytes(16, "little")
    else:  # references are written as null, as wasmtime does
        init = b"\xd0" + bytes([code])
    return bytes([code, int(g.mutable)]) + init + b"\x0b"


def _data_segments(memories: Sequence[MemoryImage]) -> Iterator[bytes]:
    for index, memory in enumerate(memories):
        head = b"\x00" if index == 0 else b"\x02" + E.u32(index)
        for start, end in nonzero_spans(memory.data):
            # i32.const is signed: addresses >= 2**31 are written as negative numbers, as wasmtime does.
            offset = b"\x41" + E.sleb(_wrap(start, 32)) + b"\x0b"
            yield head + offset + E.u32(end - start) + memory.data[start:end]


def nonzero_spans(data: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of the parts of `data` left once zero runs of at least `ZERO_RUN_BYTES` are cut out.

    Each span starts and ends with a non-zero byte. The run length grows with the memory so that no
    memory yields more than `MAX_SEGMENTS` spans.
    """
    run = max(ZERO_RUN_BYTES, len(data) // MAX_SEGMENTS + 1)
    zeros = bytes(run)
    pos = 0
    while (found := _NONZERO.search(data, pos)) is not None:
        start = found.start()
        gap = data.find(zeros, start)
        if gap >= 0:  # data[gap - 1] is not zero, or the run would have been found one byte earlier
            yield start, gap
            pos = gap + run
            continue
        # No run left: trim the zeros (fewer than a run) at the very end, copying at most `run` bytes.
        tail = data[max(start, len(data) - run) :]
        yield start, len(data) - (len(tail) - len(tail.rstrip(b"\x00")))
        return


def _frame(func_index: int, code_offset: int) -> bytes:
    return b"\x00" + E.u32(0) + E.u32(func_index) + E.u32(code_offset) + E.vector([]) + E.vector([])


def _wrap(value: int, bits: int) -> int:
    """`value` as a signed `bits`-bit integer (unsigned inputs wrap, as a runtime would store them)."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value

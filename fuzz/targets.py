"""Fuzz targets: each takes any bytes and must end with its documented error or an answer, nothing else.

A target returns normally when the input was handled as wasmdbg promises: an answer, or the one
exception type that says "malformed input" (which the CLI turns into one line). Any other exception
escapes, and the fuzzer records the input as a crash. Hangs and memory blow-ups are caught by the
fuzzer's own `-timeout` and `-rss_limit_mb` (see fuzz/README.md).

The targets are plain functions so the test suite can replay seeds and saved crashes without atheris.
"""

from __future__ import annotations

from collections.abc import Callable

from wasmdbg.errors import WasmdbgError, WasmFormatError


def reader(data: bytes) -> None:
    """The binary reader: a module, its custom sections, every body's instructions, the boundary map."""
    from wasmdbg.wasm.boundaries import build_boundaries
    from wasmdbg.wasm.module import read_module

    try:
        module = read_module(data)
    except WasmFormatError:
        return
    _ = module.names, module.export_names
    code = module.code_section
    if code is not None:
        build_boundaries(module.data, code.offset, code.end, module.bodies)
        for body in module.bodies:
            module.function_at(body.code_offset)
    try:
        module.check_code()
    except WasmFormatError:
        pass


def coredump(data: bytes) -> None:
    """The coredump reader: any bytes are a coredump with notes, or one CoredumpError."""
    from wasmdbg.coredump.read import CoredumpError, read_coredump

    try:
        dump = read_coredump(data)
    except CoredumpError:
        return
    for memory in dump.memories:
        # What the memory view asks for: around address 0 and the end, as a trap view would.
        memory.read(0, 256)
        memory.read(max(0, memory.size - 256), 256)
        _ = memory.captured_bytes


def traces(data: bytes) -> None:
    """The pasted-trace parser: any text gives a (possibly empty) list of traces and never raises."""
    from wasmdbg.backtrace.detect import parse_text
    from wasmdbg.backtrace.lines import decode_input

    parse_text(decode_input(data))


def dwarf_lines(data: bytes) -> None:
    """The direct line-program decoder: a program, or one LineProgramError.

    The first byte picks the address size and which of the rest is `.debug_str` (a split point),
    so strings-referencing DWARF 5 headers get exercised too.
    """
    from wasmdbg.dwarf.lines import LineProgramError, decode_line_program

    if len(data) < 2:
        return
    address_size = (1, 2, 4, 8)[data[0] & 3]
    split = len(data) - (data[1] * len(data) >> 8)
    section, strings = data[2:split], data[split:]
    try:
        decode_line_program(section, 0, address_size, strings=strings, line_strings=strings)
    except LineProgramError:
        return


def dwarf_dies(data: bytes) -> None:
    """The direct DIE reader: a walk of every DIE of a unit, or one DieError.

    Byte 0 picks the DWARF version, offset and address sizes and whether the unit has string
    sections; byte 1 splits the rest into `.debug_abbrev` and `.debug_info` (the unit's DIEs, its
    header already read); byte 2 sets the string-offsets and address bases.
    """
    from wasmdbg.dwarf.dies import AbbrevTables, DieError, Sections, UnitLayout, walk_unit

    if len(data) < 3:
        return
    control, split_at, base = data[0], data[1], data[2]
    rest = data[3:]
    split = split_at * len(rest) >> 8
    abbrev, info = rest[:split], rest[split:]
    strings = info if control & 0x40 else None
    sections = Sections(info, abbrev, strings=strings, line_strings=strings, str_offsets=strings, addr=strings)
    layout = UnitLayout(
        die_start=0, end=len(info), version=2 + (control & 3), offset_size=8 if control & 4 else 4,
        address_size=8 if control & 8 else 4, abbrev_offset=0, depth=(control >> 4) & 1,
        bases={"DW_AT_str_offsets_base": base, "DW_AT_addr_base": base} if control & 0x20 else {},
    )  # fmt: skip
    try:
        for _ in walk_unit(sections, AbbrevTables(sections), layout):
            pass
    except DieError:
        return


TARGETS: dict[str, Callable[[bytes], None]] = {
    "reader": reader,
    "coredump": coredump,
    "traces": traces,
    "dwarf_lines": dwarf_lines,
    "dwarf_dies": dwarf_dies,
}
"""Target name -> function, as `fuzz/run.py TARGET` names them."""

EXPECTED: tuple[type[BaseException], ...] = (WasmdbgError,)
"""Never raised by a target on purpose; listed so a reader sees the CLI's contract in one place."""

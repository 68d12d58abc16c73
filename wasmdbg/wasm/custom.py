"""Tool-convention custom sections: producers, build_id, external_debug_info, sourceMappingURL, DWARF.

These sections are advisory: a damaged one is reported as a warning and read as absent, never
fatal to reading the module.
"""

from __future__ import annotations

from dataclasses import dataclass

from wasmdbg.wasm.reader import Reader

Producers = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
"""(field, ((name, version), ...)) in section order, e.g. ("language", (("C11", ""),))."""


def read_producers(data: bytes, start: int, end: int) -> Producers:
    """Read a `producers` section payload."""
    r = Reader(data, start, end)
    fields = []
    for _ in range(r.count("producers field", 2)):
        field_name = r.lossy_name()
        values = tuple((r.lossy_name(), r.lossy_name()) for _ in range(r.count("producer", 2)))
        fields.append((field_name, values))
    r.expect_end("producers section")
    return tuple(fields)


def read_build_id(data: bytes, start: int, end: int) -> str:
    """Read a `build_id` section payload (a byte vector) as lowercase hex."""
    r = Reader(data, start, end)
    build_id = r.bytes(r.u32(), "build id").hex()
    r.expect_end("build_id section")
    return build_id


def read_string_section(data: bytes, start: int, end: int, what: str) -> str:
    """Read a section whose payload is one string (`external_debug_info`, `sourceMappingURL`)."""
    r = Reader(data, start, end)
    text = r.lossy_name()
    r.expect_end(f"{what} section")
    return text


@dataclass(frozen=True, slots=True)
class DwarfSummary:
    """Which DWARF sections a module carries and which DWARF versions its units use."""

    sections: tuple[str, ...]
    """Names of the `.debug_*` custom sections, in module order."""
    versions: tuple[int, ...]
    """Distinct versions of the units in `.debug_info`, ascending."""
    unit_count: int
    """Number of units in `.debug_info`."""


def read_unit_versions(data: bytes, start: int, end: int) -> tuple[tuple[int, ...], int]:
    """Walk the unit headers of a `.debug_info` payload: (distinct versions, unit count)."""
    r = Reader(data, start, end)
    versions: set[int] = set()
    units = 0
    while not r.at_end():
        length = r.fixed_uint(4)
        if length == 0xFFFFFFFF:
            length = r.fixed_uint(8)
        elif length >= 0xFFFFFFF0:
            raise r.error(f"reserved DWARF unit length 0x{length:x}", r.pos - 4)
        unit = r.sub(length, "DWARF unit")
        versions.add(unit.fixed_uint(2))
        units += 1
    return tuple(sorted(versions)), units

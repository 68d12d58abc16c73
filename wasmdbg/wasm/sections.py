"""The section table: where each section of a module lies, checked for order and bounds."""

from __future__ import annotations

from dataclasses import dataclass

from wasmdbg.errors import WasmFormatError
from wasmdbg.wasm.reader import Reader

MAGIC = b"\0asm"
CORE_VERSION = b"\x01\x00\x00\x00"
COMPONENT_VERSION = b"\x0d\x00\x01\x00"

CUSTOM = 0
TYPE, IMPORT, FUNCTION, TABLE, MEMORY, GLOBAL, EXPORT, START, ELEMENT, CODE, DATA = range(1, 12)
DATA_COUNT = 12
TAG = 13

SECTION_NAMES = {
    CUSTOM: "custom",
    TYPE: "type",
    IMPORT: "import",
    FUNCTION: "function",
    TABLE: "table",
    MEMORY: "memory",
    GLOBAL: "global",
    EXPORT: "export",
    START: "start",
    ELEMENT: "element",
    CODE: "code",
    DATA: "data",
    DATA_COUNT: "datacount",
    TAG: "tag",
}

# The order non-custom sections must appear in; each at most once.
_ORDER = (TYPE, IMPORT, FUNCTION, TABLE, MEMORY, TAG, GLOBAL, EXPORT, START, ELEMENT, DATA_COUNT, CODE, DATA)
_RANK = {section_id: rank for rank, section_id in enumerate(_ORDER)}


@dataclass(frozen=True, slots=True)
class Section:
    """One section of a module, located by module offsets."""

    id: int
    name: str
    """The custom section's own name, or the standard name of a known section ("code")."""
    header_offset: int
    """Offset of the section id byte."""
    offset: int
    """Offset of the section's contents (after the id and the size)."""
    size: int
    """Size of the contents in bytes."""
    data_offset: int
    """Offset of the payload: after the name for custom sections, else equal to `offset`."""

    @property
    def end(self) -> int:
        """Offset one past the section's last byte."""
        return self.offset + self.size

    @property
    def is_custom(self) -> bool:
        """True for custom sections (id 0)."""
        return self.id == CUSTOM


def check_header(data: bytes) -> None:
    """Raise unless `data` starts with the magic number and version of a core module."""
    if data[:4] != MAGIC:
        raise WasmFormatError(0, "magic header not detected: not a WebAssembly module")
    version = data[4:8]
    if version == COMPONENT_VERSION:
        raise WasmFormatError(4, "this is a WebAssembly component, not a core module")
    if version != CORE_VERSION:
        if len(version) < 4:
            raise WasmFormatError(len(data), "unexpected end: expected the binary version")
        raise WasmFormatError(4, f"unknown binary version 0x{int.from_bytes(version, 'little'):x}")


def read_sections(data: bytes) -> tuple[Section, ...]:
    """Read the section table of a core module.

    Raises:
        WasmFormatError: bad header, unknown section id, a section out of order, repeated, or
            running past the end of the module.
    """
    check_header(data)
    r = Reader(data, 8)
    sections: list[Section] = []
    last_rank = -1
    while not r.at_end():
        header = r.pos
        section_id = r.u8()
        if section_id not in SECTION_NAMES:
            raise r.error(f"malformed section id {section_id}", header)
        size = r.u32()
        offset = r.pos
        contents = r.sub(size, f"{SECTION_NAMES[section_id]} section")
        if section_id == CUSTOM:
            name = contents.name()
        else:
            name = SECTION_NAMES[section_id]
            rank = _RANK[section_id]
            if rank <= last_rank:
                raise r.error(f"unexpected content after last section: {name} section out of order", header)
            last_rank = rank
        sections.append(Section(section_id, name, header, offset, size, contents.pos))
    return tuple(sections)


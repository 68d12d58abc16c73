"""Feeding a wasm module's `.debug_*` custom sections to pyelftools' DWARFInfo."""

from __future__ import annotations

import io
from collections.abc import Mapping

from elftools.dwarf.dwarfinfo import DebugSectionDescriptor, DWARFInfo, DwarfConfig

# DWARFInfo's constructor takes the sections positionally, in this order.
_SECTION_ORDER = (
    ".debug_info",
    ".debug_aranges",
    ".debug_abbrev",
    ".debug_frame",
    ".eh_frame",
    ".debug_str",
    ".debug_loc",
    ".debug_ranges",
    ".debug_line",
    ".debug_pubtypes",
    ".debug_pubnames",
    ".debug_addr",
    ".debug_str_offsets",
    ".debug_line_str",
    ".debug_loclists",
    ".debug_rnglists",
    ".debug_sup",
    ".gnu_debugaltlink",
    ".debug_types",
)
_NOT_READ = {".debug_frame", ".eh_frame", ".debug_pubtypes", ".debug_pubnames", ".debug_sup", ".gnu_debugaltlink"}


def load_dwarf(sections: Mapping[str, bytes], *, address_size: int = 4) -> DWARFInfo:
    """A DWARFInfo over the given `.debug_*` section payloads (wasm32: little-endian, 4-byte addresses)."""

    def descriptor(name: str) -> DebugSectionDescriptor | None:
        payload = sections.get(name)
        if payload is None or name in _NOT_READ:
            return None
        return DebugSectionDescriptor(io.BytesIO(payload), name, None, len(payload), 0)

    config = DwarfConfig(little_endian=True, machine_arch="wasm", default_address_size=address_size)
    return DWARFInfo(config, *(descriptor(name) for name in _SECTION_ORDER))

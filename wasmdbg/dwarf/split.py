"""Split DWARF: a skeleton unit's full DIEs found in a `.dwo` beside the module or in a `.dwp` package.

The skeleton (in the module) keeps the line table and the unit's address ranges; the `.dwo` holds
its functions and inlined calls, with addresses as indexes into the module's `.debug_addr` and
strings as indexes into its own `.debug_str_offsets`. pyelftools reads such units once two things
are adjusted here: clang's GNU forms (DW_FORM_GNU_addr_index/str_index) are renamed to their DWARF 5
equivalents in the abbreviation table, in place and at equal length; and the bases the split unit
does not carry are supplied by slicing the sections it indexes.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wasmdbg.errors import WasmFormatError
from wasmdbg.wasm.module import read_module
from wasmdbg.wasm.reader import Reader

GNU_ADDR_INDEX, GNU_STR_INDEX, ADDRX, STRX, IMPLICIT_CONST = 0x1F01, 0x1F02, 0x1B, 0x1A, 0x21
# Column ids of .debug_cu_index, GNU (version 2) and DWARF 5 numbering, to section names.
_V2_COLUMNS = {1: ".debug_info", 3: ".debug_abbrev", 4: ".debug_line", 5: ".debug_loc", 6: ".debug_str_offsets"}
_V5_COLUMNS = {1: ".debug_info", 3: ".debug_abbrev", 4: ".debug_line", 5: ".debug_loclists",
               6: ".debug_str_offsets", 8: ".debug_rnglists"}  # fmt: skip
MAX_SPLIT_FILE_BYTES = 1 << 30


def patch_gnu_forms(abbrev: bytes) -> bytes:
    """The abbreviation table with GNU index forms renamed to DW_FORM_addrx/strx, offsets unchanged.

    The new codes are written as two-byte (padded) LEB128s, the length of the old ones, so every
    abbreviation offset stays valid.
    """
    out = bytearray(abbrev)
    r = Reader(abbrev)
    try:
        while not r.at_end():
            if r.u64() == 0:  # end of one unit's table; another may follow
                continue
            r.u64()  # tag
            r.u8()  # has children
            while True:
                name = r.u64()
                at = r.pos
                form = r.u64()
                if name == 0 and form == 0:
                    break
                if form in (GNU_ADDR_INDEX, GNU_STR_INDEX) and r.pos - at == 2:
                    code = ADDRX if form == GNU_ADDR_INDEX else STRX
                    out[at : at + 2] = bytes([0x80 | code, 0x00])
                elif form == IMPLICIT_CONST:
                    r.s64()
    except WasmFormatError:
        pass  # a damaged table is left for pyelftools to reject
    return bytes(out)


def allow_missing_bases() -> None:
    """Let pyelftools resolve index forms in units without DW_AT_*_base (split units): base 0, or
    the header size of a DWARF 5 string-offsets contribution. Called only in the index child."""
    from elftools.dwarf import dwarf_util, die, dwarfinfo

    original = getattr(dwarf_util, "_get_base_offset")

    def base_offset(cu: Any, name: str) -> int:
        if name in cu.get_top_DIE().attributes:
            return int(original(cu, name))
        if name == "DW_AT_str_offsets_base" and cu.header["version"] >= 5:
            return 8
        return 0

    for module in (dwarf_util, die, dwarfinfo):
        if hasattr(module, "_get_base_offset"):
            setattr(module, "_get_base_offset", base_offset)


def dwo_sections(data: bytes) -> dict[str, bytes]:
    """`.debug_*.dwo` custom sections of a wasm `.dwo`/`.dwp`, keyed without the `.dwo` suffix."""
    module = read_module(data)
    out: dict[str, bytes] = {}
    for s in module.sections:
        if s.is_custom and s.name.endswith(".dwo"):
            out.setdefault(s.name[:-4], data[s.data_offset : s.end])
        elif s.is_custom and s.name in (".debug_cu_index", ".debug_tu_index"):
            out.setdefault(s.name, data[s.data_offset : s.end])
    return out


def dwp_unit(sections: dict[str, bytes], dwo_id: int) -> dict[str, bytes] | None:
    """The sections of one unit of a `.dwp`, sliced by its `.debug_cu_index`; None if it is not there."""
    index = sections.get(".debug_cu_index")
    if not index or len(index) < 16:
        return None
    version = struct.unpack_from("<H", index)[0]
    columns_of = _V5_COLUMNS if version == 5 else _V2_COLUMNS
    n_columns, n_units, n_slots = struct.unpack_from("<III", index, 4)
    base = 16
    table = base + 8 * n_slots
    needed = table + 4 * n_slots + 4 * n_columns + 8 * n_units * n_columns
    if n_slots > len(index) or n_columns > 64 or needed > len(index):
        return None
    for slot in range(n_slots):
        (signature,) = struct.unpack_from("<Q", index, base + 8 * slot)
        (row,) = struct.unpack_from("<I", index, table + 4 * slot)
        if row == 0 or signature != dwo_id or row > n_units:
            continue
        columns = struct.unpack_from(f"<{n_columns}I", index, table + 4 * n_slots)
        offsets = table + 4 * n_slots + 4 * n_columns
        sizes = offsets + 4 * n_units * n_columns
        unit = {name: payload for name, payload in sections.items() if not name.endswith("_index")}
        for c, column in enumerate(columns):
            name = columns_of.get(column)
            if name is None or name not in sections:
                continue
            (offset,) = struct.unpack_from("<I", index, offsets + 4 * ((row - 1) * n_columns + c))
            (size,) = struct.unpack_from("<I", index, sizes + 4 * ((row - 1) * n_columns + c))
            unit[name] = sections[name][offset : offset + size]
        return unit
    return None


@dataclass
class SplitFiles:
    """Finds split units' DWARF under the user's rules, and remembers which files it read."""

    search_dir: Path | None
    """Where a skeleton's `.dwo` may be read from: the directory of the module (or debug file)."""
    dwp: dict[str, bytes] | None = None
    used: list[tuple[str, str]] = field(default_factory=list)
    """(path, sha256) of every file read, so a cached index can tell when one changed."""
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_env(cls) -> SplitFiles:
        """The child's view: WASMDBG_SPLIT_DIR and WASMDBG_DWP, set by the parent."""
        directory = os.environ.get("WASMDBG_SPLIT_DIR")
        files = cls(Path(directory) if directory else None)
        dwp = os.environ.get("WASMDBG_DWP")
        if dwp:
            data = files._read(Path(dwp))
            if data is not None:
                files.dwp = dwo_sections(data)
        return files

    def _read(self, path: Path) -> bytes | None:
        try:
            if not path.is_file() or path.stat().st_size > MAX_SPLIT_FILE_BYTES:
                return None
            data = path.read_bytes()
        except OSError:
            return None
        self.used.append((str(path), hashlib.sha256(data).hexdigest()))
        return data

    def unit(self, dwo_name: str | None, dwo_id: int | None) -> dict[str, bytes] | None:
        """The split unit's sections: from the `.dwp` by id, else the `.dwo` beside the module."""
        if self.dwp is not None and dwo_id is not None:
            found = dwp_unit(self.dwp, dwo_id)
            if found is not None:
                return found
        if dwo_name and self.search_dir is not None:
            # Only the file name counts: the path the compiler recorded is the build machine's.
            name = dwo_name.replace("\\", "/").rsplit("/", 1)[-1]
            directory = self.search_dir.resolve()
            candidate = (directory / name).resolve()
            if candidate.parent == directory:
                data = self._read(candidate)
                if data is not None:
                    try:
                        return dwo_sections(data)
                    except WasmFormatError as error:
                        self.notes.append(f"split DWARF: {name} is malformed ({error.expected})")
                        return None
        shown = dwo_name or (f"the unit with id {dwo_id:#x}" if dwo_id is not None else "a split unit")
        self.notes.append(f"split DWARF: {shown} was not found beside the module (--dwp gives a package)")
        return None


def open_split_unit(
    skeleton: Any, main: dict[str, bytes], unit: dict[str, bytes], load: Callable[[dict[str, bytes]], Any]
) -> Any:
    """A DWARFInfo for one split unit, given its skeleton's top DIE and the module's sections."""
    attrs = skeleton.attributes
    addr_base = int(attrs["DW_AT_GNU_addr_base"].value) if "DW_AT_GNU_addr_base" in attrs else 0
    if "DW_AT_addr_base" in attrs:
        addr_base = int(attrs["DW_AT_addr_base"].value)
    ranges_base = int(attrs["DW_AT_GNU_ranges_base"].value) if "DW_AT_GNU_ranges_base" in attrs else 0
    sections = dict(unit)
    if ".debug_abbrev" in sections:
        sections[".debug_abbrev"] = patch_gnu_forms(sections[".debug_abbrev"])
    if ".debug_addr" in main:
        sections[".debug_addr"] = main[".debug_addr"][addr_base:]
    if ".debug_ranges" in main and ".debug_rnglists" not in sections:
        sections[".debug_ranges"] = main[".debug_ranges"][ranges_base:]
    return load(sections)

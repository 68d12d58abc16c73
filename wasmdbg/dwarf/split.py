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
from collections.abc import Callable, Iterator, Mapping
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


def dwo_file_name(dwo_name: str) -> str:
    """The file name a skeleton's DW_AT_dwo_name is looked up by beside the module.

    Only the file name counts: the path the compiler recorded is the build machine's."""
    return dwo_name.replace("\\", "/").rsplit("/", 1)[-1]


def dwo_path(search_dir: Path, dwo_name: str) -> Path | None:
    """Where a skeleton's `.dwo` is read from: its file name in `search_dir`, never outside it."""
    directory = search_dir.resolve()
    candidate = (directory / dwo_file_name(dwo_name)).resolve()
    return candidate if candidate.parent == directory else None


# -- a cheap scan of the skeletons, for the cache key ------------------------------------------
# The index cache must know which .dwo files a build would read before it builds, and only the
# skeleton units' top DIEs name them. Reading those with pyelftools would mean importing it in
# the parent and trusting it with unbounded input there; asking the child would cost a process
# start on every cache hit. Decoding one DIE per unit header by hand is bounded and linear, and
# touches a few bytes per unit, so it is done here, with the standard library and `Reader`.

_DW_AT_DWO_NAME, _DW_AT_GNU_DWO_NAME, _DW_AT_STR_OFFSETS_BASE = 0x3E, 0x2130, 0x72
_DW_TAG_SKELETON_UNIT = 0x4A
_DW_UT_SKELETON, _DW_UT_SPLIT_COMPILE, _DW_UT_TYPE, _DW_UT_SPLIT_TYPE = 0x04, 0x05, 0x02, 0x06
_FIXED_FORMS = {0x05: 2, 0x06: 4, 0x07: 8, 0x0B: 1, 0x0C: 1, 0x11: 1, 0x12: 2, 0x13: 4, 0x14: 8, 0x19: 0, 0x1C: 4,
                0x1E: 16, 0x20: 8, 0x21: 0, 0x24: 8, 0x25: 1, 0x26: 2, 0x27: 3, 0x28: 4, 0x29: 1, 0x2A: 2, 0x2B: 3,
                0x2C: 4}  # fmt: skip
_ULEB_FORMS = {0x0F, 0x15, 0x1A, 0x1B, 0x22, 0x23, GNU_ADDR_INDEX, GNU_STR_INDEX}
_OFFSET_FORMS = {0x0E, 0x17, 0x1D, 0x1F, 0x1F20, 0x1F21}  # strp, sec_offset, strp_sup, line_strp, GNU alt
_BLOCK_FORMS = {0x03: 2, 0x04: 4, 0x0A: 1}
_STRX_FORMS = {0x1A, 0x25, 0x26, 0x27, 0x28, GNU_STR_INDEX}
_MAX_ABBREVS_SEARCHED = 100_000
_MAX_ATTRIBUTES = 1_000


@dataclass(frozen=True, slots=True)
class UnitHeader:
    """Where one unit of `.debug_info` lies and how to read its first DIE."""

    end: int
    """Offset one past the unit."""
    version: int
    offset_size: int
    """4 for 32-bit DWARF, 8 for 64-bit DWARF."""
    address_size: int
    abbrev_offset: int
    die_offset: int
    """Offset of the unit's top DIE."""


def unit_headers(info: bytes) -> Iterator[UnitHeader]:
    """The unit headers of a `.debug_info`, in order; stops quietly at the first one that is damaged."""
    pos = 0
    while pos + 4 <= len(info):
        (length,) = struct.unpack_from("<I", info, pos)
        offset_size, start = 4, pos + 4
        if length == 0xFFFFFFFF:
            if start + 8 > len(info):
                return
            (length,) = struct.unpack_from("<Q", info, start)
            offset_size, start = 8, start + 8
        elif length >= 0xFFFFFFF0 or length < 2:
            return
        end = start + length
        if end > len(info):
            return
        (version,) = struct.unpack_from("<H", info, start)
        cursor = start + 2
        try:
            if version >= 5:
                unit_type, address_size = info[cursor], info[cursor + 1]
                abbrev_offset = int.from_bytes(info[cursor + 2 : cursor + 2 + offset_size], "little")
                cursor += 2 + offset_size
                if unit_type in (_DW_UT_SKELETON, _DW_UT_SPLIT_COMPILE):
                    cursor += 8
                elif unit_type in (_DW_UT_TYPE, _DW_UT_SPLIT_TYPE):
                    cursor += 8 + offset_size
            else:
                abbrev_offset = int.from_bytes(info[cursor : cursor + offset_size], "little")
                address_size = info[cursor + offset_size]
                cursor += offset_size + 1
        except IndexError:
            return
        if cursor > end:
            return
        yield UnitHeader(end, version, offset_size, address_size, abbrev_offset, cursor)
        pos = end


def count_units(info: bytes) -> int | None:
    """How many units `.debug_info` holds, from the headers alone; None when one is damaged."""
    count = last = 0
    for header in unit_headers(info):
        count, last = count + 1, header.end
    return count if last == len(info) else None


def _abbreviation(abbrev: bytes, offset: int, code: int) -> tuple[int, list[tuple[int, int]]] | None:
    """(tag, [(attribute, form)]) of abbreviation `code` in the table at `offset`."""
    r = Reader(abbrev, offset)
    for _ in range(_MAX_ABBREVS_SEARCHED):
        found = r.u64()
        if found == 0:
            return None
        tag = r.u64()
        r.u8()  # has children
        specs: list[tuple[int, int]] = []
        while True:
            name, form = r.u64(), r.u64()
            if name == 0 and form == 0:
                break
            if form == IMPLICIT_CONST:
                r.s64()
            specs.append((name, form))
        if found == code:
            return tag, specs
    return None


def _c_string(data: bytes, offset: int) -> str | None:
    end = data.find(b"\0", offset)
    if offset < 0 or offset >= len(data) or end < 0:
        return None
    return data[offset:end].decode("utf-8", "replace")


def _top_dwo_name(sections: Mapping[str, bytes], header: UnitHeader, info: bytes) -> tuple[bool, str | None]:
    """(whether the unit is a skeleton, its dwo name or None), as build.py's `_is_skeleton` sees it.

    Raises:
        WasmFormatError: the abbreviation or the DIE cannot be decoded.
        ValueError: a form this scan does not know comes before the name.
    """
    r = Reader(info, header.die_offset, header.end)
    code = r.u64()
    if code == 0:
        return False, None
    found = _abbreviation(sections.get(".debug_abbrev", b""), header.abbrev_offset, code)
    if found is None:
        raise ValueError("no such abbreviation")
    tag, specs = found
    name: tuple[int, int | str] | None = None  # (form, its value: an offset, an index or the string)
    str_offsets_base: int | None = None
    for attribute, form in specs[:_MAX_ATTRIBUTES]:
        for _ in range(8):  # DW_FORM_indirect names the real form in the data
            if form != 0x16:
                break
            form = r.u64()
        value: int | str = 0
        if form == 0x08:
            start = r.pos
            while r.u8() != 0:
                pass
            value = info[start : r.pos - 1].decode("utf-8", "replace")
        elif form in _FIXED_FORMS:
            size = _FIXED_FORMS[form]
            if size <= 8:
                value = r.fixed_uint(size)
            else:
                r.skip(size)
        elif form in _ULEB_FORMS:
            value = r.u64()
        elif form == 0x0D:
            value = r.s64()
        elif form in _OFFSET_FORMS:
            value = r.fixed_uint(header.offset_size)
        elif form == 0x01:
            value = r.fixed_uint(header.address_size)
        elif form == 0x10:  # ref_addr: an address in DWARF 2, an offset afterwards
            value = r.fixed_uint(header.address_size if header.version <= 2 else header.offset_size)
        elif form in _BLOCK_FORMS:
            r.skip(r.fixed_uint(_BLOCK_FORMS[form]))
        elif form in (0x09, 0x18):  # block, exprloc
            r.skip(r.u64())
        else:
            raise ValueError(f"unknown form {form:#x}")
        if attribute in (_DW_AT_DWO_NAME, _DW_AT_GNU_DWO_NAME) and name is None:
            name = (form, value)
        elif attribute == _DW_AT_STR_OFFSETS_BASE and isinstance(value, int):
            str_offsets_base = value
    skeleton = tag == _DW_TAG_SKELETON_UNIT or name is not None
    if name is None:
        return skeleton, None
    form, value = name
    if isinstance(value, str):
        return skeleton, value
    if form == 0x0E:
        return skeleton, _c_string(sections.get(".debug_str", b""), value)
    if form == 0x1F:
        return skeleton, _c_string(sections.get(".debug_line_str", b""), value)
    if form in _STRX_FORMS:
        # As `allow_missing_bases` does in the child: no base is 0, or a DWARF 5 header's size.
        base = str_offsets_base if str_offsets_base is not None else (8 if header.version >= 5 else 0)
        table = sections.get(".debug_str_offsets", b"")
        at = base + value * header.offset_size
        if at + header.offset_size > len(table):
            return skeleton, None
        offset = int.from_bytes(table[at : at + header.offset_size], "little")
        return skeleton, _c_string(sections.get(".debug_str", b""), offset)
    return skeleton, None


def skeleton_dwo_names(sections: Mapping[str, bytes]) -> tuple[str, ...] | None:
    """The DW_AT_dwo_name / DW_AT_GNU_dwo_name of every skeleton unit, in unit order.

    Returns:
        The names (empty when the module has no split units); None when some unit could not be
        decoded, so that the caller cannot rule out a skeleton it did not see.
    """
    info = sections.get(".debug_info", b"")
    names: list[str] = []
    last = 0
    for header in unit_headers(info):
        last = header.end
        try:
            skeleton, name = _top_dwo_name(sections, header, info)
        except (WasmFormatError, ValueError):
            return None
        if skeleton and name:
            names.append(name)
    return tuple(names) if last == len(info) else None


def split_dependencies(sections: Mapping[str, bytes], search_dir: Path | None) -> tuple[tuple[str, str | None], ...] | None:
    """What a build of these sections would find beside the module: (`.dwo` file name, sha256 or None).

    Each distinct name once, sorted; a file that is absent, unreadable, too large or outside
    `search_dir` counts as missing (None), exactly as `SplitFiles.unit` would not read it. None
    when the skeletons could not be scanned (see `skeleton_dwo_names`).
    """
    names = skeleton_dwo_names(sections)
    if names is None:
        return None
    found: dict[str, str | None] = {}
    for dwo_name in names:
        name = dwo_file_name(dwo_name)
        if name in found:
            continue
        path = dwo_path(search_dir, dwo_name) if search_dir is not None else None
        found[name] = _file_sha256(path) if path is not None else None
    return tuple(sorted(found.items()))


def _file_sha256(path: Path) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_SPLIT_FILE_BYTES:
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
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
            name = dwo_file_name(dwo_name)
            candidate = dwo_path(self.search_dir, dwo_name)
            if candidate is not None:
                data = self._read(candidate)
                if data is not None:
                    try:
                        return dwo_sections(data)
                    except WasmFormatError as error:
                        self.notes.append(f"split DWARF: {name} is malformed ({error.expected})")
                        return None
        shown = dwo_name or (f"the unit with id {dwo_id:#x}" if dwo_id is not None else "a split unit")
        self.notes.append(f"split DWARF: {shown} was not found beside the module (a DWARF package would also do)")
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

"""A bounded direct reader of one unit's DIEs in `.debug_info`: what `build` needs, nothing more.

It exists because pyelftools' DIE parsing (a Construct parse and an AttributeValue per attribute)
was ~90 % of the cold index build once line programs had their own decoder. It replaces
pyelftools on the hot path only: `build` reruns a unit with pyelftools wherever this reader raises
`DieError`, and the tests hold both paths to identical tables on every module at hand. So this
module reproduces pyelftools' reading (e.g. its linear walk, which never follows DW_AT_sibling),
and where pyelftools would read differently from the standard, raise, or read past the unit, it
raises `DieError` instead of guessing: the rerun then gives pyelftools' answer or its error.

Only the attributes `build` reads are decoded (`NAME_ATTRIBUTES` on every DIE, `PC_ATTRIBUTES` on
subprograms and inlined subroutines); every other one is skipped by its form, after the checks
pyelftools' translation of that form would fail on. Every read is bounded by the unit's end.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

_MAX_LEB_BYTES = 10
"""A LEB128 this long already holds 70 bits; longer ones are left to pyelftools."""
MAX_INDIRECTION = 8
"""DW_FORM_indirect chains longer than this are left to pyelftools (which follows any length)."""

SUBPROGRAM, INLINED_SUBROUTINE = "DW_TAG_subprogram", "DW_TAG_inlined_subroutine"
_TAGS = {0x2E: SUBPROGRAM, 0x1D: INLINED_SUBROUTINE}
"""The only tags `build` tests for; any other tag is reported as its code."""

NAME_ATTRIBUTES = {
    0x03: "DW_AT_name", 0x6E: "DW_AT_linkage_name", 0x2007: "DW_AT_MIPS_linkage_name",
    0x31: "DW_AT_abstract_origin", 0x47: "DW_AT_specification",
}  # fmt: skip
PC_ATTRIBUTES = {
    0x11: "DW_AT_low_pc", 0x12: "DW_AT_high_pc", 0x55: "DW_AT_ranges",
    0x58: "DW_AT_call_file", 0x59: "DW_AT_call_line", 0x57: "DW_AT_call_column",
}  # fmt: skip
_STRING_VALUED = {"DW_AT_name", "DW_AT_linkage_name", "DW_AT_MIPS_linkage_name"}
_CALL = {"DW_AT_call_file", "DW_AT_call_line", "DW_AT_call_column"}

# Form codes, and pyelftools' names for them (the names `build` compares attribute forms with).
FORM_NAMES = {
    0x01: "DW_FORM_addr", 0x03: "DW_FORM_block2", 0x04: "DW_FORM_block4", 0x05: "DW_FORM_data2",
    0x06: "DW_FORM_data4", 0x07: "DW_FORM_data8", 0x08: "DW_FORM_string", 0x09: "DW_FORM_block",
    0x0A: "DW_FORM_block1", 0x0B: "DW_FORM_data1", 0x0C: "DW_FORM_flag", 0x0D: "DW_FORM_sdata",
    0x0E: "DW_FORM_strp", 0x0F: "DW_FORM_udata", 0x10: "DW_FORM_ref_addr", 0x11: "DW_FORM_ref1",
    0x12: "DW_FORM_ref2", 0x13: "DW_FORM_ref4", 0x14: "DW_FORM_ref8", 0x15: "DW_FORM_ref_udata",
    0x16: "DW_FORM_indirect", 0x17: "DW_FORM_sec_offset", 0x18: "DW_FORM_exprloc", 0x19: "DW_FORM_flag_present",
    0x1A: "DW_FORM_strx", 0x1B: "DW_FORM_addrx", 0x1C: "DW_FORM_ref_sup4", 0x1D: "DW_FORM_strp_sup",
    0x1E: "DW_FORM_data16", 0x1F: "DW_FORM_line_strp", 0x20: "DW_FORM_ref_sig8", 0x21: "DW_FORM_implicit_const",
    0x22: "DW_FORM_loclistx", 0x23: "DW_FORM_rnglistx", 0x24: "DW_FORM_ref_sup8", 0x25: "DW_FORM_strx1",
    0x26: "DW_FORM_strx2", 0x27: "DW_FORM_strx3", 0x29: "DW_FORM_addrx1", 0x2A: "DW_FORM_addrx2",
    0x2B: "DW_FORM_addrx3", 0x2C: "DW_FORM_addrx4", 0x1F20: "DW_FORM_GNU_ref_alt", 0x1F21: "DW_FORM_GNU_strp_alt",
}  # fmt: skip
# Not here, so rejected: 0x02 (pyelftools' DWARF 1 "DW_FORM_ref"), 0x28 strx4 (pyelftools reads
# 8 bytes), the GNU index forms (pyelftools cannot parse them), and anything unknown.
_INDIRECT, _IMPLICIT_CONST, _STRING = 0x16, 0x21, 0x08
_STRP, _LINE_STRP = 0x0E, 0x1F
_ADDR, _REF_ADDR = 0x01, 0x10
_UDATA, _SDATA = 0x0F, 0x0D
_FIXED_SIZES = {
    0x05: 2, 0x06: 4, 0x07: 8, 0x0B: 1, 0x0C: 1, 0x11: 1, 0x12: 2, 0x13: 4, 0x14: 8, 0x19: 0, 0x1C: 4, 0x1E: 16,
    0x20: 8, 0x24: 8,
}  # fmt: skip
_OFFSET_SIZED = {0x0E, 0x17, 0x1D, 0x1F, 0x1F20, 0x1F21}  # strp, sec_offset, strp_sup, line_strp, GNU alt forms
_ULEB_SKIPPED = {0x0F, 0x15}  # udata, ref_udata (sdata is a LEB of the same length)
_BLOCK_LENGTHS = {0x0A: 1, 0x03: 2, 0x04: 4}
_ULEB_BLOCKS = {0x09, 0x18}  # block, exprloc
_STRX = {0x1A: 0, 0x25: 1, 0x26: 2, 0x27: 3}  # index size; 0: a ULEB128
_ADDRX = {0x1B: 0, 0x29: 1, 0x2A: 2, 0x2B: 3, 0x2C: 4}
_TABLE_INDEXED = {0x22: "DW_AT_loclists_base", 0x23: "DW_AT_rnglists_base"}  # loclistx, rnglistx
_STRING_FORMS = {_STRING, _STRP, _LINE_STRP, *_STRX}
_CONSTANT_FORMS = {0x05, 0x06, 0x07, 0x0B, _UDATA, _SDATA}  # and implicit_const, handled apart
_RANGES_FORMS = {0x17, 0x05, 0x06, 0x07, 0x0B, _UDATA, _SDATA, 0x23}

# Abbreviation ops: skip a fixed run, skip one variable-length value, keep a fixed-size value as it
# is or as a .debug_str offset (the common kept attributes, decoded inline), or decode one value.
_SKIP, _SKIP_ULEB, _SKIP_STRING, _SKIP_BLOCK, _SKIP_ULEB_BLOCK, _KEEP_FIXED, _KEEP_STRP, _READ = range(8)
# Fixed-size forms whose value pyelftools leaves as read, and the kept attributes that may use each.
_PLAIN_FIXED = {0x01, 0x05, 0x06, 0x07, 0x0B, 0x10, 0x11, 0x12, 0x13, 0x14, 0x17, 0x1C, 0x20, 0x24, 0x1D, 0x1F20, 0x1F21}
_PLAIN_KEPT = {
    **{name: _PLAIN_FIXED for name in ("DW_AT_abstract_origin", "DW_AT_specification", "DW_AT_low_pc", "DW_AT_high_pc")},
    **{name: {0x05, 0x06, 0x07, 0x0B} for name in ("DW_AT_call_file", "DW_AT_call_line", "DW_AT_call_column")},
    "DW_AT_ranges": {0x17, 0x05, 0x06, 0x07, 0x0B},
}  # fmt: skip


class DieError(ValueError):
    """The unit is malformed, or uses something this reader leaves to pyelftools."""


class Attribute(NamedTuple):
    """The fields of pyelftools' AttributeValue that `build` reads."""

    form: str
    value: Any
    raw_value: Any


@dataclass(frozen=True, slots=True)
class Sections:
    """The section payloads DIEs refer to; None for an absent section."""

    info: bytes
    abbrev: bytes
    strings: bytes | None = None
    line_strings: bytes | None = None
    str_offsets: bytes | None = None
    addr: bytes | None = None
    loclists: bytes | None = None
    rnglists: bytes | None = None


@dataclass(frozen=True, slots=True)
class UnitLayout:
    """What a walk needs from a unit's header (as pyelftools read it) and its top DIE."""

    die_start: int
    """Offset of the first DIE after the top DIE."""
    end: int
    """Offset one past the unit."""
    version: int
    offset_size: int
    address_size: int
    abbrev_offset: int
    depth: int
    """Depth of the first DIE after the top one: 1 when the top DIE has children."""
    bases: Mapping[str, Any]
    """DW_AT_str_offsets_base, DW_AT_addr_base, ... as the top DIE gives them (absent: not there)."""


@dataclass(frozen=True, slots=True)
class _Abbrev:
    tag: str | int
    has_children: bool
    ops: tuple[tuple[int, int, str | None, int], ...]
    """(op, size or form, attribute name to keep or None, implicit_const value or the kept form)."""


# Plain functions over (data, pos, end), not `wasm.reader.Reader` (an object per read, WasmFormatError)
# or `lines._Reader` (LineProgramError): this is the hottest loop of the index build.
def _uleb(data: bytes, pos: int, end: int) -> tuple[int, int]:
    value = shift = 0
    limit = min(end, pos + _MAX_LEB_BYTES)
    while pos < limit:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos
    raise DieError(f"bad or overlong LEB128 before {pos:#x}")


def _sleb(data: bytes, pos: int, end: int) -> tuple[int, int]:
    value, after = _uleb(data, pos, end)
    bits = 7 * (after - pos)
    if value >> (bits - 1):
        value -= 1 << bits
    return value, after


class AbbrevTables:
    """`.debug_abbrev` tables parsed once per offset, keeping only what the walk needs."""

    def __init__(self, sections: Sections) -> None:
        self._data = sections.abbrev
        # Without its section, a strp/line_strp makes pyelftools fail, so it must be read, not skipped.
        self._skippable = {_STRP: sections.strings is not None, _LINE_STRP: sections.line_strings is not None}
        self._tables: dict[tuple[int, int, int, int], dict[int, _Abbrev]] = {}

    def table(self, offset: int, version: int, offset_size: int, address_size: int) -> dict[int, _Abbrev]:
        key = (offset, version, offset_size, address_size)
        found = self._tables.get(key)
        if found is None:
            found = self._tables[key] = self._parse(offset, version, offset_size, address_size)
        return found

    def _parse(self, offset: int, version: int, offset_size: int, address_size: int) -> dict[int, _Abbrev]:
        data, end = self._data, len(self._data)
        if not 0 <= offset < end:
            raise DieError(f"abbreviation table offset {offset:#x} outside .debug_abbrev")
        pos = offset
        table: dict[int, _Abbrev] = {}
        # Every step consumes bytes and `_uleb` raises at the section's end, so this loop ends.
        while True:
            code, pos = _uleb(data, pos, end)
            if code == 0:
                return table
            tag_code, pos = _uleb(data, pos, end)
            if pos >= end or data[pos] > 1:
                raise DieError(f"bad children flag at {pos:#x}")
            has_children = data[pos] == 1
            pos += 1
            ops: list[tuple[int, int, str | None, int]] = []
            tag = _TAGS.get(tag_code, tag_code)
            keep = NAME_ATTRIBUTES if tag_code not in _TAGS else {**NAME_ATTRIBUTES, **PC_ATTRIBUTES}
            while True:
                attribute, pos = _uleb(data, pos, end)
                form, pos = _uleb(data, pos, end)
                if attribute == 0 and form == 0:
                    break
                implicit = 0
                if form == _IMPLICIT_CONST:
                    implicit, pos = _sleb(data, pos, end)
                ops.append(self._op(form, keep.get(attribute), implicit, version, offset_size, address_size))
            # Duplicate codes: the later declaration wins, as in pyelftools' table.
            table[code] = _Abbrev(tag, has_children, _merge(ops))

    def _op(self, form: int, name: str | None, implicit: int, version: int, offset_size: int,
            address_size: int) -> tuple[int, int, str | None, int]:  # fmt: skip
        if name is not None:
            size = _FIXED_SIZES.get(form) or (offset_size if form in _OFFSET_SIZED else None)
            if form in (_ADDR, _REF_ADDR):
                size = offset_size if form == _REF_ADDR and version > 2 else address_size
            if form in _PLAIN_KEPT.get(name, ()) and size:
                return _KEEP_FIXED, size, name, form
            if form == _STRP and name in _STRING_VALUED and self._skippable[_STRP]:
                return _KEEP_STRP, offset_size, name, form
        if name is None and self._skippable.get(form, True):
            size = _FIXED_SIZES.get(form)
            if size is None and (form in _OFFSET_SIZED or (form == _REF_ADDR and version > 2)):
                size = offset_size
            elif size is None and (form == _ADDR or form == _REF_ADDR):
                size = address_size
            if size is not None:
                return _SKIP, size, None, 0
            if form == _IMPLICIT_CONST:
                return _SKIP, 0, None, 0
            if form in _ULEB_SKIPPED or form == _SDATA:
                return _SKIP_ULEB, 0, None, 0
            if form == _STRING:
                return _SKIP_STRING, 0, None, 0
            if form in _BLOCK_LENGTHS:
                return _SKIP_BLOCK, _BLOCK_LENGTHS[form], None, 0
            if form in _ULEB_BLOCKS:
                return _SKIP_ULEB_BLOCK, 0, None, 0
        return _READ, form, name, implicit


def _merge(ops: list[tuple[int, int, str | None, int]]) -> tuple[tuple[int, int, str | None, int], ...]:
    """Consecutive fixed skips as one, so an abbreviation of fixed-size unread forms is one step."""
    out: list[tuple[int, int, str | None, int]] = []
    for op in ops:
        if op[0] == _SKIP and out and out[-1][0] == _SKIP:
            out[-1] = (_SKIP, out[-1][1] + op[1], None, 0)
        elif not (op[0] == _SKIP and op[1] == 0):
            out.append(op)
    return tuple(out)


_NO_ATTRIBUTES: Mapping[str, Attribute] = {}

Die = tuple[int, "str | int", int, Mapping[str, Attribute]]
"""(depth, tag, offset, the kept attributes by pyelftools' name, in DIE order)."""


class _UnitReader:
    """Reads one unit's attribute values, with the checks pyelftools' translation would fail on."""

    def __init__(self, sections: Sections, layout: UnitLayout) -> None:
        self.s = sections
        self.layout = layout
        self.data = sections.info

    def value(self, form: int, name: str | None, implicit: int, pos: int, end: int) -> tuple[Attribute | None, int]:
        """The attribute at `pos` (None when `name` is None: only checked), and where the next begins."""
        data = self.data
        layout = self.layout
        indirect = form == _INDIRECT
        for _ in range(MAX_INDIRECTION):
            if form != _INDIRECT:
                break
            form, pos = _uleb(data, pos, end)
        form_name = FORM_NAMES.get(form)
        # An indirect implicit_const has no value anywhere (pyelftools fails an assertion on it).
        if form_name is None or form == _INDIRECT or (indirect and form == _IMPLICIT_CONST):
            raise DieError(f"form {form:#x} is not read here (or DW_FORM_indirect nested too deep)")
        raw: Any
        value: Any
        if form == _IMPLICIT_CONST:
            raw = value = implicit
        elif form == _STRING:
            nul = data.find(b"\0", pos, end)
            if nul < 0:
                raise DieError(f"unterminated string at {pos:#x}")
            raw = value = data[pos:nul]
            pos = nul + 1
        elif form in _ULEB_SKIPPED or form in _ULEB_BLOCKS or form in _STRX or form in _ADDRX or form in _TABLE_INDEXED:
            size = _STRX.get(form) or _ADDRX.get(form) or 0
            if size:
                raw, pos = self.fixed(pos, size, end)
            else:
                raw, pos = _uleb(data, pos, end)
            value = raw
            if form in _ULEB_BLOCKS:
                start, pos = pos, self.skip(pos, raw, end)
                raw = value = list(data[start:pos]) if name is not None else None  # pyelftools' byte list
            elif form in _STRX:
                value = self.indexed_string(raw)
            elif form in _ADDRX:
                value = self.indexed_address(raw)
            elif form in _TABLE_INDEXED:
                value = self.table_offset(form, raw)
        elif form == _SDATA:
            raw, pos = _sleb(data, pos, end)
            value = raw
        elif form in _BLOCK_LENGTHS:
            length, start = self.fixed(pos, _BLOCK_LENGTHS[form], end)
            pos = self.skip(start, length, end)
            raw = value = list(data[start:pos]) if name is not None else None
        else:
            width = _FIXED_SIZES.get(form)
            if width is None:
                wide = form in _OFFSET_SIZED or (form == _REF_ADDR and layout.version > 2)
                width = layout.offset_size if wide else layout.address_size
            raw, pos = self.fixed(pos, width, end) if width else (b"", pos)
            value = raw
            # pyelftools' values for the flags and data16 (which `build` ignores, but keep them true).
            if form == 0x0C or form == 0x19:
                value = form == 0x19 or raw != 0
            elif form == 0x1E:
                raw = value = list(data[pos - 16 : pos])
            if form == _STRP or form == _LINE_STRP:
                table = self.s.strings if form == _STRP else self.s.line_strings
                if table is None:
                    raise DieError(f"{form_name} without its section")
                if name is not None:
                    value = _string(table, raw)
        if name is None:
            return None, pos
        return Attribute(form_name, _checked(name, form, value, raw), raw), pos

    def fixed(self, pos: int, size: int, end: int) -> tuple[int, int]:
        if pos + size > end:
            raise DieError(f"truncated at {pos:#x}: {size} bytes needed")
        return int.from_bytes(self.data[pos : pos + size], "little"), pos + size

    @staticmethod
    def skip(pos: int, size: int, end: int) -> int:
        if size > end - pos:
            raise DieError(f"a block of {size} bytes at {pos:#x} runs past the unit")
        return pos + size

    def base(self, name: str) -> int:
        value = self.layout.bases.get(name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise DieError(f"the unit has no {name}")
        return value

    def entry(self, table: bytes | None, at: int, size: int, what: str) -> int:
        if table is None or at < 0 or at + size > len(table):
            raise DieError(f"{what} entry at {at:#x} outside its section")
        return int.from_bytes(table[at : at + size], "little")

    def indexed_string(self, index: int) -> bytes:
        size = self.layout.offset_size
        at = self.base("DW_AT_str_offsets_base") + index * size
        offset = self.entry(self.s.str_offsets, at, size, ".debug_str_offsets")
        if self.s.strings is None:
            raise DieError("a string index without .debug_str")
        return _string(self.s.strings, offset)

    def indexed_address(self, index: int) -> int:
        size = self.layout.address_size
        return self.entry(self.s.addr, self.base("DW_AT_addr_base") + index * size, size, ".debug_addr")

    def table_offset(self, form: int, index: int) -> int:
        base = self.base(_TABLE_INDEXED[form])
        table = self.s.loclists if form == 0x22 else self.s.rnglists
        size = self.layout.offset_size
        return base + self.entry(table, base + index * size, size, FORM_NAMES[form])


def _string(table: bytes, offset: int) -> bytes:
    nul = table.find(b"\0", offset) if offset < len(table) else -1
    if nul < 0:
        raise DieError(f"no string at {offset:#x}")  # pyelftools gives None; left to it
    return table[offset:nul]


def _checked(name: str, form: int, value: Any, raw: Any) -> Any:
    """`value`, where `build` reads it as pyelftools would give it; DieError for forms left to pyelftools."""
    if name in _STRING_VALUED and form not in _STRING_FORMS:
        raise DieError(f"{name} in form {form:#x}")
    if name in _CALL and form not in _CONSTANT_FORMS and form != _IMPLICIT_CONST:
        raise DieError(f"{name} in form {form:#x}")
    if name == "DW_AT_ranges" and form not in _RANGES_FORMS:
        raise DieError(f"{name} in form {form:#x}")
    return value


def walk_unit(sections: Sections, tables: AbbrevTables, layout: UnitLayout) -> Iterator[Die]:
    """(depth, tag, offset, kept attributes) of every non-null DIE after the top one, as `build._walk`.

    Null DIEs close a level; DW_AT_sibling is never followed (the walk is linear, as pyelftools'
    iter_DIEs). Lazy, so a caller sees the DIEs before a bad one; it must drop them on DieError.

    Raises:
        DieError: a DIE is malformed, reaches past the unit, or uses something left to pyelftools.
    """
    if layout.offset_size not in (4, 8) or layout.address_size not in (4, 8):
        raise DieError(f"offset size {layout.offset_size}, address size {layout.address_size}")
    abbrevs = tables.table(layout.abbrev_offset, layout.version, layout.offset_size, layout.address_size)
    reader = _UnitReader(sections, layout)
    value = reader.value
    data, pos, end, depth = sections.info, layout.die_start, layout.end, layout.depth
    strings = sections.strings or b""
    from_bytes = int.from_bytes
    if end > len(data):
        raise DieError("the unit runs past .debug_info")
    while pos < end:
        offset = pos
        code = data[pos]
        if code < 0x80:
            pos += 1
        else:
            code, pos = _uleb(data, pos, end)
        if code == 0:
            depth -= 1
            continue
        abbrev = abbrevs.get(code)
        if abbrev is None:
            raise DieError(f"no abbreviation {code} for the DIE at {offset:#x}")
        attributes: dict[str, Attribute] | None = None
        for op, arg, name, implicit in abbrev.ops:
            if op == _SKIP:
                pos += arg
                if pos > end:
                    raise DieError(f"the DIE at {offset:#x} runs past the unit")
            elif op == _KEEP_FIXED or op == _KEEP_STRP:
                if pos + arg > end:
                    raise DieError(f"the DIE at {offset:#x} runs past the unit")
                raw = from_bytes(data[pos : pos + arg], "little")
                pos += arg
                if attributes is None:
                    attributes = {}
                assert name is not None
                kept = _string(strings, raw) if op == _KEEP_STRP else raw
                attributes[name] = Attribute(FORM_NAMES[implicit], kept, raw)
            elif op == _READ:
                attribute, pos = value(arg, name, implicit, pos, end)
                if attribute is not None:
                    assert name is not None
                    if attributes is None:
                        attributes = {}
                    attributes[name] = attribute
            elif op == _SKIP_ULEB:
                _, pos = _uleb(data, pos, end)
            elif op == _SKIP_STRING:
                nul = data.find(b"\0", pos, end)
                if nul < 0:
                    raise DieError(f"unterminated string at {pos:#x}")
                pos = nul + 1
            elif op == _SKIP_BLOCK:
                length, pos = reader.fixed(pos, arg, end)
                pos = reader.skip(pos, length, end)
            else:
                length, pos = _uleb(data, pos, end)
                pos = reader.skip(pos, length, end)
        yield depth, abbrev.tag, offset, attributes if attributes is not None else _NO_ATTRIBUTES
        if abbrev.has_children:
            depth += 1

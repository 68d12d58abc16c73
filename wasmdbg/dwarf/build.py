"""One pass over a module's DWARF into flat tables: line sequences, functions, inlined calls.

This is the only code that drives pyelftools, and it runs in a child process (see `isolate`): the
walk follows gimli's addr2line (unit ranges from DW_AT_ranges, then .debug_aranges, then
low/high pc, then line sequences; names from DW_AT_linkage_name, DW_AT_name, then the
abstract_origin/specification chain, at most 16 links; inlined calls by depth) so that wasmdbg
answers what `wasm-tools addr2line` answers. The hot parts have direct readers of their own, line
programs (`lines`) and the DIEs of non-split units (`dies`); pyelftools reads whatever they give up
on, and `FORCE_PYELFTOOLS` makes it read everything (the tests' reference).
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from elftools.dwarf.dwarfinfo import DWARFInfo
from elftools.dwarf.ranges import BaseAddressEntry, RangeEntry

from wasmdbg.dwarf.dies import AbbrevTables, DieError, Sections, UnitLayout, walk_unit
from wasmdbg.dwarf.lines import LineProgram, LineProgramError, LineProgramUnreadable, decode_line_program
from wasmdbg.dwarf.paths import render_file
from wasmdbg.dwarf.progress import READING_UNITS, RESOLVING_NAMES, IndexProgress
from wasmdbg.dwarf.split import SplitFiles, count_units

NAME_CHAIN_LIMIT = 16
"""Links of DW_AT_abstract_origin/DW_AT_specification followed for a name, as addr2line does."""

_REF_FORMS = {"DW_FORM_ref1", "DW_FORM_ref2", "DW_FORM_ref4", "DW_FORM_ref8", "DW_FORM_ref_udata"}
_CONSTANT_FORMS = {"DW_FORM_data1", "DW_FORM_data2", "DW_FORM_data4", "DW_FORM_data8", "DW_FORM_udata"}
# Only these make DW_AT_low_pc/high_pc an address; a low_pc in another form is ignored, as gimli does.
_ADDRESS_FORMS = {
    "DW_FORM_addr", "DW_FORM_addrx", "DW_FORM_addrx1", "DW_FORM_addrx2", "DW_FORM_addrx3", "DW_FORM_addrx4",
    "DW_FORM_GNU_addr_index",
}  # fmt: skip
_LINKAGE = ("DW_AT_linkage_name", "DW_AT_MIPS_linkage_name")
_ORIGIN = ("DW_AT_abstract_origin", "DW_AT_specification")
_NAMING = frozenset((*_LINKAGE, "DW_AT_name", *_ORIGIN))

Range = tuple[int, int]
DieKey = tuple[int, int]
"""(DWARF source: 0 the module, n the n-th split unit file read, absolute DIE offset in it)."""


@dataclass(slots=True)
class InlinedCall:
    """One DW_TAG_inlined_subroutine: who was inlined, and where its caller called it."""

    name_die: DieKey
    """The DIE whose name chain names the inlined function."""
    call_file: int | None
    call_line: int
    call_column: int


@dataclass(slots=True)
class Function:
    """One DW_TAG_subprogram with code, and the inlined calls inside it."""

    name_die: DieKey
    inlined: list[InlinedCall] = field(default_factory=list)
    inlined_ranges: list[tuple[int, int, int, int]] = field(default_factory=list)
    """(begin, end, depth, index into `inlined`)."""


@dataclass(slots=True)
class Unit:
    """Everything one compilation unit contributes to lookups."""

    language: int | None
    files: list[str]
    sequences: list[tuple[int, int, list[tuple[int, int, int, int]]]]
    """(start, end, rows of (address, file index, line, column)), sorted by start."""
    functions: list[Function]
    function_ranges: list[tuple[int, int, int]]
    """(begin, end, index into `functions`), sorted by begin."""
    ranges: list[Range]


@dataclass(slots=True)
class DwarfTables:
    """The whole module's DWARF, flattened; names still raw (resolved from `names` by DIE offset)."""

    units: list[Unit]
    names: dict[DieKey, tuple[str | None, bool]]
    """DIE -> (raw name, whether it is a linkage name) for every DIE a frame may be named by."""
    notes: list[str] = field(default_factory=list)
    """What could not be read (e.g. a missing `.dwo`), one line each."""
    used_files: list[tuple[str, str]] = field(default_factory=list)
    """(path, sha256) of split DWARF files read besides the module."""


@dataclass(slots=True)
class _NameInfo:
    linkage: str | None = None
    name: str | None = None
    next: DieKey | None = None
    order: tuple[str, ...] = ()


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _ref_offset(cu_offset: int, attr: Any, space: int) -> DieKey | None:
    if attr.form in _REF_FORMS:
        return space, int(attr.raw_value) + cu_offset
    if attr.form == "DW_FORM_ref_addr":
        return space, int(attr.raw_value)
    return None


def _name_info(attributes: Mapping[str, Any], cu_offset: int, space: int) -> _NameInfo:
    info = _NameInfo()
    order = []
    for name, attr in attributes.items():
        if name in _LINKAGE and info.linkage is None:
            info.linkage = _text(attr.value)
            order.append("linkage")
        elif name == "DW_AT_name":
            info.name = _text(attr.value)
            order.append("name")
        elif name in _ORIGIN:
            info.next = _ref_offset(cu_offset, attr, space)
            order.append("origin")
    info.order = tuple(order)
    return info


_NameSource = tuple[Mapping[str, Any], int]
"""A named DIE's attributes and its unit's offset, read into a _NameInfo only if a name chain reaches it."""
_Names = dict[DieKey, "_NameInfo | _NameSource"]


def _info(infos: _Names, offset: DieKey) -> _NameInfo | None:
    """The DIE's name record, made from its attributes on first use (most named DIEs are never used)."""
    found = infos.get(offset)
    if found is None or isinstance(found, _NameInfo):
        return found
    info = infos[offset] = _name_info(found[0], found[1], offset[0])
    return info


def _resolve_entry(infos: _Names, offset: DieKey, limit: int) -> tuple[str | None, bool]:
    """addr2line's `name_entry`: a referenced DIE's linkage name, else its name, else its origin's."""
    while limit > 0:
        info = _info(infos, offset)
        if info is None:
            return None, False
        if info.linkage is not None:
            return info.linkage, True
        if info.name is not None:
            return info.name, False
        if info.next is None:
            return None, False
        offset, limit = info.next, limit - 1
    return None, False


def _resolve_own(infos: _Names, offset: DieKey) -> tuple[str | None, bool]:
    """addr2line's `Function::parse`: attributes in order; an origin is followed only while unnamed."""
    info = _info(infos, offset)
    assert info is not None  # every function and inlined call was recorded
    found: tuple[str | None, bool] = (None, False)
    for kind in info.order:
        if kind == "linkage" and info.linkage is not None:
            found = (info.linkage, True)
        elif kind == "name" and found[0] is None:
            found = (info.name, False)
        elif kind == "origin" and found[0] is None and info.next is not None:
            found = _resolve_entry(infos, info.next, NAME_CHAIN_LIMIT)
    return found


def _pc_ranges(attrs: Mapping[str, Any], cu: Any, dwarf: DWARFInfo, unit_base: int) -> list[Range]:
    """A DIE's address ranges: DW_AT_ranges, else low/high pc; empty and reversed ranges dropped."""
    out: list[Range] = []
    if "DW_AT_ranges" in attrs:
        lists = dwarf.range_lists()
        if lists is None:
            return out
        # pyelftools has already turned a DWARF 5 DW_FORM_rnglistx index into a section offset.
        entries = lists.get_range_list_at_offset(int(attrs["DW_AT_ranges"].value), cu=cu)
        base = unit_base
        for entry in entries:
            if isinstance(entry, BaseAddressEntry):
                base = entry.base_address
            elif isinstance(entry, RangeEntry):
                begin, end = entry.begin_offset, entry.end_offset
                if not entry.is_absolute:
                    begin, end = begin + base, end + base
                if begin < end:
                    out.append((begin, end))
        return out
    low = attrs.get("DW_AT_low_pc")
    high = attrs.get("DW_AT_high_pc")
    if low is None or high is None or low.form not in _ADDRESS_FORMS:
        return out
    begin = int(low.value)
    if high.form in _CONSTANT_FORMS:
        end = begin + int(high.value)
    elif high.form in _ADDRESS_FORMS:
        end = int(high.value)
    else:
        return out
    if begin < end:
        out.append((begin, end))
    return out


FORCE_PYELFTOOLS = False
"""Read every line program and every DIE with pyelftools instead of `lines` and `dies` (the tests'
reference run)."""


@dataclass(slots=True)
class _LineSections:
    """The payloads `lines.decode_line_program` reads, taken once from the DWARFInfo's streams."""

    line: bytes | None
    strings: bytes | None
    line_strings: bytes | None


def _payload(section: Any) -> bytes | None:
    if section is None:
        return None
    stream = section.stream
    if isinstance(stream, io.BytesIO):
        return stream.getvalue()
    stream.seek(0)
    return bytes(stream.read())


def _line_sections(dwarf: DWARFInfo) -> _LineSections:
    return _LineSections(
        _payload(dwarf.debug_line_sec), _payload(dwarf.debug_str_sec), _payload(dwarf.debug_line_str_sec)
    )


def _direct_lines(cu: Any, stmt_list: Any, sections: _LineSections) -> LineProgram | None:
    """The unit's line program from `lines`; None where pyelftools must read it instead."""
    if FORCE_PYELFTOOLS or sections.line is None or not isinstance(stmt_list, int):
        return None
    try:
        program = decode_line_program(
            sections.line, stmt_list, int(cu["address_size"]),
            strings=sections.strings, line_strings=sections.line_strings,
        )  # fmt: skip
    except LineProgramUnreadable:
        raise  # pyelftools would take minutes and gigabytes to fail on it too
    except LineProgramError:
        return None
    # pyelftools sizes the header's offsets by the unit's format, not the program's own.
    if program.dwarf64 != (cu.structs.dwarf_format == 64):
        return None
    return program


def _files(version: int, include_directory: Any, file_entry: Any, comp_dir: str | None) -> list[str]:
    directories = [_text(d) for d in include_directory]
    files: list[str] = [] if version >= 5 else [""]  # DWARF <= 4 has no file 0
    for name, dir_index in file_entry:
        directory = None
        if dir_index != 0:
            position = dir_index if version >= 5 else dir_index - 1
            directory = directories[position] if 0 <= position < len(directories) else None
        files.append(render_file(comp_dir, directory, _text(name)))
    return files


def _lines(
    dwarf: DWARFInfo, cu: Any, comp_dir: str | None, stmt_list: Any, sections: _LineSections
) -> tuple[list[str], list[Any]] | None:
    direct = _direct_lines(cu, stmt_list, sections)
    if direct is not None:
        files = _files(direct.version, direct.include_directory, [(f.name, f.dir_index) for f in direct.file_entry],
                       comp_dir)  # fmt: skip
        sequences = []
        for raw, end in direct.sequences:
            if not raw:
                continue
            rows: list[tuple[int, int, int, int]] = []
            append = rows.append
            last = None
            for row in raw:
                if row[0] == last:
                    rows[-1] = row
                else:
                    append(row)
                    last = row[0]
            sequences.append((rows[0][0], end[0], rows))
        sequences.sort(key=lambda s: s[0])
        return files, sequences
    program = dwarf.line_program_for_CU(cu)
    if program is None:
        return None
    header = program.header
    files = _files(
        header["version"], header["include_directory"], [(e["name"], e["dir_index"]) for e in header["file_entry"]],
        comp_dir,
    )  # fmt: skip
    sequences = []
    rows = []
    for entry in program.get_entries():
        state = entry.state
        if state is None:
            continue
        if state.end_sequence:
            if rows:
                sequences.append((rows[0][0], state.address, rows))
                rows = []
            continue
        row = (state.address, state.file, state.line, state.column)
        if rows and rows[-1][0] == state.address:
            rows[-1] = row
        else:
            rows.append(row)
    sequences.sort(key=lambda s: s[0])
    return files, sequences


def _inlined_call(attrs: Mapping[str, Any], offset: int, version: int, space: int) -> InlinedCall:
    call_file = None
    if "DW_AT_call_file" in attrs:
        index = int(attrs["DW_AT_call_file"].value)
        # DWARF 5 numbers files from 0, so 0 is a file there; before, 0 meant none (addr2line's rule).
        if index > 0 or version >= 5:
            call_file = index
    line = int(attrs["DW_AT_call_line"].value) if "DW_AT_call_line" in attrs else 0
    column = int(attrs["DW_AT_call_column"].value) if "DW_AT_call_column" in attrs else 0
    return InlinedCall((space, offset), call_file, line, column)


_Die = tuple[int, Any, int, Mapping[str, Any]]
"""(depth, tag, offset, attributes by name) of one DIE, from pyelftools or from `dies`."""


def _walk(cu: Any) -> Iterator[_Die]:
    """Every non-null DIE with its depth, without recursion (deep trees are data, not stack)."""
    depth = 0
    for die in cu.iter_DIEs():
        if die.is_null():
            depth -= 1
            continue
        yield depth, die.tag, die.offset, die.attributes
        if die.has_children:
            depth += 1


@dataclass(slots=True)
class _DirectDies:
    """What `dies` reads units from, taken once per build."""

    sections: Sections
    abbrevs: AbbrevTables


def _direct_dies(dwarf: DWARFInfo) -> _DirectDies | None:
    info, abbrev = _payload(dwarf.debug_info_sec), _payload(dwarf.debug_abbrev_sec)
    if FORCE_PYELFTOOLS or info is None or abbrev is None:
        return None
    sections = Sections(
        info, abbrev, strings=_payload(dwarf.debug_str_sec), line_strings=_payload(dwarf.debug_line_str_sec),
        str_offsets=_payload(dwarf.debug_str_offsets_sec), addr=_payload(dwarf.debug_addr_sec),
        loclists=_payload(dwarf.debug_loclists_sec), rnglists=_payload(dwarf.debug_rnglists_sec),
    )  # fmt: skip
    return _DirectDies(sections, AbbrevTables(sections))


_BASES = ("DW_AT_str_offsets_base", "DW_AT_addr_base", "DW_AT_loclists_base", "DW_AT_rnglists_base")


def _unit_functions(
    cu: Any, top: Any, dwarf: DWARFInfo, unit_base: int, infos: _Names, direct: _DirectDies | None
) -> tuple[list[Function], list[tuple[int, int, int]]]:
    """A non-split unit's functions: its DIEs read by `dies`, or by pyelftools where `dies` gives up."""
    if direct is not None:
        attrs = top.attributes
        layout = UnitLayout(
            die_start=top.offset + top.size, end=cu.cu_offset + cu.size, version=int(cu["version"]),
            offset_size=8 if cu.structs.dwarf_format == 64 else 4, address_size=int(cu["address_size"]),
            abbrev_offset=int(cu["debug_abbrev_offset"]), depth=1 if top.has_children else 0,
            bases={name: attrs[name].value for name in _BASES if name in attrs},
        )  # fmt: skip
        mine: _Names = {}  # kept only if the whole unit reads
        dies = itertools.chain([(0, top.tag, top.offset, attrs)], walk_unit(direct.sections, direct.abbrevs, layout))
        try:
            found = _collect_functions(dies, cu, dwarf, unit_base, mine, 0)
        except DieError:
            pass
        else:
            infos.update(mine)
            return found
    return _collect_functions(_walk(cu), cu, dwarf, unit_base, infos, 0)


def _collect_functions(
    dies: Iterable[_Die], cu: Any, dwarf: DWARFInfo, unit_base: int, infos: _Names, space: int
) -> tuple[list[Function], list[tuple[int, int, int]]]:
    """The unit's functions with code, and their inlined calls, as addr2line's Functions::parse sees them."""
    functions: list[Function] = []
    function_ranges: list[tuple[int, int, int]] = []
    # Open DW_TAG_subprogram / DW_TAG_inlined_subroutine scopes, innermost last:
    # (DIE depth, inline depth of their inlined children, function with code or None).
    scopes: list[tuple[int, int, Function | None]] = []
    cu_offset = int(cu.cu_offset)
    version = cu.header["version"]
    for depth, tag, offset, attrs in dies:
        while scopes and scopes[-1][0] >= depth:
            scopes.pop()
        if tag in ("DW_TAG_subprogram", "DW_TAG_inlined_subroutine") or not _NAMING.isdisjoint(attrs):
            infos[(space, offset)] = (attrs, cu_offset)
        if tag == "DW_TAG_subprogram":
            function = None
            ranges = _pc_ranges(attrs, cu, dwarf, unit_base)
            if ranges:
                function = Function((space, offset))
                function_ranges.extend((begin, end, len(functions)) for begin, end in ranges)
                functions.append(function)
            scopes.append((depth, 0, function))
        elif tag == "DW_TAG_inlined_subroutine" and scopes and scopes[-1][2] is not None:
            _, inline_depth, function = scopes[-1]
            assert function is not None
            call = _inlined_call(attrs, offset, version, space)
            for begin, end in _pc_ranges(attrs, cu, dwarf, unit_base):
                function.inlined_ranges.append((begin, end, inline_depth, len(function.inlined)))
            function.inlined.append(call)
            scopes.append((depth, inline_depth + 1, function))
    function_ranges.sort(key=lambda r: r[0])
    for function in functions:
        function.inlined_ranges.sort(key=lambda r: (r[2], r[0]))
    return functions, function_ranges


def _is_skeleton(top: Any) -> bool:
    attrs = top.attributes
    return top.tag == "DW_TAG_skeleton_unit" or "DW_AT_GNU_dwo_name" in attrs or "DW_AT_dwo_name" in attrs


def _split_functions(
    top: Any, sections: Mapping[str, bytes], split: SplitFiles, unit_base: int, infos: _Names,
    space: int,
) -> tuple[list[Function], list[tuple[int, int, int]]] | None:
    """A skeleton unit's functions, read from its split unit; None when that cannot be found."""
    from wasmdbg.dwarf.loader import load_dwarf
    from wasmdbg.dwarf.split import open_split_unit

    attrs = top.attributes
    name_attr = attrs.get("DW_AT_dwo_name") or attrs.get("DW_AT_GNU_dwo_name")
    dwo_name = _text(name_attr.value) if name_attr is not None else None
    id_attr = attrs.get("DW_AT_GNU_dwo_id")
    dwo_id = int(id_attr.value) if id_attr is not None else top.cu.header.get("dwo_id")
    unit = split.unit(dwo_name, dwo_id)
    if unit is None:
        return None
    split_dwarf = open_split_unit(top, dict(sections), unit, load_dwarf)
    functions: list[Function] = []
    function_ranges: list[tuple[int, int, int]] = []
    for split_cu in split_dwarf.iter_CUs():
        more, more_ranges = _collect_functions(_walk(split_cu), split_cu, split_dwarf, unit_base, infos, space)
        function_ranges.extend((b, e, i + len(functions)) for b, e, i in more_ranges)
        functions.extend(more)
    function_ranges.sort(key=lambda r: r[0])
    return functions, function_ranges


def build_tables(
    dwarf: DWARFInfo,
    sections: Mapping[str, bytes] | None = None,
    split: SplitFiles | None = None,
    *,
    progress: Callable[[IndexProgress], None] | None = None,
) -> DwarfTables:
    """Walk every unit once. Raises whatever pyelftools raises on bad DWARF (the caller isolates it).

    Args:
        dwarf: the module's DWARF.
        sections: its section payloads, needed to read split units against them.
        split: where split units may be read from; None reads skeletons only.
        progress: called before the first unit, after every unit (phase `READING_UNITS`) and once
            when names are resolved (`RESOLVING_NAMES`); the total is counted from the unit
            headers in `sections`, None without them.
    """
    infos: _Names = {}
    units: list[Unit] = []
    notes: list[str] = []
    aranges = _aranges(dwarf)
    line_sections = _line_sections(dwarf)
    direct = _direct_dies(dwarf)
    if split is not None:
        from wasmdbg.dwarf.split import allow_missing_bases

        allow_missing_bases()
    total = count_units(sections[".debug_info"]) if sections is not None and ".debug_info" in sections else None
    done = 0
    if progress is not None:
        progress(IndexProgress(0, total, READING_UNITS))
    for cu in dwarf.iter_CUs():
        done += 1
        if progress is not None and done > 1:
            progress(IndexProgress(done - 1, total, READING_UNITS))
        top = cu.get_top_DIE()
        if top.tag not in ("DW_TAG_compile_unit", "DW_TAG_skeleton_unit", "DW_TAG_partial_unit"):
            continue
        attrs = top.attributes
        language = int(attrs["DW_AT_language"].value) if "DW_AT_language" in attrs else None
        comp_dir = _text(attrs["DW_AT_comp_dir"].value) if "DW_AT_comp_dir" in attrs else None
        low_pc = attrs.get("DW_AT_low_pc")
        unit_base = int(low_pc.value) if low_pc is not None and low_pc.form in _ADDRESS_FORMS else 0
        lines = _lines(dwarf, cu, comp_dir, attrs["DW_AT_stmt_list"].value, line_sections) if "DW_AT_stmt_list" in attrs else None
        files, sequences = lines if lines is not None else ([], [])

        found = None
        if _is_skeleton(top):
            if split is not None and sections is not None:
                found = _split_functions(top, sections, split, unit_base, infos, len(units) + 1)
            elif split is None:
                notes.append("split DWARF: skeleton units are read without their .dwo")
        functions, function_ranges = (
            found if found is not None else _unit_functions(cu, top, dwarf, unit_base, infos, direct)
        )

        ranges = _pc_ranges(attrs, cu, dwarf, unit_base) if "DW_AT_ranges" in attrs else []
        if not ranges:
            ranges = [r for r in aranges.get(cu.cu_offset, []) if r[0] < r[1]]
        if not ranges:
            ranges = _pc_ranges(attrs, cu, dwarf, unit_base)
        if not ranges:
            ranges = [(start, end) for start, end, _ in sequences if start < end]
        units.append(Unit(language, files, sequences, functions, function_ranges, ranges))

    if progress is not None:
        progress(IndexProgress(done, total, READING_UNITS))
        progress(IndexProgress(done, total, RESOLVING_NAMES))
    names: dict[DieKey, tuple[str | None, bool]] = {}
    for unit in units:
        for function in unit.functions:
            names[function.name_die] = _resolve_own(infos, function.name_die)
            for call in function.inlined:
                names[call.name_die] = _resolve_own(infos, call.name_die)
    if split is not None:
        notes.extend(split.notes)
    return DwarfTables(units, names, notes, list(split.used) if split is not None else [])


def _aranges(dwarf: DWARFInfo) -> dict[int, list[Range]]:
    """CU offset -> ranges from .debug_aranges (empty when the section is absent)."""
    table = dwarf.get_aranges()
    out: dict[int, list[Range]] = {}
    if table is None:
        return out
    for entry in table.entries:
        if entry.length:
            out.setdefault(entry.info_offset, []).append((entry.begin_addr, entry.begin_addr + entry.length))
    return out

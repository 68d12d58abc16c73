"""The direct DIE reader (wasmdbg.dwarf.dies) against pyelftools, its reference.

On every module at hand (the sample modules, with their `.dwo`/`.dwp` where they have one; the
corpus's DWARF modules when ../shared/corpus is present; bench/build/sqlbench.wasm when it has been
built) `build_tables` must give identical tables with the direct reader and with pyelftools forced,
and the direct reader must read every unit itself (no fallback), so the equality is not vacuous.
Hand-made units cover every form (DWARF 2-5, 32- and 64-bit), and hostile ones must end in
`DieError`, quickly, leaving `build_tables` with exactly the pyelftools path's answer or error.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from elftools.dwarf import die as elftools_die
from elftools.dwarf import dwarf_util, dwarfinfo, enums

from tests.fixtures import hostile_dwarf as hostile
from tests.fixtures.hostile_dwarf import sleb, uleb
from tests.helpers import CORPUS, ROOT, SAMPLES, sample_module_paths
from wasmdbg.dwarf import build, dies
from wasmdbg.dwarf.build import DwarfTables, build_tables
from wasmdbg.dwarf.dies import AbbrevTables, DieError, Sections, UnitLayout, walk_unit
from wasmdbg.dwarf.loader import load_dwarf
from wasmdbg.dwarf.split import SplitFiles, allow_missing_bases, dwo_sections
from wasmdbg.symbols.debug_files import find_debug_info
from wasmdbg.wasm.module import read_module

QUICK_S = 2.0
"""Budget for reading one small hostile unit: linear work takes milliseconds."""
BUILD = SAMPLES / "build"
SQLBENCH = ROOT / "bench" / "build" / "sqlbench.wasm"


# -- the comparison -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _restore_pyelftools(monkeypatch: pytest.MonkeyPatch) -> None:
    """`allow_missing_bases` patches pyelftools for the process; undo it after each test."""
    for module in (dwarf_util, elftools_die, dwarfinfo):
        if hasattr(module, "_get_base_offset"):
            monkeypatch.setattr(module, "_get_base_offset", getattr(module, "_get_base_offset"))


@dataclass
class Fallbacks:
    """Every DieError the direct reader raised during a build (each one a unit read by pyelftools)."""

    errors: list[str] = field(default_factory=list)


@pytest.fixture
def fallbacks(monkeypatch: pytest.MonkeyPatch) -> Fallbacks:
    seen = Fallbacks()
    real = build.walk_unit

    def recording(*args: Any) -> Iterator[Any]:
        try:
            yield from real(*args)
        except DieError as error:
            seen.errors.append(str(error))
            raise

    monkeypatch.setattr(build, "walk_unit", recording)
    return seen


def _build(sections: dict[str, bytes], *, force: bool, split: SplitFiles | None = None) -> object:
    """build_tables' result, or (exception type, message) when it raises."""
    saved = build.FORCE_PYELFTOOLS
    build.FORCE_PYELFTOOLS = force
    try:
        return build_tables(load_dwarf(sections), sections, split)
    except Exception as error:  # noqa: BLE001 - what is compared is which error, not whether
        return type(error), str(error)
    finally:
        build.FORCE_PYELFTOOLS = saved


def _check_tables(sections: dict[str, bytes], split: SplitFiles | None = None) -> object:
    """The direct build equals the pyelftools build (tables, or the error raised); returns it."""
    reference = _build(sections, force=True, split=split)
    direct = _build(sections, force=False, split=split)
    assert direct == reference
    return direct


def _module_sections(path: Path) -> dict[str, bytes] | None:
    info = find_debug_info(read_module(path.read_bytes()), path, None)
    if info is None:
        return None
    sections = dict(info.dwarf_sections())
    return sections if ".debug_info" in sections else None


def _check_module(path: Path, fallbacks: Fallbacks, split: SplitFiles | None = None) -> None:
    sections = _module_sections(path)
    if sections is None:
        pytest.skip("no .debug_info")
    tables = _check_tables(sections, split)
    assert isinstance(tables, DwarfTables) and tables.units
    assert fallbacks.errors == []  # every unit was read directly: the equality is not vacuous


SAMPLE_MODULES = [path for path in sample_module_paths() if _module_sections(path) is not None]
CORPUS_MODULES = sorted(CORPUS.glob("dwarf-binaryen/*.wasm")) if CORPUS.exists() else []


@pytest.mark.parametrize("path", SAMPLE_MODULES, ids=lambda p: p.name)
def test_sample_module_tables_match_pyelftools(path: Path, fallbacks: Fallbacks) -> None:
    _check_module(path, fallbacks)


def test_split_dwarf_samples_match_pyelftools_with_their_split_files(fallbacks: Fallbacks) -> None:
    """Skeletons' split units are read by pyelftools; the module's other units by the direct reader."""
    dwp = dwo_sections((BUILD / "divzero.split2.wasm.dwp").read_bytes())
    for module, split in (
        ("divzero.split.wasm", lambda: SplitFiles(BUILD)),
        ("divzero.split2.wasm", lambda: SplitFiles(None, dwp=dwp)),
    ):
        sections = _module_sections(BUILD / module)
        assert sections is not None
        reference = _build(sections, force=True, split=split())
        direct = _build(sections, force=False, split=split())
        assert direct == reference
        assert isinstance(direct, DwarfTables) and not direct.notes
        assert any(call for unit in direct.units for f in unit.functions for call in f.inlined)
    assert fallbacks.errors == []


# The 4 MB SQLite module joins them where `bench/build_modules.sh` has built it (not in CI).
OTHER_MODULES = CORPUS_MODULES + ([SQLBENCH] if SQLBENCH.exists() else [])


@pytest.mark.corpus
@pytest.mark.skipif(not OTHER_MODULES, reason="../shared/corpus is absent (present in CI)")
@pytest.mark.parametrize("path", OTHER_MODULES, ids=lambda p: p.name)
def test_corpus_and_bench_module_tables_match_pyelftools(path: Path, fallbacks: Fallbacks) -> None:
    _check_module(path, fallbacks)


def test_the_readers_names_are_pyelftools_names() -> None:
    """`build` compares forms, attributes and tags by pyelftools' names; these must be the same."""
    for code, name in dies.FORM_NAMES.items():
        assert enums.ENUM_DW_FORM[name] == code
    for code, name in {**dies.NAME_ATTRIBUTES, **dies.PC_ATTRIBUTES}.items():
        assert enums.ENUM_DW_AT[name] == code
        assert [n for n, c in enums.ENUM_DW_AT.items() if c == code] == [name]
    assert enums.ENUM_DW_TAG[dies.SUBPROGRAM] == 0x2E and enums.ENUM_DW_TAG[dies.INLINED_SUBROUTINE] == 0x1D


# -- hand-made units ------------------------------------------------------------------------------

DW_TAG_compile_unit, DW_TAG_variable, DW_TAG_subprogram, DW_TAG_inlined, DW_TAG_lexical_block = 0x11, 0x34, 0x2E, 0x1D, 0x0B
DW_AT_name, DW_AT_language, DW_AT_low_pc, DW_AT_high_pc, DW_AT_ranges = 0x03, 0x13, 0x11, 0x12, 0x55
DW_AT_linkage_name, DW_AT_mips_linkage_name, DW_AT_abstract_origin, DW_AT_specification = 0x6E, 0x2007, 0x31, 0x47
DW_AT_call_file, DW_AT_call_line, DW_AT_call_column, DW_AT_sibling, DW_AT_inline = 0x58, 0x59, 0x57, 0x01, 0x20
DW_AT_str_offsets_base, DW_AT_addr_base, DW_AT_rnglists_base, DW_AT_loclists_base = 0x72, 0x73, 0x74, 0x8C
F = {name[len("DW_FORM_"):]: code for code, name in dies.FORM_NAMES.items()}
F.update(strx4=0x28, ref=0x02, GNU_addr_index=0x1F01, GNU_str_index=0x1F02)
VENDOR = 0x3E00
"""Attribute codes from here on are nothing `build` reads: they are skipped by their form."""

STRINGS = ["skipped", "_Z3subv", "sub", "strx_name", "after_every_form", "abstract", "duplicate", "last"]
LINE_STRINGS = ["skipped_line", "mips_linkage"]


@dataclass
class Spec:
    attribute: int
    form: int
    data: bytes = b""
    """The value's bytes in the DIE."""
    implicit: int | None = None
    """The DW_FORM_implicit_const value, written in the abbreviation."""


@dataclass
class Entry:
    tag: int
    specs: list[Spec]
    children: bool = False
    label: str | None = None


NULL = None


@dataclass
class Layout:
    """Where things land in the hand-made sections."""

    version: int
    dwarf64: bool

    @property
    def osize(self) -> int:
        return 8 if self.dwarf64 else 4

    def off(self, value: int) -> bytes:
        return value.to_bytes(self.osize, "little")


def _strings(names: list[str]) -> tuple[bytes, dict[str, int]]:
    data, offsets = bytearray(b"\0"), {}
    for name in names:
        offsets[name] = len(data)
        data += name.encode() + b"\0"
    return bytes(data), offsets


STR, STR_AT = _strings(STRINGS)
LINE_STR, LINE_STR_AT = _strings(LINE_STRINGS)
ADDRESSES = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80]


def _index_sections(layout: Layout) -> tuple[dict[str, bytes], dict[str, int]]:
    """.debug_str_offsets, .debug_addr, .debug_loclists, .debug_rnglists, and the bases into them."""
    header = 16 if layout.dwarf64 else 8
    str_offsets = bytes(header) + b"".join(layout.off(STR_AT[name]) for name in STRINGS)
    addr = bytes(8) + b"".join(struct.pack("<I", a) for a in ADDRESSES)
    lists_header = 20 if layout.dwarf64 else 12
    # One range list: DW_RLE_offset_pair 0x10..0x18, then DW_RLE_end_of_list, after a one-entry table.
    rnglists = bytes(lists_header) + layout.off(layout.osize) + b"\x04" + uleb(0x10) + uleb(0x18) + b"\0"
    loclists = bytes(lists_header) + layout.off(layout.osize) + b"\0"
    sections = {".debug_str_offsets": str_offsets, ".debug_addr": addr}
    if layout.version >= 5:
        sections.update({".debug_rnglists": rnglists, ".debug_loclists": loclists})
    else:
        sections[".debug_ranges"] = struct.pack("<IIII", 0x10, 0x18, 0, 0)
        sections[".debug_loclists"] = loclists  # only its offset table is read (loclistx), not its lists
        sections[".debug_rnglists"] = rnglists
    bases = {"str": header, "addr": 8, "lists": lists_header}
    return sections, bases


def _every_form(layout: Layout, refs: dict[str, int]) -> list[Spec]:
    """One attribute in every form the reader skips, with a plausible value each."""
    version, off = layout.version, layout.off
    top = refs.get("cu_top", 0)
    ref_addr = struct.pack("<I", top) if version == 2 else off(top)
    forms: list[tuple[int, bytes, int | None]] = [
        (F["addr"], struct.pack("<I", 0x1234), None),
        (F["block2"], struct.pack("<H", 3) + b"abc", None),
        (F["block4"], struct.pack("<I", 2) + b"\0\0", None),
        (F["data2"], b"\x01\x02", None), (F["data4"], bytes(4), None), (F["data8"], bytes(8), None),
        (F["string"], b"inline string\0", None),
        (F["block"], uleb(130) + bytes(130), None), (F["block1"], b"\x01\xff", None),
        (F["data1"], b"\x07", None), (F["flag"], b"\x01", None), (F["sdata"], sleb(-123456), None),
        (F["strp"], off(STR_AT["skipped"]), None), (F["udata"], uleb(1 << 40), None),
        (F["ref_addr"], ref_addr, None), (F["ref1"], b"\x0b", None), (F["ref2"], b"\x0b\0", None),
        (F["ref4"], struct.pack("<I", 11), None), (F["ref8"], struct.pack("<Q", 11), None),
        (F["ref_udata"], uleb(11), None),
        (F["indirect"], uleb(F["data2"]) + b"\x05\x06", None),
        (F["indirect"], uleb(F["indirect"]) + uleb(F["udata"]) + uleb(300), None),
        (F["indirect"], uleb(F["strp"]) + off(STR_AT["skipped"]), None),
        (F["sec_offset"], off(0), None), (F["exprloc"], uleb(3) + b"\x9f\x9f\x9f", None),
        (F["flag_present"], b"", None), (F["strx"], uleb(0), None), (F["addrx"], uleb(7), None),
        (F["ref_sup4"], bytes(4), None), (F["strp_sup"], off(0), None), (F["data16"], bytes(range(16)), None),
        (F["line_strp"], off(LINE_STR_AT["skipped_line"]), None), (F["ref_sig8"], bytes(8), None),
        (F["implicit_const"], b"", -7), (F["loclistx"], uleb(0), None), (F["rnglistx"], uleb(0), None),
        (F["ref_sup8"], bytes(8), None), (F["strx1"], b"\x00", None), (F["strx2"], b"\x00\x00", None),
        (F["strx3"], b"\x00\x00\x00", None), (F["addrx1"], b"\x01", None), (F["addrx2"], b"\x02\x00", None),
        (F["addrx3"], b"\x03\x00\x00", None), (F["addrx4"], struct.pack("<I", 4), None),
        (F["GNU_ref_alt"], off(0), None), (F["GNU_strp_alt"], off(0), None),
    ]  # fmt: skip
    return [Spec(VENDOR + i, form, data, implicit) for i, (form, data, implicit) in enumerate(forms)]


def _entries(layout: Layout, refs: dict[str, int], bases: dict[str, int]) -> list[Entry | None]:
    """The unit's DIEs in order (None closes a level); `refs` holds unit-relative offsets by label."""
    version, off = layout.version, layout.off
    ranges = Spec(DW_AT_ranges, F["rnglistx"], uleb(0)) if version >= 5 else Spec(DW_AT_ranges, F["sec_offset"], off(0))
    return [
        Entry(DW_TAG_compile_unit, [
            Spec(DW_AT_name, F["string"], b"cu.c\0"), Spec(DW_AT_language, F["data2"], b"\x0c\0"),
            Spec(DW_AT_low_pc, F["addr"], bytes(4)),
            Spec(DW_AT_str_offsets_base, F["sec_offset"], off(bases["str"])),
            Spec(DW_AT_addr_base, F["sec_offset"], off(bases["addr"])),
            Spec(DW_AT_rnglists_base, F["sec_offset"], off(bases["lists"])),
            Spec(DW_AT_loclists_base, F["sec_offset"], off(bases["lists"])),
        ], children=True, label="cu_top"),
        Entry(DW_TAG_variable, [*_every_form(layout, refs), Spec(DW_AT_name, F["strx2"], b"\x04\x00")],
              label="every_form"),
        Entry(DW_TAG_subprogram, [
            Spec(DW_AT_sibling, F["ref4"], struct.pack("<I", refs.get("sub", 0))),  # itself: never followed
            Spec(DW_AT_linkage_name, F["strx"], uleb(1)), Spec(DW_AT_name, F["strp"], off(STR_AT["sub"])),
            Spec(DW_AT_low_pc, F["addrx"], uleb(0)), Spec(DW_AT_high_pc, F["data4"], struct.pack("<I", 0x40)),
        ], children=True, label="sub"),
        Entry(DW_TAG_inlined, [
            Spec(DW_AT_abstract_origin, F["ref4"], struct.pack("<I", refs.get("abstract", 0))),
            Spec(DW_AT_low_pc, F["addrx1"], b"\x01"), Spec(DW_AT_high_pc, F["data2"], b"\x08\x00"),
            Spec(DW_AT_call_file, F["implicit_const"], implicit=1), Spec(DW_AT_call_line, F["udata"], uleb(300)),
            Spec(DW_AT_call_column, F["sdata"], sleb(7)),
        ], children=True),
        Entry(DW_TAG_inlined, [
            Spec(DW_AT_abstract_origin, F["ref_addr"],
                 (struct.pack("<I", refs.get("every_form_abs", 0)) if version == 2
                  else off(refs.get("every_form_abs", 0)))),
            Spec(DW_AT_low_pc, F["addr"], struct.pack("<I", 0x22)), Spec(DW_AT_high_pc, F["addr"], struct.pack("<I", 0x24)),
            Spec(DW_AT_call_file, F["data1"], b"\x02"), Spec(DW_AT_call_line, F["data2"], b"\x05\x00"),
            Spec(DW_AT_call_column, F["data4"], struct.pack("<I", 1)),
        ]),
        NULL,
        Entry(DW_TAG_lexical_block, [Spec(DW_AT_low_pc, F["addr"], struct.pack("<I", 0x30))]),
        NULL,
        Entry(DW_TAG_subprogram, [Spec(DW_AT_specification, F["ref_udata"], uleb(refs.get("abstract", 0))), ranges]),
        Entry(DW_TAG_subprogram, [
            Spec(DW_AT_mips_linkage_name, F["line_strp"], off(LINE_STR_AT["mips_linkage"])),
            Spec(DW_AT_name, F["strx3"], b"\x05\x00\x00"), Spec(DW_AT_inline, F["data1"], b"\x01"),
        ], label="abstract"),
        Entry(DW_TAG_subprogram, [
            Spec(DW_AT_name, F["string"], b"first\0"), Spec(DW_AT_low_pc, F["addrx2"], b"\x02\x00"),
            Spec(DW_AT_high_pc, F["addrx3"], b"\x03\x00\x00"), Spec(DW_AT_name, F["strx1"], b"\x06"),
        ]),
        Entry(DW_TAG_subprogram, [
            Spec(DW_AT_name, F["strx"], uleb(7)), Spec(DW_AT_low_pc, F["addrx4"], struct.pack("<I", 4)),
            Spec(DW_AT_high_pc, F["udata"], uleb(0x10)),
        ]),
        # Kept attributes in forms `build` ignores there (no range, no reference): values as pyelftools'.
        Entry(DW_TAG_subprogram, [
            Spec(DW_AT_low_pc, F["block1"], b"\x02\x01\x02"), Spec(DW_AT_high_pc, F["flag"], b"\x01"),
            Spec(DW_AT_abstract_origin, F["data16"], bytes(range(16))), Spec(DW_AT_specification, F["flag_present"]),
        ]),
        Entry(DW_TAG_inlined, [Spec(DW_AT_low_pc, F["exprloc"], uleb(2) + b"\x9f\x9f"),
                               Spec(DW_AT_high_pc, F["block"], uleb(0))]),
        NULL,
    ]  # fmt: skip


def _abbrev_table(entries: list[Entry | None]) -> tuple[bytes, list[int]]:
    table, codes = bytearray(), []
    for code, entry in enumerate((e for e in entries if e is not None), start=1):
        table += uleb(code) + uleb(entry.tag) + bytes([entry.children])
        for spec in entry.specs:
            table += uleb(spec.attribute) + uleb(spec.form)
            if spec.implicit is not None:
                table += sleb(spec.implicit)
        table += b"\0\0"
        codes.append(code)
    return bytes(table + b"\0"), codes


def _unit_header(layout: Layout, body_length: int) -> bytes:
    """The unit header for a body of `body_length` bytes, with abbreviations at offset 0."""
    version, off = layout.version, layout.off
    rest = struct.pack("<H", version)
    rest += bytes([1, 4]) + off(0) if version >= 5 else off(0) + bytes([4])  # DW_UT_compile, address size 4
    length = len(rest) + body_length
    return (b"\xff\xff\xff\xff" + struct.pack("<Q", length) if layout.dwarf64 else struct.pack("<I", length)) + rest


def _encode(layout: Layout, refs: dict[str, int], bases: dict[str, int]) -> tuple[bytes, bytes, dict[str, int]]:
    entries = _entries(layout, refs, bases)
    abbrev, codes = _abbrev_table(entries)
    header_size = len(_unit_header(layout, 0))
    body, labels, code = bytearray(), {}, iter(codes)
    for entry in entries:
        if entry is None:
            body += b"\0"
            continue
        if entry.label is not None:
            labels[entry.label] = header_size + len(body)
        body += uleb(next(code)) + b"".join(spec.data for spec in entry.specs)
    return _unit_header(layout, len(body)) + bytes(body), abbrev, labels


def hand_made(version: int, dwarf64: bool = False) -> dict[str, bytes]:
    """The sections of one unit using every form, DWARF `version`, 32- or 64-bit."""
    layout = Layout(version, dwarf64)
    index_sections, bases = _index_sections(layout)
    refs: dict[str, int] = {}
    while True:  # each pass writes the references the one before laid out, until nothing moves
        info, abbrev, labels = _encode(layout, refs, bases)
        labels["every_form_abs"] = labels["every_form"]
        if labels == refs:
            break
        refs = labels
    return {".debug_info": info, ".debug_abbrev": abbrev, ".debug_str": STR, ".debug_line_str": LINE_STR,
            **index_sections}  # fmt: skip


def _reader_dies(sections: dict[str, bytes]) -> tuple[list[Any], list[Any]]:
    """(the direct reader's DIEs, pyelftools' DIEs after the top one, as the same tuples)."""
    dwarf = load_dwarf(sections)
    ours: list[Any] = []
    theirs: list[Any] = []
    for cu in dwarf.iter_CUs():
        top = cu.get_top_DIE()
        layout = _layout(cu, top)
        direct = build._direct_dies(dwarf)
        assert direct is not None
        ours.extend(walk_unit(direct.sections, direct.abbrevs, layout))
        depth = 0
        for die in cu.iter_DIEs():
            if die.is_null():
                depth -= 1
                continue
            if die.offset != top.offset:
                kept = dict(dies.NAME_ATTRIBUTES)
                if die.tag in (dies.SUBPROGRAM, dies.INLINED_SUBROUTINE):
                    kept.update(dies.PC_ATTRIBUTES)
                attributes = {name: (a.form, a.value, a.raw_value) for name, a in die.attributes.items()
                              if name in kept.values()}  # fmt: skip
                tag = die.tag if die.tag in (dies.SUBPROGRAM, dies.INLINED_SUBROUTINE) else enums.ENUM_DW_TAG[die.tag]
                theirs.append((depth, tag, die.offset, attributes))
            if die.has_children:
                depth += 1
    ours = [(d, t, o, {n: (a.form, a.value, a.raw_value) for n, a in attrs.items()}) for d, t, o, attrs in ours]
    return ours, theirs


def _layout(cu: Any, top: Any) -> UnitLayout:
    attrs = top.attributes
    return UnitLayout(
        die_start=top.offset + top.size, end=cu.cu_offset + cu.size, version=cu["version"],
        offset_size=8 if cu.structs.dwarf_format == 64 else 4, address_size=cu["address_size"],
        abbrev_offset=cu["debug_abbrev_offset"], depth=1 if top.has_children else 0,
        bases={name: attrs[name].value for name in build._BASES if name in attrs},
    )  # fmt: skip


VERSIONS = [pytest.param(v, d64, id=f"v{v}-{'64' if d64 else '32'}") for v in (2, 3, 4, 5) for d64 in (False, True)]


@pytest.mark.parametrize(("version", "dwarf64"), VERSIONS)
def test_every_form_is_skipped_and_read_as_pyelftools_reads_it(version: int, dwarf64: bool, fallbacks: Fallbacks) -> None:
    sections = hand_made(version, dwarf64)
    ours, theirs = _reader_dies(sections)
    assert ours == theirs
    assert len(ours) == 11
    tables = _check_tables(sections)
    assert isinstance(tables, DwarfTables) and fallbacks.errors == []
    (unit,) = tables.units
    assert len(unit.functions) == 4
    names = sorted(name for name, _ in tables.names.values() if name is not None)
    # The duplicate DW_AT_name keeps its first place and its last value, as in pyelftools' dict.
    assert names == ["_Z3subv", "after_every_form", "duplicate", "last", "mips_linkage", "mips_linkage"]
    inlined = unit.functions[0].inlined
    assert [(c.call_file, c.call_line, c.call_column) for c in inlined] == [(1, 300, 7), (2, 5, 1)]


def test_implicit_const_and_index_forms_give_pyelftools_values() -> None:
    ours, theirs = _reader_dies(hand_made(5))
    by_offset = {die[2]: die for die in ours}
    call = next(die for die in ours if die[1] == dies.INLINED_SUBROUTINE)
    assert call[3]["DW_AT_call_file"] == ("DW_FORM_implicit_const", 1, 1)
    assert call[3]["DW_AT_low_pc"] == ("DW_FORM_addrx1", ADDRESSES[1], 1)
    sub = next(die for die in ours if die[1] == dies.SUBPROGRAM)
    assert sub[3]["DW_AT_linkage_name"] == ("DW_FORM_strx", b"_Z3subv", 1)
    assert len(by_offset) == len(theirs)


def test_a_self_pointing_sibling_is_not_followed() -> None:
    """The hand-made `sub` has DW_AT_sibling pointing at itself; so does the hostile fixture's divide."""
    for sections in (hand_made(4), _sections_of(hostile.self_sibling().data)):
        start = time.perf_counter()
        ours, theirs = _reader_dies(sections)
        assert ours == theirs
        assert time.perf_counter() - start < QUICK_S
        _check_tables(sections)


# -- hostile units --------------------------------------------------------------------------------


def _sections_of(data: bytes) -> dict[str, bytes]:
    info = find_debug_info(read_module(data), Path("m.wasm"), None)
    assert info is not None
    return dict(info.dwarf_sections())


def _walk_all(sections: dict[str, bytes]) -> None:
    """The direct reader over every unit (top DIEs from pyelftools, as `build` does)."""
    dwarf = load_dwarf(sections)
    direct = build._direct_dies(dwarf)
    assert direct is not None
    for cu in dwarf.iter_CUs():
        for _ in walk_unit(direct.sections, direct.abbrevs, _layout(cu, cu.get_top_DIE())):
            pass


def _rejects(sections: dict[str, bytes]) -> str:
    start = time.perf_counter()
    with pytest.raises(DieError) as raised:
        _walk_all(sections)
    assert time.perf_counter() - start < QUICK_S
    return str(raised.value)


def _with_unit(sections: dict[str, bytes], info: bytes, abbrev: bytes | None = None) -> dict[str, bytes]:
    out = dict(sections, **{".debug_info": info})
    if abbrev is not None:
        out[".debug_abbrev"] = abbrev
    return out


def _fitted(info: bytes, cut: int) -> bytes:
    """The 32-bit unit cut to `cut` bytes, its unit_length saying so."""
    return struct.pack("<I", cut - 4) + info[4:cut]


def test_every_truncation_is_rejected_or_read_as_pyelftools_reads_it() -> None:
    sections = hand_made(5)
    info = sections[".debug_info"]
    header = len(_unit_header(Layout(5, False), 0))
    rejected = 0
    for cut in range(header + 1, len(info)):
        for cut_info in (_fitted(info, cut), info[:cut]):  # unit_length fitted to the cut, and overrunning
            case = _with_unit(sections, cut_info)
            start = time.perf_counter()
            try:
                _walk_all(case)
            except DieError:
                rejected += 1
            except Exception:  # noqa: BLE001 - pyelftools' own top-DIE parse may fail; build raises it too
                pass
            assert time.perf_counter() - start < QUICK_S
            if cut % 7 == 0 or cut > len(info) - 20:  # every cut would take a minute with pyelftools
                _check_tables(case)
    assert rejected > len(info)


def test_a_truncated_unit_raises_the_specific_error() -> None:
    sections = hand_made(4)
    info = sections[".debug_info"]
    for cut, error in ((info.index(b"inline string") + 5, "unterminated string"),
                       (info.index(b"\x9f\x9f\x9f") + 1, "runs past the unit"),
                       (info.index(b"first\0") + 9, "truncated")):  # fmt: skip
        assert error in _rejects(_with_unit(sections, _fitted(info, cut)))
        _check_tables(_with_unit(sections, _fitted(info, cut)))
    _check_tables(_sections_of(hostile.truncated_die().data))
    _check_tables(_sections_of(hostile.truncated_unit().data))


def _small_unit(entries: list[Entry | None], extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """The sections of one DWARF 4 unit of `entries` (no references between them)."""
    abbrev, codes = _abbrev_table(entries)
    body, code = bytearray(), iter(codes)
    for entry in entries:
        body += b"\0" if entry is None else uleb(next(code)) + b"".join(s.data for s in entry.specs)
    info = _unit_header(Layout(4, False), len(body)) + bytes(body)
    return {".debug_info": info, ".debug_abbrev": abbrev, ".debug_str": STR, **(extra or {})}


def _one_die(specs: list[Spec], *, top: list[Spec] | None = None, extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """A unit whose top DIE has one child: a subprogram with `specs`, then a named variable."""
    return _small_unit([
        Entry(DW_TAG_compile_unit, [Spec(DW_AT_name, F["string"], b"cu.c\0"), *(top or [])], children=True),
        Entry(DW_TAG_subprogram, [*specs, Spec(DW_AT_low_pc, F["addr"], struct.pack("<I", 0x10)),
                                  Spec(DW_AT_high_pc, F["data1"], b"\x04")]),
        Entry(DW_TAG_variable, [Spec(DW_AT_name, F["string"], b"after\0")]),
        NULL,
    ], extra)  # fmt: skip


def test_an_indirect_chain_is_bounded() -> None:
    long_chain = _one_die([Spec(VENDOR, F["indirect"], uleb(F["indirect"]) * 20_000 + uleb(F["data1"]) + b"\x01")])
    assert "indirect" in _rejects(long_chain)
    _check_tables(long_chain)  # pyelftools follows it (linear in its length) and reads the DIE
    within = _one_die([Spec(VENDOR, F["indirect"], uleb(F["indirect"]) * (dies.MAX_INDIRECTION - 2)
                            + uleb(F["data1"]) + b"\x01")])  # fmt: skip
    _walk_all(within)
    _check_tables(within)
    # An indirect implicit_const has no value: pyelftools fails an assertion; so does the build, as before.
    implicit = _one_die([Spec(VENDOR, F["indirect"], uleb(F["implicit_const"]))])
    _rejects(implicit)
    assert _check_tables(implicit)[0] is AssertionError  # type: ignore[index]
    endless = _one_die([Spec(VENDOR, F["indirect"], b"\x96" * 100_000)])  # one LEB128 that never ends
    _rejects(endless)
    _check_tables(endless)


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(Spec(VENDOR, F["strx4"], bytes(4)), id="strx4"),  # pyelftools reads 8 bytes
        pytest.param(Spec(VENDOR, F["ref"], bytes(4)), id="DW_FORM_ref"),
        pytest.param(Spec(VENDOR, F["GNU_addr_index"], uleb(0)), id="GNU_addr_index"),
        pytest.param(Spec(VENDOR, F["GNU_str_index"], uleb(0)), id="GNU_str_index"),
        pytest.param(Spec(VENDOR, 0x7F, b""), id="unknown-form"),
        pytest.param(Spec(VENDOR, 0, b""), id="DW_FORM_null"),
        pytest.param(Spec(DW_AT_name, F["data1"], b"\x01"), id="numeric-name"),
        pytest.param(Spec(DW_AT_name, F["strp"], struct.pack("<I", 1 << 20)), id="name-past-debug_str"),
        pytest.param(Spec(DW_AT_call_line, F["strp"], struct.pack("<I", 0)), id="string-call-line"),
        pytest.param(Spec(DW_AT_ranges, F["flag_present"]), id="flag-ranges"),
        pytest.param(Spec(VENDOR, F["block"], uleb(1 << 40)), id="huge-block"),
        pytest.param(Spec(VENDOR, F["block4"], b"\xff\xff\xff\xff"), id="huge-block4"),
        pytest.param(Spec(VENDOR, F["udata"], b"\x80" * 11 + b"\x01"), id="overlong-leb"),
        pytest.param(Spec(VENDOR, F["strx1"], b"\x00"), id="strx-without-base"),
        pytest.param(Spec(VENDOR, F["addrx"], uleb(0)), id="addrx-without-base"),
        pytest.param(Spec(VENDOR, F["loclistx"], uleb(0)), id="loclistx-without-base"),
        pytest.param(Spec(VENDOR, F["line_strp"], bytes(4)), id="line_strp-without-section"),
    ],
)
def test_what_the_reader_leaves_to_pyelftools_builds_as_before(spec: Spec, fallbacks: Fallbacks) -> None:
    sections = _one_die([spec])
    _rejects(sections)
    reference = _build(sections, force=True)
    assert _build(sections, force=False) == reference
    # With split files pyelftools takes a missing base as 0 (allow_missing_bases): the same again.
    split = SplitFiles(None)
    assert _build(sections, force=False, split=split) == _build(sections, force=True, split=split)
    assert fallbacks.errors


def test_index_forms_out_of_their_tables_build_as_before() -> None:
    extra = {".debug_str_offsets": bytes(8), ".debug_addr": bytes(8)}
    base = [Spec(DW_AT_str_offsets_base, F["sec_offset"], struct.pack("<I", 8)),
            Spec(DW_AT_addr_base, F["sec_offset"], struct.pack("<I", 8))]  # fmt: skip
    for spec in (Spec(VENDOR, F["strx"], uleb(5)), Spec(VENDOR, F["addrx"], uleb(3)),
                 Spec(DW_AT_low_pc, F["addrx1"], b"\x09")):  # fmt: skip
        sections = _one_die([spec], top=base, extra=extra)
        assert "outside its section" in _rejects(sections)
        _check_tables(sections)


def test_an_undefined_abbreviation_code_builds_as_before() -> None:
    sections = _sections_of(hostile.unknown_abbreviation().data)
    assert "no abbreviation" in _rejects(sections)
    assert _check_tables(sections)[0] is KeyError  # type: ignore[index]


# Cases whose pyelftools reference takes minutes in-process (see test_hostile_dwarf_fixtures).
_SLOW_REFERENCE = {"huge_attribute_list", "huge_directory_count"}


@pytest.mark.parametrize("case", sorted(set(hostile.HOSTILE_CASES) - _SLOW_REFERENCE))
def test_hostile_fixtures_build_as_with_pyelftools(case: str) -> None:
    sections = _sections_of(hostile.HOSTILE_CASES[case]())
    start = time.perf_counter()
    _build(sections, force=False)
    assert time.perf_counter() - start < QUICK_S * 4
    _check_tables(sections)


def test_a_huge_attribute_list_is_read_quickly(fallbacks: Fallbacks) -> None:
    """50 million zero-byte attributes for pyelftools (minutes); one compiled empty step per DIE here."""
    small = hostile.huge_attribute_list.__wrapped__(attributes=300, dies=200)  # type: ignore[attr-defined]
    _check_tables(_sections_of(small.data))
    sections = _sections_of(hostile.huge_attribute_list().data)
    start = time.perf_counter()
    tables = _build(sections, force=False)
    assert time.perf_counter() - start < QUICK_S
    assert isinstance(tables, DwarfTables) and fallbacks.errors == []
    assert sorted(n for n, _ in tables.names.values() if n) == sorted(f.name for f in hostile.FUNCTIONS)


def test_abbreviation_tables_are_parsed_once_per_offset() -> None:
    sections = hand_made(4)
    tables = AbbrevTables(Sections(sections[".debug_info"], sections[".debug_abbrev"]))
    first = tables.table(0, 4, 4, 4)
    assert tables.table(0, 4, 4, 4) is first and len(first) == 12
    with pytest.raises(DieError):
        tables.table(len(sections[".debug_abbrev"]), 4, 4, 4)
    with pytest.raises(DieError):
        AbbrevTables(Sections(b"", b"\x01\x11\x02")).table(0, 4, 4, 4)  # a children flag of 2


def test_allow_missing_bases_is_undone_between_tests() -> None:
    allow_missing_bases()  # the autouse fixture restores pyelftools after this test


def test_name_records_are_made_only_for_the_dies_a_name_chain_reaches(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every DIE with a name or an origin is remembered, but most (variables, types) are never a
    # function's name: their records are made on demand, not for all of them.
    sections = _module_sections(BUILD / "cpp_abort.O0.wasm")
    assert sections is not None
    named = 0
    for cu in load_dwarf(sections).iter_CUs():
        for die in cu.iter_DIEs():
            if not die.is_null() and not build._NAMING.isdisjoint(die.attributes):
                named += 1
    made = 0
    real = build._name_info

    def counted(*args: Any) -> Any:
        nonlocal made
        made += 1
        return real(*args)

    monkeypatch.setattr(build, "_name_info", counted)
    tables = build_tables(load_dwarf(sections), sections, None)
    chained = {key for unit in tables.units for f in unit.functions for key in (f.name_die, *(c.name_die for c in f.inlined))}
    assert len(chained) <= made < named / 2, (len(chained), made, named)

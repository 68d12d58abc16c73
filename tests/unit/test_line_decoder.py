"""The direct `.debug_line` decoder (wasmdbg.dwarf.lines) against pyelftools, its reference.

On every module at hand that carries `.debug_line` (the sample modules, and the corpus's DWARF
modules when ../shared/corpus is present) it must give pyelftools' header fields and rows for
every unit, and `build_tables` must give identical tables with it and with pyelftools forced.
Synthetic programs cover what no compiler here emits (DWARF 2/3/5 forms, 64-bit DWARF, VLIW
op_index, odd opcode bases); hostile ones must end in `LineProgramError`, quickly, and leave
`build_tables` doing what it did before (the pyelftools fallback).
"""

from __future__ import annotations

import io
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elftools.dwarf.dwarfinfo import DebugSectionDescriptor, DWARFInfo, DwarfConfig
from elftools.dwarf.structs import DWARFStructs

from tests.fixtures import hostile_dwarf as hostile
from tests.helpers import CORPUS, sample_module_paths
from wasmdbg.dwarf import build
from wasmdbg.dwarf.build import build_tables
from wasmdbg.dwarf.lines import LineProgram, LineProgramError, decode_line_program
from wasmdbg.dwarf.loader import load_dwarf
from wasmdbg.symbols.debug_files import find_debug_info
from wasmdbg.wasm.module import read_module

QUICK_S = 2.0
"""Budget for decoding one small hostile input: linear work takes milliseconds."""


def _corpus_line_modules() -> list[Path]:
    if not CORPUS.exists():
        return []
    return [path for path in sorted(CORPUS.rglob("*.wasm")) if b".debug_line" in path.read_bytes()]


def _sections(path: Path) -> dict[str, bytes] | None:
    info = find_debug_info(read_module(path.read_bytes()), path, None)
    if info is None:
        return None
    sections = dict(info.dwarf_sections())
    return sections if ".debug_line" in sections else None


SAMPLE_MODULES = [path for path in sample_module_paths() if _sections(path) is not None]
CORPUS_MODULES = _corpus_line_modules()


def _decode(sections: dict[str, bytes], offset: int, address_size: int) -> LineProgram:
    return decode_line_program(
        sections[".debug_line"], offset, address_size,
        strings=sections.get(".debug_str"), line_strings=sections.get(".debug_line_str"),
    )  # fmt: skip


def _reference_rows(program: Any) -> list[tuple[int, int, int, int, bool]]:
    return [
        (s.address, s.file, s.line, s.column, bool(s.end_sequence))
        for s in (entry.state for entry in program.get_entries())
        if s is not None
    ]


def _assert_same(ours: LineProgram, reference: Any) -> None:
    header = reference.header
    assert ours.version == header["version"]
    assert list(ours.include_directory) == list(header["include_directory"])
    assert [(f.name, f.dir_index) for f in ours.file_entry] == [(e["name"], e["dir_index"]) for e in header["file_entry"]]
    assert ours.rows() == _reference_rows(reference)


def _check_module(path: Path) -> None:
    sections = _sections(path)
    if sections is None:
        pytest.skip("no .debug_line")
    dwarf = load_dwarf(sections)
    units = 0
    for cu in dwarf.iter_CUs():
        attrs = cu.get_top_DIE().attributes
        if "DW_AT_stmt_list" not in attrs:
            continue
        units += 1
        _assert_same(_decode(sections, attrs["DW_AT_stmt_list"].value, cu["address_size"]), dwarf.line_program_for_CU(cu))
    assert units
    _check_tables(sections)


def _check_tables(sections: dict[str, bytes]) -> None:
    reference = _build(sections, force=True)
    assert _build(sections, force=False) == reference


def _build(sections: dict[str, bytes], *, force: bool) -> object:
    """build_tables' result, or (exception type, message) when it raises."""
    saved = build.FORCE_PYELFTOOLS
    build.FORCE_PYELFTOOLS = force
    try:
        return build_tables(load_dwarf(sections), sections)
    except Exception as error:  # noqa: BLE001 - what is compared is which error, not whether
        return type(error), str(error)
    finally:
        build.FORCE_PYELFTOOLS = saved


@pytest.mark.parametrize("path", SAMPLE_MODULES, ids=lambda p: p.name)
def test_sample_module_lines_match_pyelftools(path: Path) -> None:
    _check_module(path)


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS_MODULES, reason="../shared/corpus is absent (present in CI)")
@pytest.mark.parametrize("path", CORPUS_MODULES, ids=lambda p: p.name)
def test_corpus_module_lines_match_pyelftools(path: Path) -> None:
    _check_module(path)


def test_the_direct_decoder_reads_every_sample_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    """No real module's line programs silently fall back to pyelftools (the speed would be gone)."""

    def refuse(self: DWARFInfo, cu: Any) -> None:
        raise AssertionError(f"pyelftools asked for the line program of the unit at {cu.cu_offset:#x}")

    monkeypatch.setattr(DWARFInfo, "line_program_for_CU", refuse)
    for path in SAMPLE_MODULES:
        sections = _sections(path)
        assert sections is not None
        build_tables(load_dwarf(sections), sections)


# -- synthetic programs ----------------------------------------------------------------------------


def uleb(value: int) -> bytes:
    return hostile.uleb(value)


def sleb(value: int) -> bytes:
    return hostile.sleb(value)


LENGTHS = bytes([0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1])
"""standard_opcode_lengths for opcode_base 13."""


def header_v4(
    *, version: int = 4, min_inst: int = 1, max_ops: int = 1, line_base: int = -5, line_range: int = 14,
    opcode_base: int = 13, lengths: bytes | None = None, directories: tuple[bytes, ...] = (b"/inc",),
    files: tuple[tuple[bytes, int], ...] = ((b"a.c", 0), (b"b.h", 1)),
) -> bytes:
    """Everything after header_length of a DWARF 2-4 header."""
    out = bytes([min_inst]) + (bytes([max_ops]) if version >= 4 else b"")
    out += bytes([1, line_base & 0xFF, line_range, opcode_base])
    out += LENGTHS[: max(opcode_base - 1, 0)] if lengths is None else lengths
    out += b"".join(d + b"\0" for d in directories) + b"\0"
    out += b"".join(name + b"\0" + uleb(index) + uleb(7) + uleb(9) for name, index in files) + b"\0"
    return out


def unit(
    after_header_length: bytes, body: bytes, *, version: int = 4, dwarf64: bool = False,
    header_length_adjust: int = 0, unit_length_adjust: int = 0,
) -> bytes:
    """A whole line program unit: initial length, version, (v5 sizes), header_length, header, body."""
    offset = "<Q" if dwarf64 else "<I"
    fixed = struct.pack("<H", version) + (bytes([4, 0]) if version >= 5 else b"")
    rest = fixed + struct.pack(offset, len(after_header_length) + header_length_adjust) + after_header_length + body
    length = len(rest) + unit_length_adjust
    return (b"\xff\xff\xff\xff" + struct.pack("<Q", length) if dwarf64 else struct.pack("<I", length)) + rest


def set_address(address: int) -> bytes:
    return b"\0" + uleb(5) + b"\x02" + struct.pack("<I", address)


END = b"\0\x01\x01"

BODY = (
    set_address(0x100)
    + b"\x05" + uleb(3)  # set_column
    + b"\x0a"  # set_prologue_end
    + b"\x01"  # copy
    + bytes([13 + 5 + 14 * 2])  # special: +2 address, +0 line
    + b"\x03" + sleb(-1)  # advance_line
    + b"\x02" + uleb(4)  # advance_pc
    + b"\x0c" + uleb(2)  # set_isa
    + b"\x06\x07\x0b"  # negate_stmt, set_basic_block, set_epilogue_begin
    + b"\0" + uleb(2) + b"\x04" + uleb(5)  # set_discriminator
    + b"\0" + uleb(4) + b"\x80" + b"xyz"  # an unknown extended opcode, skipped by its length
    + b"\x08"  # const_add_pc
    + b"\x09" + struct.pack("<H", 0x30)  # fixed_advance_pc
    + b"\x04" + uleb(2)  # set_file
    + b"\x01"
    + bytes([13 + 5 + 14 * 1 + 3])  # special: +1 address, +3 line
    + b"\x02" + uleb(1)
    + END
    + set_address(0x80) + b"\x01" + b"\x01" + END  # a second sequence, two rows at one address
    + b"\x01" + END  # a sequence at address 0 after the reset
    + END  # an empty sequence
    + b"\x03" + sleb(10) + b"\x01"  # rows after the last end_sequence
)  # fmt: skip


def _reference(section: bytes, *, dwarf64: bool = False, address_size: int = 4,
               strings: bytes = b"", line_strings: bytes = b"") -> Any:  # fmt: skip
    def descriptor(name: str, data: bytes | None) -> DebugSectionDescriptor | None:
        return None if data is None else DebugSectionDescriptor(io.BytesIO(data), name, None, len(data), 0)

    config = DwarfConfig(little_endian=True, machine_arch="wasm", default_address_size=address_size)
    dwarf = DWARFInfo(
        config, descriptor(".debug_info", b""), None, None, None, None, descriptor(".debug_str", strings), None, None,
        descriptor(".debug_line", section), None, None, None, None, descriptor(".debug_line_str", line_strings),
        None, None, None, None, None,
    )  # fmt: skip
    structs = DWARFStructs(little_endian=True, dwarf_format=64 if dwarf64 else 32, address_size=address_size)
    return dwarf._parse_line_program_at_offset(0, structs)


def _compare(section: bytes, *, dwarf64: bool = False, address_size: int = 4, strings: bytes = b"",
             line_strings: bytes = b"") -> LineProgram:  # fmt: skip
    ours = decode_line_program(section, 0, address_size, strings=strings, line_strings=line_strings)
    _assert_same(ours, _reference(section, dwarf64=dwarf64, address_size=address_size, strings=strings,
                                  line_strings=line_strings))  # fmt: skip
    assert ours.dwarf64 == dwarf64
    return ours


@pytest.mark.parametrize("version", [2, 3, 4])
@pytest.mark.parametrize("dwarf64", [False, True])
def test_every_opcode_matches_pyelftools(version: int, dwarf64: bool) -> None:
    ours = _compare(unit(header_v4(version=version), BODY, version=version, dwarf64=dwarf64), dwarf64=dwarf64)
    assert len(ours.sequences) == 4 and ours.trailing == [(0, 1, 11, 0)]
    assert ours.sequences[0][0][0] == (0x100, 1, 1, 3)


def test_eight_byte_addresses_match_pyelftools() -> None:
    body = b"\0" + uleb(9) + b"\x02" + struct.pack("<Q", 0x1_0000_0000) + b"\x01" + END
    ours = _compare(unit(header_v4(), body), address_size=8)
    assert ours.rows()[0][0] == 0x1_0000_0000


@pytest.mark.parametrize("max_ops", [2, 3])
def test_op_index_matches_pyelftools(max_ops: int) -> None:
    body = set_address(0x10) + bytes(range(13, 256, 7)) + b"\x08\x02" + uleb(3) + bytes(range(14, 256, 11)) + END
    _compare(unit(header_v4(max_ops=max_ops, min_inst=4), body))


@pytest.mark.parametrize("opcode_base", [1, 4, 10, 13])
def test_small_opcode_bases_make_the_rest_special(opcode_base: int) -> None:
    body = set_address(0x10) + bytes(range(max(opcode_base, 1), 256, 5)) + END
    _compare(unit(header_v4(opcode_base=opcode_base, lengths=LENGTHS[: opcode_base - 1]), body))


def test_unknown_standard_opcodes_are_skipped_by_their_operand_counts() -> None:
    """pyelftools raises on these; the decoder skips them as the standard (and gimli) says."""
    lengths = LENGTHS + bytes([0, 2, 1]) + bytes(255 - 13 - 3 - 1)
    body = set_address(0x10) + b"\x0d" + b"\x0e" + uleb(300) + uleb(1) + b"\x0f" + uleb(5) + b"\x01" + b"\xff" + END
    ours = decode_line_program(unit(header_v4(opcode_base=255, lengths=lengths), body), 0, 4)
    assert ours.rows() == [(0x10, 1, 1, 0, False), (0x10, 1, -4, 0, False), (0x10, 1, -4, 0, True)]


def _v5(
    body: bytes, *, dwarf64: bool = False, directory_format: bytes, directories: bytes, file_format: bytes,
    files: bytes,
) -> bytes:
    after = bytes([1, 1, 1, (-5) & 0xFF, 14, 13]) + LENGTHS + directory_format + directories + file_format + files
    return unit(after, body, version=5, dwarf64=dwarf64)


DW_LNCT_path, DW_LNCT_directory_index, DW_LNCT_timestamp, DW_LNCT_size, DW_LNCT_MD5 = 1, 2, 3, 4, 5
FORMS = {
    "string": 0x08, "line_strp": 0x1F, "strp": 0x0E, "udata": 0x0F, "data1": 0x0B, "data2": 0x05, "data4": 0x06,
    "data8": 0x07, "data16": 0x1E, "block": 0x09, "sdata": 0x0D,
}  # fmt: skip


def _format(*fields: tuple[int, str]) -> bytes:
    return bytes([len(fields)]) + b"".join(uleb(content) + uleb(FORMS[form]) for content, form in fields)


@pytest.mark.parametrize("dwarf64", [False, True])
@pytest.mark.parametrize("index_form", ["udata", "data1", "data2", "data4", "data8"])
def test_dwarf5_headers_match_pyelftools(dwarf64: bool, index_form: str) -> None:
    size = 8 if dwarf64 else 4
    line_strings = b"/comp\0src/a.c\0/usr/include\0"
    strings = b"junk\0b.h\0"
    index_bytes = {"udata": lambda v: uleb(v), "data1": lambda v: bytes([v]), "data2": lambda v: struct.pack("<H", v),
                   "data4": lambda v: struct.pack("<I", v), "data8": lambda v: struct.pack("<Q", v)}[index_form]  # fmt: skip
    directory_format = _format((DW_LNCT_path, "line_strp"), (DW_LNCT_timestamp, "block"))
    directories = uleb(3) + b"".join(
        [
            (0).to_bytes(size, "little") + uleb(2) + b"ab",
            (14).to_bytes(size, "little") + uleb(0),
            (6).to_bytes(size, "little") + uleb(1) + b"z",
        ]
    )
    file_format = _format(
        (DW_LNCT_path, "string"), (DW_LNCT_directory_index, index_form), (DW_LNCT_MD5, "data16"),
        (DW_LNCT_size, "udata"), (DW_LNCT_timestamp, "data4"),
    )  # fmt: skip
    files = uleb(2) + b"a.c\0" + index_bytes(0) + bytes(range(16)) + uleb(123) + bytes(4)
    files += b"b.h\0" + index_bytes(2) + bytes(16) + uleb(0) + bytes(4)
    section = _v5(set_address(4) + b"\x01" + b"\x04" + uleb(0) + b"\x21" + END, dwarf64=dwarf64,
                  directory_format=directory_format, directories=directories, file_format=file_format, files=files)  # fmt: skip
    ours = _compare(section, dwarf64=dwarf64, strings=strings, line_strings=line_strings)
    assert ours.include_directory == (b"/comp", b"/usr/include", b"src/a.c")
    assert [(f.name, f.dir_index) for f in ours.file_entry] == [(b"a.c", 0), (b"b.h", 2)]
    # strp paths, too.
    file_format = _format((DW_LNCT_directory_index, "udata"), (DW_LNCT_path, "strp"))
    files = uleb(1) + uleb(1) + (5).to_bytes(size, "little")
    section = _v5(END, dwarf64=dwarf64, directory_format=directory_format, directories=directories,
                  file_format=file_format, files=files)  # fmt: skip
    assert _compare(section, dwarf64=dwarf64, strings=strings, line_strings=line_strings).file_entry[0].name == b"b.h"


# -- hostile programs ------------------------------------------------------------------------------


def _rejects(section: bytes, *, strings: bytes | None = None, line_strings: bytes | None = None) -> str:
    start = time.perf_counter()
    with pytest.raises(LineProgramError) as raised:
        decode_line_program(section, 0, 4, strings=strings, line_strings=line_strings)
    assert time.perf_counter() - start < QUICK_S
    return str(raised.value)


def _module_sections(line: bytes) -> dict[str, bytes]:
    data = hostile.dwarf_module(line=line)
    sections = _sections_of(data)
    assert sections[".debug_line"] == line
    return sections


def _sections_of(data: bytes) -> dict[str, bytes]:
    info = find_debug_info(read_module(data), Path("m.wasm"), None)
    assert info is not None
    return dict(info.dwarf_sections())


GOOD = hostile.line_program()


def test_the_fixture_program_decodes_and_builds_as_pyelftools_does() -> None:
    _compare(GOOD)
    _check_tables(_module_sections(GOOD))


def test_every_truncation_is_rejected_or_a_shorter_program() -> None:
    """Cut anywhere, with unit_length kept (overrun) and fitted to the cut (truncated inside)."""
    for cut in range(len(GOOD)):
        _rejects(GOOD[:cut])
        if cut < 4:
            continue
        fitted = struct.pack("<I", cut - 4) + GOOD[4:cut]
        start = time.perf_counter()
        try:
            ours = decode_line_program(fitted, 0, 4)
        except LineProgramError:
            continue
        finally:
            assert time.perf_counter() - start < QUICK_S
        # What the decoder accepts, it reads as pyelftools does.
        _assert_same(ours, _reference(fitted))


@pytest.mark.parametrize("cut", [5, 9, 17, 30, 41, 60, 90, 150, len(GOOD) - 3])
def test_a_truncated_program_builds_as_before(cut: int) -> None:
    fitted = struct.pack("<I", cut - 4) + GOOD[4:cut]
    _check_tables(_module_sections(fitted))


def test_a_unit_length_beyond_the_section_is_rejected() -> None:
    line = struct.pack("<I", len(GOOD) + 100) + GOOD[4:]
    assert "beyond .debug_line" in _rejects(line)
    _check_tables(_module_sections(line))
    assert "beyond .debug_line" in _rejects(b"\xff\xff\xff\xff" + struct.pack("<Q", 1 << 62) + GOOD[4:])
    assert "reserved" in _rejects(struct.pack("<I", 0xFFFF_FFF5) + GOOD[4:])


def test_offsets_outside_the_section_are_rejected() -> None:
    for offset in (-1, len(GOOD), len(GOOD) - 3, 1 << 40):
        with pytest.raises(LineProgramError):
            decode_line_program(GOOD, offset, 4)


def test_a_huge_header_length_is_rejected() -> None:
    line = hostile.huge_line_header().data
    assert "header length" in _rejects(_sections_of(line)[".debug_line"])
    _check_tables(_sections_of(line))
    # A header_length that disagrees with the header's real end is left to pyelftools.
    for adjust in (-1, 1):
        assert "header_length says" in _rejects(unit(header_v4(), BODY, header_length_adjust=adjust))


def test_huge_entry_counts_are_rejected_before_any_work() -> None:
    line = _sections_of(hostile.huge_directory_count().data)[".debug_line"]
    assert "entries" in _rejects(line)  # pyelftools would iterate 2**32-1 empty directories
    file_format = _format((DW_LNCT_path, "string"), (DW_LNCT_directory_index, "udata"))
    huge_files = _v5(END, directory_format=file_format, directories=uleb(1) + b"d\0" + uleb(0),
                     file_format=file_format, files=uleb(1 << 60) + b"a.c\0" + uleb(0))  # fmt: skip
    assert "entries" in _rejects(huge_files)
    _check_tables(_module_sections(huge_files))
    # DWARF 4 lists end at an empty name; one that never ends runs out of unit.
    endless = unit(header_v4()[:-1] + b"x\0\0\0\0" * 50, b"")[:-1]
    _rejects(endless)
    _rejects(struct.pack("<I", 0xFFFF_FFFE - 4) + b"\0" * 32)


@pytest.mark.parametrize("opcode_base", [0, 255])
def test_extreme_opcode_bases(opcode_base: int) -> None:
    lengths = bytes(max(opcode_base - 1, 0))
    whole = unit(header_v4(opcode_base=opcode_base, lengths=lengths), set_address(0) + b"\xff" + END)
    if opcode_base == 0:
        assert "opcode_base 0" in _rejects(whole)
    else:
        assert decode_line_program(whole, 0, 4).rows()[0][:3] == (0, 1, 1 + (-5) + (255 - 255) % 14)
    # Lengths the unit cannot hold.
    short = unit(header_v4(opcode_base=255, lengths=bytes(20), directories=(), files=()), b"")
    _rejects(short)
    _check_tables(_module_sections(whole))
    _check_tables(_module_sections(short))


def test_zero_line_range_and_zero_max_ops_are_rejected() -> None:
    _rejects(unit(header_v4(line_range=0), b"\x01" + END))
    _rejects(unit(header_v4(max_ops=0), b"\x01" + END))
    _check_tables(_sections_of(hostile.zero_line_range().data))
    _check_tables(_sections_of(hostile.backwards_lines().data))


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"\x02" + b"\x80" * 100_000 + b"\x01", id="endless-uleb"),
        pytest.param(b"\x03" + b"\xff" * 100_000, id="endless-sleb"),
        pytest.param(b"\0\0\x80" * 30_000, id="zero-length-extended"),
        pytest.param(b"\0" + uleb(1 << 60) + b"\x80", id="huge-extended-length"),
        pytest.param(b"\0" + b"\x80" * 100_000 + b"\x01", id="endless-extended-length"),
        pytest.param(b"\0\x03\x02\x01\x02" + END, id="short-set-address"),
        pytest.param(b"\0\x02\x01\x00", id="long-end-sequence"),
        pytest.param(b"\0\x03\x04\x80\x80" + END, id="discriminator-past-its-length"),
        pytest.param(b"\0\x03\x04\x01" + END, id="discriminator-short-of-its-length"),
        pytest.param(b"\0\x02\x03\x00" + END, id="define-file"),
        pytest.param(b"\x09\x01", id="cut-fixed-advance"),
        pytest.param(b"\x0c" + b"\x80" * 50, id="cut-isa"),
    ],
)
def test_endless_looking_programs_are_rejected_quickly(body: bytes) -> None:
    line = unit(header_v4(), body)
    _rejects(line)
    if len(body) < 1000:
        _check_tables(_module_sections(line))


def test_long_valid_programs_decode_in_linear_time() -> None:
    body = set_address(0) + b"\x08\x01" * 200_000 + END
    start = time.perf_counter()
    ours = decode_line_program(unit(header_v4(), body), 0, 4)
    assert time.perf_counter() - start < QUICK_S
    assert len(ours.sequences[0][0]) == 200_000


def test_bad_dwarf5_entries_are_rejected() -> None:
    path_format = _format((DW_LNCT_path, "string"), (DW_LNCT_directory_index, "udata"))
    one_dir = uleb(1) + b"d\0" + uleb(0)
    cases: dict[str, bytes] = {
        "no directories": _v5(END, directory_format=path_format, directories=uleb(0), file_format=path_format,
                              files=uleb(1) + b"a\0" + uleb(0)),
        "no files": _v5(END, directory_format=path_format, directories=one_dir, file_format=path_format,
                        files=uleb(0)),
        "file without index": _v5(END, directory_format=path_format, directories=one_dir,
                                  file_format=_format((DW_LNCT_path, "string")), files=uleb(1) + b"a\0"),
        "directory without path": _v5(END, directory_format=_format((DW_LNCT_directory_index, "udata")),
                                      directories=uleb(1) + uleb(0), file_format=path_format,
                                      files=uleb(1) + b"a\0" + uleb(0)),
        "strx path": _v5(END, directory_format=path_format, directories=one_dir,
                         file_format=bytes([2]) + uleb(1) + uleb(0x1A) + uleb(2) + uleb(0x0F),
                         files=uleb(1) + uleb(0) + uleb(0)),
        "unknown content type": _v5(END, directory_format=path_format, directories=one_dir,
                                    file_format=bytes([1]) + uleb(0x77) + uleb(0x0F), files=uleb(1) + uleb(0)),
        "line_strp past the end": _v5(END, directory_format=_format((DW_LNCT_path, "line_strp")),
                                      directories=uleb(1) + struct.pack("<I", 999), file_format=path_format,
                                      files=uleb(1) + b"a\0" + uleb(0)),
    }  # fmt: skip
    for name, section in cases.items():
        _rejects(section, line_strings=b"x\0")
        _check_tables(_module_sections(section))


def _all_cut_points() -> Iterator[bytes]:
    whole = unit(header_v4(), BODY)
    for cut in range(4, len(whole)):
        yield struct.pack("<I", cut - 4) + whole[4:cut]


def test_every_truncation_of_every_opcode_is_safe() -> None:
    for section in _all_cut_points():
        try:
            ours = decode_line_program(section, 0, 4)
        except LineProgramError:
            continue
        _assert_same(ours, _reference(section))

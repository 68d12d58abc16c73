"""The index cache and split DWARF: the key covers which `.dwo` files were found, and their content.

A skeleton unit without its `.dwo` gives a degraded answer (the skeleton's line, the name from the
name section); with it, the full one. wasm-tools cannot read split DWARF, so the full answer is
checked against the same code built without -gsplit-dwarf (divzero.O2.wasm), as in
test_split_dwarf.py. Every test here runs with the cache on, in a directory of its own.
"""

from __future__ import annotations

import hashlib
import posixpath
import shutil
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import SAMPLES
from wasmdbg.dwarf import cache
from wasmdbg.dwarf.split import count_units, skeleton_dwo_names, split_dependencies
from wasmdbg.symbols.symbolizer import SymbolizeOptions, Symbolizer
from wasmdbg.wasm.instructions import instruction_offsets
from wasmdbg.wasm.module import read_module

BUILD = SAMPLES / "build"
MODULE, DWO = "divzero.split.wasm", "divzero.split.dwo"
USER_FUNCTIONS = (8, 9, 10)  # quotient, compute_ratio, main: the code from divzero.c
PROBE = 500  # inside compute_ratio, where quotient is inlined


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(directory))
    return directory


def _frames(symbolizer: Symbolizer, offset: int) -> list[tuple[object, ...]]:
    return [
        (f.function, posixpath.normpath(f.file) if f.file else None, f.line, f.column, f.inlined, f.source)
        for f in symbolizer.symbolize(offset).frames
    ]


def _user_offsets(symbolizer: Symbolizer) -> list[int]:
    bodies = [b for b in symbolizer.module.bodies if b.func_index in USER_FUNCTIONS]
    return [o for b in bodies for o in instruction_offsets(symbolizer.module.data, b.code_offset, b.end)]


def _assert_full(symbolizer: Symbolizer) -> None:
    whole = Symbolizer.open(BUILD / "divzero.O2.wasm", SymbolizeOptions(use_cache=False))
    assert not symbolizer.notes
    assert [f[0] for f in _frames(symbolizer, PROBE)] == ["quotient", "compute_ratio"]
    for offset in _user_offsets(symbolizer):
        assert _frames(symbolizer, offset) == _frames(whole, offset), hex(offset)


def _assert_degraded(symbolizer: Symbolizer) -> None:
    # (notes are strings or findings with a message, depending on the version of the symbolizer)
    assert any(f"{DWO} was not found" in str(getattr(n, "message", n)) for n in symbolizer.notes)
    (frame,) = symbolizer.symbolize(PROBE).frames
    # The skeleton's line table still gives the line; the name comes from the name section.
    assert (frame.function, frame.line, frame.source) == ("compute_ratio", 13, "name")


def test_a_dwo_that_appears_later_is_used_when_the_cache_is_on(tmp_path: Path, private_cache: Path) -> None:
    module = tmp_path / MODULE
    shutil.copy(BUILD / MODULE, module)
    _assert_degraded(Symbolizer.open(module))
    _assert_degraded(Symbolizer.open(module))  # the degraded index is cached, and served while nothing changed
    shutil.copy(BUILD / DWO, tmp_path / DWO)
    _assert_full(Symbolizer.open(module))


def test_a_dwo_that_disappears_is_missed_and_one_that_returns_is_used_when_the_cache_is_on(
    tmp_path: Path, private_cache: Path
) -> None:
    module = tmp_path / MODULE
    shutil.copy(BUILD / MODULE, module)
    shutil.copy(BUILD / DWO, tmp_path / DWO)
    _assert_full(Symbolizer.open(module))
    (tmp_path / DWO).unlink()
    _assert_degraded(Symbolizer.open(module))
    shutil.copy(BUILD / DWO, tmp_path / DWO)
    _assert_full(Symbolizer.open(module))


def test_a_full_index_is_not_served_to_a_copy_without_its_dwo_when_the_cache_is_on(
    tmp_path: Path, private_cache: Path
) -> None:
    (tmp_path / "with").mkdir()
    (tmp_path / "without").mkdir()
    for name in (MODULE, DWO):
        shutil.copy(BUILD / name, tmp_path / "with" / name)
    shutil.copy(BUILD / MODULE, tmp_path / "without" / MODULE)
    _assert_full(Symbolizer.open(tmp_path / "with" / MODULE))
    _assert_degraded(Symbolizer.open(tmp_path / "without" / MODULE))
    _assert_full(Symbolizer.open(tmp_path / "with" / MODULE))


def test_the_answer_for_each_dwo_state_is_a_cache_hit_when_it_comes_back(tmp_path: Path, private_cache: Path) -> None:
    module = tmp_path / MODULE
    shutil.copy(BUILD / MODULE, module)

    def open_counting_builds() -> tuple[Symbolizer, int]:
        reports: list[object] = []
        symbolizer = Symbolizer.for_module(
            read_module(module.read_bytes()), str(module), SymbolizeOptions(), on_progress=reports.append
        )
        return symbolizer, len(reports)

    degraded, built = open_counting_builds()
    assert built > 0
    shutil.copy(BUILD / DWO, tmp_path / DWO)
    full, built = open_counting_builds()
    assert built > 0
    (tmp_path / DWO).unlink()
    again, built = open_counting_builds()
    assert built == 0 and _frames(again, PROBE) == _frames(degraded, PROBE)
    shutil.copy(BUILD / DWO, tmp_path / DWO)
    again, built = open_counting_builds()
    assert built == 0 and _frames(again, PROBE) == _frames(full, PROBE)


def test_the_key_covers_the_dwo_content_when_it_changes(tmp_path: Path) -> None:
    sections = Symbolizer.open(BUILD / MODULE, SymbolizeOptions(use_cache=False)).debug.dwarf_sections()
    missing = cache.cache_key(sections, split_dir=tmp_path)
    (tmp_path / DWO).write_bytes((BUILD / DWO).read_bytes())
    found = cache.cache_key(sections, split_dir=tmp_path)
    (tmp_path / DWO).write_bytes((BUILD / DWO).read_bytes() + b"\0")
    changed = cache.cache_key(sections, split_dir=tmp_path)
    assert len({missing, found, changed}) == 3
    (tmp_path / "unrelated.dwo").write_bytes(b"x")
    assert cache.cache_key(sections, split_dir=tmp_path) == changed  # only the files the skeletons name


def test_the_key_of_a_module_without_split_units_ignores_the_directory(tmp_path: Path) -> None:
    sections = Symbolizer.open(BUILD / "divzero.O2.wasm", SymbolizeOptions(use_cache=False)).debug.dwarf_sections()
    assert skeleton_dwo_names(sections) == ()
    assert cache.cache_key(sections, split_dir=tmp_path) == cache.cache_key(sections)


def test_the_skeleton_scan_finds_the_gnu_dwo_name_when_dwarf_4() -> None:
    sections = Symbolizer.open(BUILD / MODULE, SymbolizeOptions(use_cache=False)).debug.dwarf_sections()
    assert skeleton_dwo_names(sections) == (DWO,)
    assert split_dependencies(sections, BUILD) == ((DWO, hashlib.sha256((BUILD / DWO).read_bytes()).hexdigest()),)
    assert split_dependencies(sections, None) == ((DWO, None),)


def _dwarf5_skeleton(dwo_name: bytes) -> dict[str, bytes]:
    """A DWARF 5 skeleton unit whose DW_AT_dwo_name is DW_FORM_strx1, before its DW_AT_str_offsets_base."""
    abbrev = bytes([1, 0x4A, 0, 0x3E, 0x25, 0x72, 0x17, 0, 0, 0])  # skeleton_unit: dwo_name strx1, str_offsets_base
    body = struct.pack("<HBBIQ", 5, 4, 4, 0, 0x1234) + bytes([1, 0]) + struct.pack("<I", 8)
    info = struct.pack("<I", len(body)) + body
    str_offsets = struct.pack("<IHH", 8, 5, 0) + struct.pack("<I", 4)
    return {
        ".debug_info": info, ".debug_abbrev": abbrev, ".debug_str_offsets": str_offsets,
        ".debug_str": b"xyz\0" + dwo_name + b"\0",
    }  # fmt: skip


def test_the_skeleton_scan_resolves_strx_names_when_dwarf_5(tmp_path: Path) -> None:
    sections = _dwarf5_skeleton(b"/build/machine/obj/foo.dwo")
    assert skeleton_dwo_names(sections) == ("/build/machine/obj/foo.dwo",)
    assert count_units(sections[".debug_info"]) == 1
    (tmp_path / "foo.dwo").write_bytes(b"dwo")
    assert split_dependencies(sections, tmp_path) == (("foo.dwo", hashlib.sha256(b"dwo").hexdigest()),)


def test_the_skeleton_scan_never_looks_outside_the_module_directory(tmp_path: Path) -> None:
    (tmp_path / "mod").mkdir()
    (tmp_path / "secret.dwo").write_bytes(b"outside")
    assert split_dependencies(_dwarf5_skeleton(b"../secret.dwo"), tmp_path / "mod") == (("secret.dwo", None),)
    assert split_dependencies(_dwarf5_skeleton(b".."), tmp_path / "mod") == (("..", None),)


def test_damaged_unit_headers_make_the_scan_unknown_when_truncated() -> None:
    sections = _dwarf5_skeleton(b"foo.dwo")
    sections[".debug_info"] = sections[".debug_info"][:-3]
    assert skeleton_dwo_names(sections) is None and count_units(sections[".debug_info"]) is None
    assert cache.cache_key(sections) != cache.cache_key(_dwarf5_skeleton(b"foo.dwo"))


@settings(max_examples=300, deadline=None)
@given(info=st.binary(max_size=200), abbrev=st.binary(max_size=60), strings=st.binary(max_size=40))
def test_the_skeleton_scan_never_raises_when_the_dwarf_is_garbage(info: bytes, abbrev: bytes, strings: bytes) -> None:
    sections = {".debug_info": info, ".debug_abbrev": abbrev, ".debug_str": strings, ".debug_str_offsets": strings}
    names = skeleton_dwo_names(sections)
    assert names is None or all(isinstance(n, str) for n in names)
    count_units(info)
    cache.cache_key(sections, split_dir=None)

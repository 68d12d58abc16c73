"""Symbolizer: fallbacks, separate debug files, untrusted external_debug_info, warnings, the cache."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import SAMPLES, sample_manifest, wat, wasm_tools_bytes
from wasmdbg.symbols.debug_files import DebugFileMismatchError
from wasmdbg.dwarf import cache
from wasmdbg.dwarf.index import DwarfIndex
from wasmdbg.findings import (
    DEBUG_FILE_ABSOLUTE,
    DEBUG_FILE_MISSING,
    DEBUG_FILE_OUTSIDE,
    DEBUG_FILE_UNUSABLE,
    DEBUG_FILE_URL,
    IN_HEADER,
    NOT_BOUNDARY,
    OUTSIDE_CODE,
)
from wasmdbg.symbols.symbolizer import SymbolizeOptions, Symbolizer

BUILD = SAMPLES / "build"
MANIFEST = {str(e["module"]): e for e in sample_manifest()}


def trap_offsets(module: str) -> list[int]:
    return [int(f["module_offset"]) for f in MANIFEST[module]["trap_frames"] if f["module_offset"] is not None]  # type: ignore[index, union-attr]


def frames_of(symbolizer: Symbolizer, offset: int) -> list[tuple[object, ...]]:
    return [
        (f.function, f.linkage_name, f.file, f.line, f.column, f.inlined, f.source)
        for f in symbolizer.symbolize(offset).frames
    ]


@pytest.mark.parametrize("sample", ["divzero", "oob", "abort", "badcall", "stackoverflow", "cpp_abort", "panic"])
def test_stripped_module_gives_the_debug_files_frames(sample: str) -> None:
    stripped = Symbolizer.open(BUILD / f"{sample}.stripped.wasm")
    debug = Symbolizer.open(BUILD / f"{sample}.debug.wasm")
    assert stripped.debug.path is not None and Path(stripped.debug.path).name == f"{sample}.debug.wasm"
    for offset in trap_offsets(f"build/{sample}.stripped.wasm"):
        assert frames_of(stripped, offset) == frames_of(debug, offset)
        assert frames_of(stripped, offset)[0][-1] in ("dwarf", "name")


@pytest.mark.parametrize("sample", ["divzero", "oob", "abort", "badcall", "cpp_abort", "panic"])
def test_names_build_falls_back_to_the_name_section(sample: str) -> None:
    symbolizer = Symbolizer.open(BUILD / f"{sample}.names.wasm")
    assert symbolizer.index is None
    entry = MANIFEST[f"build/{sample}.names.wasm"]
    frames = [symbolizer.symbolize(o).frames for o in trap_offsets(f"build/{sample}.names.wasm")]
    assert all(len(f) == 1 and f[0].source == "name" and f[0].file is None for f in frames)
    user = entry["innermost_user_frame"]
    assert user is not None
    names = {f[0].function for f in frames} | {f[0].linkage_name for f in frames}
    assert user["function"] in names  # type: ignore[index]


def test_export_then_index_fallbacks(tmp_module: Callable[..., Path]) -> None:
    data = wasm_tools_bytes(
        "strip", "--all", "-", input=wat('(module (import "env" "f" (func)) (func $a (export "run") nop) (func $b nop))')
    )
    symbolizer = Symbolizer.open(tmp_module(data))
    first, second = symbolizer.module.bodies
    assert [f.to_json()["source"] for f in symbolizer.symbolize(first.code_offset).frames] == ["export"]
    assert symbolizer.symbolize(first.code_offset).frames[0].function == "run"
    assert symbolizer.symbolize(second.code_offset).frames[0].function == "<wasm function 2>"
    assert symbolizer.symbolize(second.code_offset).frames[0].source == "index"
    imported = symbolizer.function_name(0)
    assert (imported.function, imported.source) == ("env.f", "import")


def test_rust_names_are_demangled_and_the_mangled_name_kept() -> None:
    symbolizer = Symbolizer.open(BUILD / "panic.O2.wasm")
    frames = [f for o in trap_offsets("build/panic.O2.wasm") for f in symbolizer.symbolize(o).frames]
    lookup = next(f for f in frames if f.function == "panic::lookup")
    assert lookup.linkage_name is not None and lookup.linkage_name.startswith("_ZN5panic6lookup17h")


def test_warnings_for_addresses_that_are_not_instructions() -> None:
    symbolizer = Symbolizer.open(BUILD / "divzero.O2.wasm")
    code = symbolizer.module.code_section
    assert code is not None
    body = symbolizer.module.bodies[3]
    outside = symbolizer.symbolize(code.offset - 1)
    assert outside.frames == () and "outside the code section" in outside.warnings[0].message
    assert outside.warnings[0].kind == OUTSIDE_CODE and "--code-offsets" not in outside.warnings[0].message
    header = symbolizer.symbolize(body.offset)
    assert header.warnings[0].kind == IN_HEADER and "header" in header.warnings[0].message
    inside = [o for o in range(body.code_offset, body.end) if symbolizer.symbolize(o).warnings]
    assert inside and all(
        "not on an instruction boundary" in symbolizer.symbolize(o).warnings[0].message
        and symbolizer.symbolize(o).warnings[0].kind == NOT_BOUNDARY
        for o in inside
    )
    assert symbolizer.symbolize(body.code_offset).warnings == ()


def _copy(tmp_path: Path, *names: str) -> Path:
    for name in names:
        shutil.copy(BUILD / name, tmp_path / name)
    return tmp_path / names[0]


def test_debug_file_with_another_build_id_is_refused(tmp_path: Path) -> None:
    module = _copy(tmp_path, "divzero.stripped.wasm")
    with pytest.raises(DebugFileMismatchError, match="build ids differ"):
        Symbolizer.open(module, SymbolizeOptions(debug_file=str(BUILD / "oob.debug.wasm")))


def test_debug_file_without_build_ids_must_have_the_same_code_shape() -> None:
    with pytest.raises(DebugFileMismatchError, match="code section or function count differs"):
        Symbolizer.open(BUILD / "divzero.names.wasm", SymbolizeOptions(debug_file=str(BUILD / "oob.O2.wasm")))
    same = Symbolizer.open(BUILD / "divzero.names.wasm", SymbolizeOptions(debug_file=str(BUILD / "divzero.O2.wasm")))
    assert same.index is not None


def _with_external_debug_info(data: bytes, name: str) -> bytes:
    from wasmdbg.wasm.module import read_module

    module = read_module(data)
    section = module.custom_sections("external_debug_info")[0]
    raw = name.encode()
    payload = bytes([len(raw)]) + raw
    body = bytes([len("external_debug_info")]) + b"external_debug_info" + payload
    return data[: section.header_offset] + b"\x00" + bytes([len(body)]) + body + data[section.end :]


@pytest.mark.parametrize(
    ("name", "why", "kind"),
    [
        ("https://example.com/divzero.debug.wasm", "URL", DEBUG_FILE_URL),
        ("/etc/divzero.debug.wasm", "absolute path", DEBUG_FILE_ABSOLUTE),
        ("../outside/divzero.debug.wasm", "outside the module's directory", DEBUG_FILE_OUTSIDE),
        ("missing.debug.wasm", "not beside the module", DEBUG_FILE_MISSING),
    ],
)
def test_external_debug_info_is_only_followed_beside_the_module(
    tmp_path: Path, name: str, why: str, kind: str
) -> None:
    (tmp_path / "outside").mkdir()
    shutil.copy(BUILD / "divzero.debug.wasm", tmp_path / "outside" / "divzero.debug.wasm")
    (tmp_path / "mod").mkdir()
    module = tmp_path / "mod" / "m.wasm"
    module.write_bytes(_with_external_debug_info((BUILD / "divzero.stripped.wasm").read_bytes(), name))
    symbolizer = Symbolizer.open(module)
    assert symbolizer.index is None and symbolizer.debug.path is None
    assert len(symbolizer.notes) == 1 and why in symbolizer.notes[0].message
    assert symbolizer.notes[0].kind == kind and "--debug-file" not in symbolizer.notes[0].message


def test_symlink_out_of_the_module_directory_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "mod").mkdir()
    module = _copy(tmp_path / "mod", "divzero.stripped.wasm")
    os.symlink(BUILD / "divzero.debug.wasm", tmp_path / "mod" / "divzero.debug.wasm")
    symbolizer = Symbolizer.open(module)
    assert symbolizer.index is None and "outside the module's directory" in symbolizer.notes[0].message


def test_mismatched_external_debug_file_is_noted_not_fatal(tmp_path: Path) -> None:
    module = _copy(tmp_path, "divzero.stripped.wasm")
    shutil.copy(BUILD / "oob.debug.wasm", tmp_path / "divzero.debug.wasm")
    symbolizer = Symbolizer.open(module)
    assert symbolizer.index is None and "build ids differ" in symbolizer.notes[0].message
    assert symbolizer.notes[0].kind == DEBUG_FILE_UNUSABLE


def test_index_is_cached_and_a_corrupt_or_foreign_cache_file_is_a_miss(tmp_path: Path) -> None:
    os.environ[cache.CACHE_ENV] = str(tmp_path / "cache")
    try:
        first = Symbolizer.open(BUILD / "divzero.O0.wasm")
        key = cache.cache_key(first.debug.dwarf_sections())
        stored = tmp_path / "cache" / f"{key}.idx"
        assert stored.is_file()
        expected = frames_of(first, trap_offsets("build/divzero.O0.wasm")[0])
        for damage in (b"", stored.read_bytes()[:-9], b"garbage" * 100, stored.read_bytes().replace(b'"format": 1', b'"format": 9')):
            stored.write_bytes(damage)
            again = Symbolizer.open(BUILD / "divzero.O0.wasm")
            assert frames_of(again, trap_offsets("build/divzero.O0.wasm")[0]) == expected
        # An index of other DWARF filed under this key is refused: it carries its own key.
        other = Symbolizer.open(BUILD / "oob.O0.wasm")
        assert other.index is not None
        stored.write_bytes(other.index.to_bytes(key="not-" + key))
        assert frames_of(Symbolizer.open(BUILD / "divzero.O0.wasm"), trap_offsets("build/divzero.O0.wasm")[0]) == expected
    finally:
        os.environ[cache.CACHE_ENV] = str(tmp_path / "unused")


def test_no_cache_bypasses_a_poisoned_cache(tmp_path: Path) -> None:
    os.environ[cache.CACHE_ENV] = str(tmp_path / "cache")
    offset = trap_offsets("build/divzero.O0.wasm")[0]
    truth = frames_of(Symbolizer.open(BUILD / "divzero.O0.wasm"), offset)
    key = cache.cache_key(Symbolizer.open(BUILD / "divzero.O0.wasm").debug.dwarf_sections())
    other = Symbolizer.open(BUILD / "oob.O0.wasm").index
    assert other is not None
    (tmp_path / "cache" / f"{key}.idx").write_bytes(other.to_bytes(key=key))  # well-formed, right key, wrong DWARF
    poisoned = frames_of(Symbolizer.open(BUILD / "divzero.O0.wasm"), offset)
    assert poisoned != truth  # proves the cache was read
    assert frames_of(Symbolizer.open(BUILD / "divzero.O0.wasm", SymbolizeOptions(use_cache=False)), offset) == truth


def test_index_round_trips_through_bytes() -> None:
    index = Symbolizer.open(BUILD / "cpp_abort.O2.wasm", SymbolizeOptions(use_cache=False)).index
    assert index is not None
    copy = DwarfIndex.from_bytes(index.to_bytes("k"), "k")
    for probe in list(index.row_addr)[::7]:
        assert copy.find_frames(probe) == index.find_frames(probe)


def test_json_of_a_frame_has_the_contract_keys() -> None:
    frame = Symbolizer.open(BUILD / "divzero.O2.wasm").symbolize(trap_offsets("build/divzero.O2.wasm")[0]).frames[0]
    assert set(json.loads(json.dumps(frame.to_json()))) == {
        "function", "linkage_name", "file", "line", "column", "inlined", "source"
    }

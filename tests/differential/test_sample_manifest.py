"""The sample modules' manifest is the specification later features are tested against; check it.

Every module it lists exists (and every built module is listed), and the expected frames it
records agree with `wasm-tools addr2line` run now on the committed bytes, so no expectation in it
is stale or invented.
"""

from __future__ import annotations

import posixpath
import re

import pytest

from tests.helpers import OTHER_TOOLCHAIN_MODULES, SAMPLES, sample_manifest, sample_module_paths, wasm_tools

pytestmark = pytest.mark.differential

MANIFEST = sample_manifest()
_LOCATION = re.compile(r"^(?:0x[0-9a-f]+|\d+): (.*) (\S+):(\d+):(\d+)$|^\t(.*) (\S+):(\d+):(\d+)$")


def test_manifest_lists_exactly_the_built_modules() -> None:
    listed = sorted(entry["module"] for entry in MANIFEST)
    built = sorted(str(p.relative_to(SAMPLES)) for p in sample_module_paths())
    assert set(OTHER_TOOLCHAIN_MODULES) <= set(built)
    assert listed == sorted(set(built) - set(OTHER_TOOLCHAIN_MODULES))
    for entry in MANIFEST:
        assert (SAMPLES / str(entry["source"])).is_file(), entry["source"]


def test_manifest_covers_the_failure_modes_the_debugger_must_explain() -> None:
    codes = {entry["expect"]["trap_code"] for entry in MANIFEST}  # type: ignore[index]
    assert {"INTEGER_DIVISION_BY_ZERO", "MEMORY_OUT_OF_BOUNDS", "UNREACHABLE", "STACK_OVERFLOW",
            "BAD_SIGNATURE", "INDIRECT_CALL_TO_NULL"} <= codes
    variants = {(entry["sample"], entry["variant"]) for entry in MANIFEST}
    for sample in ("divzero", "oob", "abort", "stackoverflow", "badcall", "panic", "cpp_abort"):
        for variant in ("O0", "O2", "names", "stripped", "debug"):
            assert (sample, variant) in variants


def _normalize(path: str) -> str:
    # Both tools join DW_AT_comp_dir "." with the name; the manifest stores the normalized path.
    return posixpath.normpath(path)


def addr2line(module: str, offsets: list[int]) -> list[list[tuple[str, str, int, int]]]:
    """Frames per offset as wasm-tools prints them: innermost first, (function, file, line, column)."""
    out: list[list[tuple[str, str, int, int]]] = []
    for line in wasm_tools("addr2line", str(SAMPLES / module), *map(str, offsets)).splitlines():
        match = _LOCATION.match(line)
        if match is None:
            out.append([])  # an address without source location
            continue
        if match.group(1) is not None:
            out.append([])
            name, file, row, col = match.group(1, 2, 3, 4)
        else:
            name, file, row, col = match.group(5, 6, 7, 8)
        out[-1].append((name, _normalize(file), int(row), int(col)))
    return out


DWARF_ENTRIES = [e for e in MANIFEST if e["variant"] in ("O0", "O2", "debug") and e.get("trap_frames")]


@pytest.mark.parametrize("entry", DWARF_ENTRIES, ids=lambda e: str(e["module"]))
def test_recorded_frames_agree_with_wasm_tools_addr2line(entry: dict[str, object]) -> None:
    frames = [f for f in entry["trap_frames"] if f["module_offset"] is not None]  # type: ignore[union-attr]
    theirs = addr2line(str(entry["module"]), [int(f["module_offset"]) for f in frames])
    ours = [
        [(loc["function_wasm_tools"], loc["file"], loc["line"], loc["column"]) for loc in f["locations"]]
        for f in frames
    ]
    assert ours == theirs


@pytest.mark.parametrize("entry", [e for e in MANIFEST if e["variant"] == "stripped"], ids=lambda e: str(e["module"]))
def test_stripped_modules_name_their_debug_file_with_the_same_build_id(entry: dict[str, object]) -> None:
    from wasmdbg.wasm.module import read_module

    stripped = read_module((SAMPLES / str(entry["module"])).read_bytes())
    debug = read_module((SAMPLES / str(entry["debug_file"])).read_bytes())
    assert stripped.external_debug_info == str(entry["debug_file"]).removeprefix("build/")
    assert stripped.build_id is not None and stripped.build_id == debug.build_id == entry["build_id"]
    assert stripped.dwarf.sections == () and stripped.names is None
    assert stripped.data[stripped.code_section.offset : stripped.code_section.end] == (  # type: ignore[union-attr]
        debug.data[debug.code_section.offset : debug.code_section.end]  # type: ignore[union-attr]
    )

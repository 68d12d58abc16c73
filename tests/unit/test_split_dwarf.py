"""Split DWARF: skeleton units completed from a `.dwo` beside the module or a `.dwp` package.

wasm-tools refuses split DWARF ("split-dwarf is not supported yet"), so the reference here is
llvm-symbolizer, whose answers sample_modules/manifest.json records (run where it finds the .dwo),
and the same code built without -gsplit-dwarf (divzero.O2.wasm), whose frames must come out equal.
"""

from __future__ import annotations

import os
import posixpath
import shutil
from pathlib import Path

import pytest

from tests.helpers import SAMPLES, sample_manifest
from wasmdbg.dwarf import cache
from wasmdbg.symbols.symbolizer import SymbolizeOptions, Symbolizer

BUILD = SAMPLES / "build"
SPLIT = [e for e in sample_manifest() if e["variant"] in ("split", "split-dwp")]


def frames(symbolizer: Symbolizer, offset: int) -> list[tuple[object, ...]]:
    return [
        (f.function, posixpath.normpath(f.file) if f.file else None, f.line, f.column, f.inlined, f.source)
        for f in symbolizer.symbolize(offset).frames
    ]


@pytest.mark.parametrize("entry", SPLIT, ids=lambda e: str(e["variant"]))
def test_split_units_give_llvm_symbolizers_frames(entry: dict[str, object]) -> None:
    symbolizer = Symbolizer.open(SAMPLES / str(entry["module"]), SymbolizeOptions(use_cache=False))
    assert symbolizer.notes == ()
    checked = 0
    for frame in entry["trap_frames"]:  # type: ignore[attr-defined]
        if frame["module_offset"] is None or not frame["locations"]:
            continue
        ours = [(f[0], f[1], f[2], f[3]) for f in frames(symbolizer, frame["module_offset"])]
        assert ours == [(loc["function"], loc["file"], loc["line"], loc["column"]) for loc in frame["locations"]]
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("module", ["divzero.split.wasm", "divzero.split2.wasm"])
def test_split_build_symbolizes_like_the_unsplit_build(module: str) -> None:
    split = Symbolizer.open(BUILD / module, SymbolizeOptions(use_cache=False))
    whole = Symbolizer.open(BUILD / "divzero.O2.wasm", SymbolizeOptions(use_cache=False))
    body = split.module.function_at(500)
    assert body is not None
    from wasmdbg.wasm.instructions import instruction_offsets

    user = [b for b in split.module.bodies if b.func_index in (8, 9, 10)]
    for b in user:
        for offset in instruction_offsets(split.module.data, b.code_offset, b.end):
            assert frames(split, offset) == frames(whole, offset)


def test_a_missing_dwo_leaves_the_skeleton_and_says_so(tmp_path: Path) -> None:
    shutil.copy(BUILD / "divzero.split.wasm", tmp_path / "divzero.split.wasm")
    (tmp_path / "sub").mkdir()
    shutil.copy(BUILD / "divzero.split.dwo", tmp_path / "sub" / "divzero.split.dwo")  # not beside it
    symbolizer = Symbolizer.open(tmp_path / "divzero.split.wasm", SymbolizeOptions(use_cache=False))
    assert any("divzero.split.dwo was not found beside the module" in n.message for n in symbolizer.notes)
    (frame,) = symbolizer.symbolize(500).frames
    # The skeleton's line table still gives the line; the name comes from the name section.
    assert (frame.function, frame.line, frame.source) == ("compute_ratio", 13, "name")


def test_an_explicit_dwp_is_used_wherever_it_is(tmp_path: Path) -> None:
    shutil.copy(BUILD / "divzero.split2.wasm", tmp_path / "m.wasm")
    alone = Symbolizer.open(tmp_path / "m.wasm", SymbolizeOptions(use_cache=False))
    assert alone.notes
    given = Symbolizer.open(tmp_path / "m.wasm", SymbolizeOptions(use_cache=False, dwp=str(BUILD / "divzero.split2.wasm.dwp")))
    assert given.notes == () and [f[0] for f in frames(given, 500)] == ["quotient", "compute_ratio"]


def test_a_changed_dwo_invalidates_the_cached_index(tmp_path: Path) -> None:
    os.environ[cache.CACHE_ENV] = str(tmp_path / "cache")
    for name in ("divzero.split.wasm", "divzero.split.dwo"):
        shutil.copy(BUILD / name, tmp_path / name)
    first = Symbolizer.open(tmp_path / "divzero.split.wasm")
    assert [f[0] for f in frames(first, 500)] == ["quotient", "compute_ratio"]
    (tmp_path / "divzero.split.dwo").unlink()
    again = Symbolizer.open(tmp_path / "divzero.split.wasm")
    assert any("not found beside the module" in n.message for n in again.notes)

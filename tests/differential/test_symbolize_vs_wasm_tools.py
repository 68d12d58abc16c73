"""Symbolization against `wasm-tools addr2line` (gimli), address by address.

For every module with DWARF at hand (the sample modules, the corpus's real DWARF modules from
emscripten and clang 10-19, and generated modules whose DWARF wasm-tools writes itself) every
line-table address, the byte after it, and every instruction boundary is symbolized by both, and
the whole answer must match: function names, files, lines, columns and the inline chain, printed
as wasm-tools prints it.

One documented difference: wasm-tools demangles C++ with the `cpp_demangle` crate, which gets some
libc++ names wrong (an empty parameter pack printed as a stray `, `; `decltype(nullptr)&&`
parameters dropped). Where the two names differ for a frame with a C++ linkage name, the name
wasmdbg shows must be exactly what a third, independent demangler makes of
that linkage name, GNU c++filt (binutils), makes of it; everything else about the frame must still
match wasm-tools.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import CORPUS, SAMPLES, sample_manifest, smith_module, wasm_tools, wasm_tools_bytes
from wasmdbg.symbols.frames import DWARF, SymbolizedAddress
from wasmdbg.symbols.symbolizer import SymbolizeOptions, Symbolizer

pytestmark = pytest.mark.differential

_BATCH = 2500


def cxxfilt(names: list[str]) -> dict[str, str]:
    """GNU c++filt's demangling of each name (binutils, on every machine with a C compiler)."""
    import subprocess

    out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True, timeout=60, check=True)
    return dict(zip(names, out.stdout.splitlines()))


def format_like_wasm_tools(probe: int, result: SymbolizedAddress) -> list[str]:
    """Our frames in `wasm-tools addr2line` output form (addresses as given: decimal)."""
    frames = [f for f in result.frames if f.source == DWARF or f.file is not None]
    if not frames:
        return [f"{probe}: no dwarf frames found for this address"]
    lines = []
    for i, frame in enumerate(frames):
        name = frame.function if frame.source == DWARF and frame.function else "<unnamed>"
        text = (f"{probe}: " if i == 0 else "\t") + name
        if frame.file is not None or frame.line is not None:
            text += " " + (frame.file or "")
            text += f":{frame.line}" if frame.line is not None else ""
            text += f":{frame.column}" if frame.column is not None else ""
        lines.append(text)
    return lines


def wasm_tools_frames(path: Path, probes: list[int]) -> list[list[str]]:
    groups: list[list[str]] = []
    for start in range(0, len(probes), _BATCH):
        batch = [str(p) for p in probes[start : start + _BATCH]]
        for line in wasm_tools("addr2line", "--code-section-relative", str(path), *batch).splitlines():
            if line.startswith("\t"):
                groups[-1].append(line)
            else:
                groups.append([line])
    return groups


def probes_for(symbolizer: Symbolizer) -> list[int]:
    index, module = symbolizer.index, symbolizer.module
    assert index is not None and module.code_section is not None
    size = module.code_section.size
    probes = {a for a in index.row_addr if 0 <= a < size} | {a + 1 for a in index.row_addr if 0 <= a + 1 < size}
    from wasmdbg.wasm.instructions import instruction_offsets

    base = module.code_section.offset
    for body in module.bodies:
        probes.update(o - base for o in instruction_offsets(module.data, body.code_offset, body.end))
        probes.add(body.offset - base)
    return sorted(probes)


def compare(path: Path) -> int:
    symbolizer = Symbolizer.open(path, SymbolizeOptions(use_cache=False))
    assert symbolizer.index is not None, symbolizer.notes
    assert symbolizer.module.code_section is not None
    probes = probes_for(symbolizer)
    theirs = wasm_tools_frames(path, probes)
    assert len(theirs) == len(probes)
    base = symbolizer.module.code_section.offset
    mismatches = []
    renamed: list[tuple[str, str, str]] = []  # (linkage name, our name, wasm-tools' name)
    for probe, expected in zip(probes, theirs):
        result = symbolizer.symbolize(base + probe)
        ours = format_like_wasm_tools(probe, result)
        if ours == expected:
            continue
        frames = [f for f in result.frames if f.source == DWARF or f.file is not None]
        explained = len(ours) == len(expected)
        for frame, our_line, their_line in zip(frames, ours, expected):
            if our_line == their_line:
                continue
            name = frame.function or ""
            suffix = our_line[our_line.index(name) + len(name) :] if name else ""
            if not (frame.linkage_name and name and their_line.endswith(suffix)):
                explained = False
                break
            head = f"{probe}: " if their_line.startswith(f"{probe}: ") else "\t"
            renamed.append((frame.linkage_name, name, their_line[len(head) : len(their_line) - len(suffix)]))
        if not explained:
            mismatches.append((probe, ours, expected))
    if renamed:
        reference = cxxfilt(sorted({linkage for linkage, _, _ in renamed}))
        wrong = [(linkage, ours_, theirs_) for linkage, ours_, theirs_ in renamed if reference[linkage] != ours_]
        assert not wrong, f"names neither wasm-tools nor c++filt give: {wrong[:3]}"
    assert not mismatches, f"{len(mismatches)} of {len(probes)} differ; first: {mismatches[0]}"
    return len(probes)


SAMPLES_WITH_DWARF = [
    SAMPLES / str(e["module"]) for e in sample_manifest()
    if e["variant"] in ("O0", "O2", "debug", "dwarf5", "winpaths") and e["sample"] != "panic"
    or e["module"] == "build/panic.O2.wasm"
]  # fmt: skip


@pytest.mark.parametrize("path", SAMPLES_WITH_DWARF, ids=lambda p: p.name)
def test_sample_modules_symbolize_as_wasm_tools_does(path: Path) -> None:
    assert compare(path) > 100


def _corpus_modules() -> list[Path]:
    return sorted((CORPUS / "dwarf-binaryen").glob("*.wasm")) if CORPUS.exists() else []


@pytest.mark.corpus
@pytest.mark.parametrize("path", _corpus_modules(), ids=lambda p: p.name)
def test_corpus_dwarf_modules_symbolize_as_wasm_tools_does(path: Path) -> None:
    symbolizer = Symbolizer.open(path, SymbolizeOptions(use_cache=False))
    if symbolizer.index is None or len(symbolizer.index.row_addr) == 0:
        # A module whose DWARF has no line table: both must then report no frames anywhere.
        code = symbolizer.module.code_section
        assert code is not None
        assert wasm_tools("addr2line", "--code-section-relative", str(path), "0").startswith("0: no dwarf frames")
        return
    compare(path)


def _generated_with_code(count: int) -> list[bytes]:
    """The first `count` smith modules (by seed) that define functions: smith may generate none."""
    from wasmdbg.wasm.module import read_module

    found: list[bytes] = []
    seed = 0
    while len(found) < count:
        seed += 1
        data = smith_module(seed, 8192, "--min-funcs", "3", "--max-imports", "0")
        if read_module(data).bodies:
            found.append(data)
    return found


def test_generated_modules_with_wasm_tools_dwarf(tmp_path: Path) -> None:
    """smith modules printed as text and re-assembled by wasm-tools with DWARF pointing at that text."""
    compared = 0
    for n, module in enumerate(_generated_with_code(10)):
        wat = tmp_path / f"m{n}.wat"
        wat.write_text(wasm_tools("print", "-", input=module))
        path = tmp_path / f"m{n}.wasm"
        path.write_bytes(wasm_tools_bytes("parse", "-g", str(wat)))
        compared += compare(path)
    assert compared > 1000

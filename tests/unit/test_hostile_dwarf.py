"""Hostile DWARF never hangs or crashes wasmdbg: frames come from the name section, with one line why.

The modules come from tests/fixtures/hostile_dwarf.py, whose own tests record what each does to a
naive pyelftools walk (endless loops, RecursionError, KeyError, ZeroDivisionError, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures import hostile_dwarf as hostile
from tests.helpers import run_cli
from wasmdbg.symbols.symbolizer import SymbolizeOptions, Symbolizer

BUDGET_S = 8.0
"""Index-building budget for these tests: far above what the good module needs (well under 1 s)."""


def symbolize_trap(path: Path) -> tuple[Symbolizer, list[tuple[str | None, str]]]:
    symbolizer = Symbolizer.open(path, SymbolizeOptions(use_cache=False, timeout_s=BUDGET_S))
    result = symbolizer.symbolize(hostile.CODE_SECTION_OFFSET + hostile.TRAP_OFFSET)
    return symbolizer, [(f.function, f.source) for f in result.frames]


def test_the_good_module_symbolizes_from_dwarf(tmp_module: Callable[..., Path]) -> None:
    symbolizer, frames = symbolize_trap(tmp_module(hostile.good_module()))
    assert symbolizer.notes == ()
    assert frames == [("divide", "dwarf")]
    assert symbolizer.symbolize(hostile.CODE_SECTION_OFFSET + hostile.TRAP_OFFSET).frames[0].line == hostile.TRAP_LINE


@pytest.mark.parametrize("case", sorted(hostile.HOSTILE_CASES))
def test_hostile_dwarf_degrades_to_names_with_one_line(case: str, tmp_module: Callable[..., Path]) -> None:
    symbolizer, frames = symbolize_trap(tmp_module(hostile.HOSTILE_CASES[case]()))
    assert frames, "the trapping function must still be named"
    function, source = frames[-1]
    assert function == "divide"
    if symbolizer.index is None:
        assert source == "name"
        assert len(symbolizer.notes) == 1 and "\n" not in symbolizer.notes[0].message
        assert symbolizer.notes[0].message.startswith("DWARF not used: ")
    else:
        # DWARF that pyelftools reads without harm must still give the right function.
        assert source in ("dwarf", "name")


def test_a_failed_build_is_remembered_and_explained_once_on_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "loop.wasm"
    path.write_bytes(hostile.HOSTILE_CASES["unknown_abbreviation"]())
    address = str(hostile.CODE_SECTION_OFFSET + hostile.TRAP_OFFSET)
    first = run_cli("symbolize", str(path), address)
    assert first.status == 0
    warnings = first.stderr.splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("wasmdbg: warning: DWARF not used:")
    assert "divide" in first.stdout
    again = run_cli("symbolize", str(path), address)
    assert "(remembered from an earlier run; --no-cache retries)" in again.stderr  # the CLI's hint, as before
    retried = run_cli("symbolize", "--no-cache", str(path), address)
    assert "remembered" not in retried.stderr and "DWARF not used" in retried.stderr

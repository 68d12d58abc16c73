"""Breakpoint lines resolve to the addresses llvm-dwarfdump's line table gives, and no-code lines are refused.

For each line of the sample's own source, the expected locations are computed from
`llvm-dwarfdump --debug-line` (rows) and `--debug-info` (each subprogram's pc range), and the
code section's start from `wasm-objdump -h`: one location per function holding an is_stmt row of
the line, at its lowest such address. No line of wasmdbg's own reading is used for the expectation.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

from tests.helpers import ROOT
from wasmdbg.symbols.breakpoints import BreakpointError, BreakpointResolver
from wasmdbg.symbols.symbolizer import SymbolizeOptions, Symbolizer

BUILD = ROOT / "sample_modules" / "build"
DWARFDUMP = shutil.which("llvm-dwarfdump") or shutil.which("llvm-dwarfdump-14")
OBJDUMP = shutil.which("wasm-objdump")
pytestmark = pytest.mark.skipif(not (DWARFDUMP and OBJDUMP), reason="llvm-dwarfdump and wasm-objdump come with the build toolchain")

CASES = [("ledger.O0.wasm", "ledger.c"), ("ledger.O2.wasm", "ledger.c"), ("cpp_abort.O0.wasm", "cpp_abort.cpp"), ("panic.O0.wasm", "rust/panic.rs")]
_ROW = re.compile(r"^0x([0-9a-f]{16})\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+\s+\d+\s*(.*)$")


def _code_start(module: Path) -> int:
    out = subprocess.run([OBJDUMP, "-h", str(module)], capture_output=True, text=True, check=True).stdout  # type: ignore[list-item]
    match = re.search(r"Code start=0x([0-9a-f]+)", out)
    assert match, out
    return int(match[1], 16)


@cache
def _stmt_rows(module: Path, source: str) -> list[tuple[int, int]]:
    """(address, line) of every is_stmt row whose file is `source`, from llvm-dwarfdump."""
    out = subprocess.run([DWARFDUMP, "--debug-line", str(module)], capture_output=True, text=True, check=True).stdout  # type: ignore[list-item]
    rows: list[tuple[int, int]] = []
    names: dict[int, str] = {}
    directories: dict[int, str] = {}
    pending: int | None = None
    for line in out.splitlines():
        if line.startswith("debug_line["):
            names, directories = {}, {}
        directory = re.match(r'include_directories\[\s*(\d+)\] = "(.*)"', line)
        if directory:
            directories[int(directory[1])] = directory[2]
        entry = re.match(r"file_names\[\s*(\d+)\]:", line)
        if entry:
            pending = int(entry[1])
        name = re.match(r'\s+name: "(.*)"', line)
        if name and pending is not None:
            names[pending] = name[1]
        dir_index = re.match(r"\s+dir_index: (\d+)", line)
        if dir_index and pending is not None:
            names[pending] = directories.get(int(dir_index[1]), "") + "/" + names[pending]
            pending = None
        row = _ROW.match(line)
        if row and "is_stmt" in row[5] and "end_sequence" not in row[5]:
            path = names.get(int(row[4]), "")
            if path.endswith("/" + source) and not path.startswith("/"):
                rows.append((int(row[1], 16), int(row[2])))
    return rows


@cache
def _functions(module: Path) -> list[tuple[int, int]]:
    """(low_pc, high_pc) of every subprogram with code, from llvm-dwarfdump --debug-info."""
    out = subprocess.run([DWARFDUMP, "--debug-info", str(module)], capture_output=True, text=True, check=True).stdout  # type: ignore[list-item]
    ranges = []
    for block in out.split("DW_TAG_subprogram")[1:]:
        head = block.split("DW_TAG_")[0]
        low = re.search(r"DW_AT_low_pc\s+\((0x[0-9a-f]+)\)", head)
        high = re.search(r"DW_AT_high_pc\s+\((0x[0-9a-f]+)\)", head)
        if low and high and int(low[1], 16) > 0:
            ranges.append((int(low[1], 16), int(high[1], 16)))
    return ranges


@cache
def _first_instructions(module: Path) -> list[tuple[int, int]]:
    """(body offset, first instruction offset) of every function body, from wasm-objdump -d."""
    out = subprocess.run([OBJDUMP, "-d", str(module)], capture_output=True, text=True, check=True).stdout  # type: ignore[list-item]
    found: list[tuple[int, int]] = []
    header: int | None = None
    for line in out.splitlines():
        head = re.match(r"^([0-9a-f]{6}) func\[\d+\]", line)
        if head:
            header = int(head[1], 16)
            continue
        instruction = re.match(r"^ ([0-9a-f]{6}): [0-9a-f ]+\| (\S+)", line)
        if instruction and header is not None and not instruction[2].startswith("local["):
            found.append((header, int(instruction[1], 16)))
            header = None
    return found


def _executable(module: Path, offset: int) -> int:
    """A row before a body's first instruction (its local declarations: the low_pc row) stops at that instruction."""
    for header, first in reversed(_first_instructions(module)):
        if header <= offset:
            return max(offset, first)
    return offset


@cache
def _resolver(module: Path) -> BreakpointResolver:
    return BreakpointResolver(Symbolizer.open(module, SymbolizeOptions(use_cache=False)))


@pytest.mark.parametrize(("name", "source"), CASES)
def test_every_line_breaks_where_the_line_table_says(name: str, source: str) -> None:
    module = BUILD / name
    rows = _stmt_rows(module, source)
    assert rows, "the sample has line rows for its own source"
    base = _code_start(module)
    functions = _functions(module)
    resolver = _resolver(module)
    lines = sorted({line for _, line in rows if line > 0})
    for line in range(1, max(lines) + 2):
        expected = set()
        for low, high in functions:
            inside = [address for address, row_line in rows if row_line == line and low <= address < high]
            if inside:
                expected.add(_executable(module, min(inside) + base))
        spec = f"{source}:{line}"
        if not expected:
            with pytest.raises(BreakpointError) as refused:
                resolver.resolve(spec)
            assert "has no code" in refused.value.message or "outside every function" in refused.value.message
            below = [n for n in lines if n < line]
            above = [n for n in lines if n > line]
            for near in (below[-1:] + above[:1]) if line not in lines else []:
                assert str(near) in refused.value.message
            continue
        found = resolver.resolve(spec)
        assert {loc.offset for loc in found.locations} == expected, spec
        assert all(loc.line == line for loc in found.locations), spec
        assert f"line {line}" in found.chosen and hex(min(expected)) in found.chosen


def test_function_breakpoints_stop_past_the_prologue_where_dwarfdump_marks_it() -> None:
    module = BUILD / "ledger.O0.wasm"
    out = subprocess.run([DWARFDUMP, "--debug-line", str(module)], capture_output=True, text=True, check=True).stdout  # type: ignore[list-item]
    prologue_ends = {int(m[1], 16) for m in re.finditer(r"^0x([0-9a-f]{16}).*prologue_end", out, re.M)}
    base = _code_start(module)
    for function in ("post", "main"):
        found = _resolver(module).resolve(function)
        (location,) = found.locations
        assert location.offset - base in prologue_ends
        assert location.function == function


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("nosuch.c:3", "no source file nosuch.c"),
        ("ledger.c:0", "has no code"),
        ("no_such_function", "no function of that name"),
        ("0x1", "not inside the code of a function body"),
        ("", "an empty breakpoint"),
    ],
)
def test_a_spec_that_names_no_code_is_refused_in_one_line(spec: str, words: str) -> None:
    with pytest.raises(BreakpointError) as refused:
        _resolver(BUILD / "ledger.O0.wasm").resolve(spec)
    assert words in refused.value.message and "\n" not in refused.value.message


def test_an_offset_inside_an_instruction_names_the_instructions_around_it() -> None:
    module = BUILD / "ledger.O0.wasm"
    out = subprocess.run([OBJDUMP, "-d", str(module)], capture_output=True, text=True, check=True).stdout  # type: ignore[list-item]
    # wasm-objdump -d prints each instruction's offset and bytes: find one of three or more bytes.
    match = re.search(r"^ ([0-9a-f]{6}): ((?:[0-9a-f]{2} ){3,})", out, re.M)
    assert match
    start = int(match[1], 16)
    with pytest.raises(BreakpointError) as refused:
        _resolver(module).resolve(hex(start + 1))
    assert hex(start) in refused.value.message
    assert _resolver(module).resolve(hex(start)).locations[0].offset == start


def test_an_inlined_function_is_refused_with_what_to_do_instead() -> None:
    with pytest.raises(BreakpointError) as refused:
        _resolver(BUILD / "ledger.O2.wasm").resolve("post")
    assert "inlined" in refused.value.message and "FILE:LINE" in refused.value.message


def test_a_name_the_runtime_shares_resolves_to_the_users_own() -> None:
    resolver = _resolver(BUILD / "panic.O0.wasm")
    assert resolver.resolve("lookup").locations[0].function == "panic::lookup"
    assert resolver.resolve("panic.rs:9").locations[0].file.endswith("rust/panic.rs")  # type: ignore[union-attr]

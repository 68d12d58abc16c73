"""The warm symbolizer's fast paths give exactly what the paths they replace gave.

- Plain text lines equal Rich's rendering of `SymbolizedView` off a terminal.
- The index's written-out searches equal `rust_binary_search_by` (gimli's probing) on every
  probe around every row, function and inlined range of the samples and the corpus.
- The first run's progress line appears on a terminal only, and is erased.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import CORPUS, sample_module_paths
from wasmdbg.addresses import ModuleOffset
from wasmdbg.cli.environment import Environment
from wasmdbg.cli.hints import describe
from wasmdbg.cli.main import main
from wasmdbg.cli.progress import IndexProgressLine
from wasmdbg.dwarf.index import DwarfFrame, DwarfIndex
from wasmdbg.dwarf.progress import READING_UNITS, IndexProgress
from wasmdbg.render.console import make_console
from wasmdbg.render.symbols import SymbolizedView
from wasmdbg.render.symbols_text import plain_lines, styled_output
from wasmdbg.symbols.symbolizer import SymbolizeOptions, Symbolizer

# The reference the index's written-out searches are held to: gimli's probing, one comparison per call.
LESS, EQUAL, GREATER = -1, 0, 1


def rust_binary_search_by(lo: int, hi: int, compare: Callable[[int], int]) -> tuple[bool, int]:
    """Rust's `slice::binary_search_by` over indices [lo, hi): (found, index), as `Ok(i)` / `Err(i)`.

    Its exact probing order matters when several entries compare equal or the slice is not
    sorted (overlapping sequences, line rows that go backwards): it lands where gimli lands.
    """
    size = hi - lo
    if size <= 0:
        return False, lo
    base = lo
    while size > 1:
        half = size // 2
        mid = base + half
        if compare(mid) != GREATER:
            base = mid
        size -= half
    result = compare(base)
    if result == EQUAL:
        return True, base
    return False, base + (result == LESS)


def rust_binary_search(lo: int, hi: int, compare: Callable[[int], int]) -> int | None:
    """The index `binary_search_by` returns on a match, else None."""
    found, index = rust_binary_search_by(lo, hi, compare)
    return index if found else None


DWARF_SAMPLES = [p for p in sample_module_paths() if p.name.endswith((".O0.wasm", ".O2.wasm", ".dwarf5.wasm"))]
CORPUS_DWARF = sorted((CORPUS / "dwarf-binaryen").glob("*.wasm")) if CORPUS.is_dir() else []


def _addresses(symbolizer: Symbolizer, count: int, seed: int) -> list[int]:
    code = symbolizer.module.code_section
    assert code is not None
    rng = random.Random(seed)
    return [rng.randrange(max(0, code.offset - 8), code.end + 8) for _ in range(count)]


@pytest.mark.parametrize("path", DWARF_SAMPLES[::2], ids=lambda p: p.name)
def test_plain_lines_are_what_rich_prints_off_a_terminal(path: Path) -> None:
    symbolizer = Symbolizer.open(path, SymbolizeOptions())
    out = io.StringIO()
    console = make_console(out)
    expected_lines = []
    for address in _addresses(symbolizer, 60, 1):
        result = symbolizer.symbolize(ModuleOffset(address))
        console.print(SymbolizedView(hex(address), result, describe))
        expected_lines.extend(plain_lines(hex(address), result, describe))
    assert out.getvalue() == "".join(line + "\n" for line in expected_lines)
    assert "warning:" in out.getvalue()  # non-boundary and outside-code addresses were among them


def test_the_cli_writes_plain_lines_off_a_terminal_and_rich_at_a_width() -> None:
    path = str(DWARF_SAMPLES[0])
    addresses = [hex(a) for a in _addresses(Symbolizer.open(path, SymbolizeOptions()), 30, 2)]
    plain = Environment(stdin=io.StringIO(""), stdout=io.StringIO(), stderr=io.StringIO(), width=None)
    rich = Environment(stdin=io.StringIO(""), stdout=io.StringIO(), stderr=io.StringIO(), width=10_000)
    assert main(["symbolize", path, *addresses], plain) == 0
    assert main(["symbolize", path, *addresses], rich) == 0
    assert isinstance(plain.stdout, io.StringIO) and isinstance(rich.stdout, io.StringIO)
    assert plain.stdout.getvalue() == rich.stdout.getvalue().replace(" \n", "\n") != ""


def test_colour_forced_off_a_terminal_is_left_to_rich() -> None:
    assert not styled_output({})
    assert styled_output({"FORCE_COLOR": "1"})
    assert not styled_output({"FORCE_COLOR": ""})
    assert styled_output({"TTY_COMPATIBLE": "1"}) and not styled_output({"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"})


# -- the index's searches ------------------------------------------------------------------------


def _reference_frames(index: DwarfIndex, probe: int) -> tuple[DwarfFrame, ...]:
    """find_frames as it was written with `rust_binary_search_by` and a comparison per probe."""

    def find_function(unit: int) -> int | None:
        def compare(i: int) -> int:
            return GREATER if probe < index.fr_begin[i] else LESS if probe >= index.fr_end[i] else EQUAL

        found = rust_binary_search(index.unit_fr_lo[unit], index.unit_fr_hi[unit], compare)
        return None if found is None else index.fr_func[found]

    def find_row(unit: int) -> int | None:
        def compare_sequence(i: int) -> int:
            return GREATER if probe < index.seq_start[i] else LESS if probe >= index.seq_end[i] else EQUAL

        seq = rust_binary_search(index.unit_seq_lo[unit], index.unit_seq_hi[unit], compare_sequence)
        if seq is None:
            return None
        addrs = index.row_addr

        def compare_row(i: int) -> int:
            return LESS if addrs[i] < probe else GREATER if addrs[i] > probe else EQUAL

        lo = index.seq_row_lo[seq]
        found, at = rust_binary_search_by(lo, index.seq_row_hi[seq], compare_row)
        return at if found else (at - 1 if at > lo else None)

    def chain(function: int) -> list[int]:
        calls: list[int] = []
        lo, hi = index.fn_ir_lo[function], index.fn_ir_hi[function]
        while True:
            depth = len(calls)

            def compare(i: int) -> int:
                if index.ir_depth[i] != depth:
                    return GREATER if index.ir_depth[i] > depth else LESS
                return GREATER if index.ir_begin[i] > probe else LESS if index.ir_end[i] <= probe else EQUAL

            found = rust_binary_search(lo, hi, compare)
            if found is None:
                return calls
            calls.append(index.ir_call[found])
            lo = found + 1

    units = [
        index.ur_unit[i]
        for i in range(len(index.ur_end))
        if index.ur_begin[i] <= probe < index.ur_end[i]
        and all(probe + 1 > index.ur_min_begin[j] for j in range(i + 1))
    ]
    for unit in units:
        function, row = find_function(unit), find_row(unit)
        file = line = column = None
        if row is not None:
            file = index._unit_file(unit, index.row_file[row])
            if index.row_line[row] != 0:
                line, column = index.row_line[row], index.row_col[row]
        if function is None:
            if row is None:
                continue
            return (DwarfFrame(None, False, file, line, column, False),)
        frames = []
        for call in reversed(chain(function)):
            name = index.call_name[call]
            frames.append(DwarfFrame(index._string(name), bool(index.call_linkage[call]), file, line, column, True))
            call_file = index.call_file[call]
            file = index._unit_file(unit, call_file) if call_file >= 0 else None
            line, column = index.call_line[call] or None, index.call_col[call] or None
        name = index.fn_name[function]
        frames.append(DwarfFrame(index._string(name), bool(index.fn_linkage[function]), file, line, column, False))
        return tuple(frames)
    return ()


@pytest.mark.parametrize(
    "path", [*DWARF_SAMPLES[::3], *CORPUS_DWARF], ids=lambda p: p.name
)
def test_the_written_out_searches_probe_as_gimli_does(path: Path) -> None:
    index = Symbolizer.open(path, SymbolizeOptions()).index
    if index is None:
        pytest.skip(f"{path.name}: no usable DWARF")  # the corpus holds some; every sample has DWARF
    edges = {*index.row_addr, *index.fr_begin, *index.fr_end, *index.ir_begin, *index.ir_end, *index.seq_end}
    probes = sorted({p for edge in edges for p in (edge - 1, edge, edge + 1) if p >= 0})
    if not probes:  # DWARF with no ranges and no rows: nothing is found anywhere
        assert index.find_frames(0) == index.find_frames(1 << 20) == ()
    for probe in probes[:: max(1, len(probes) // 2000)]:
        assert index.find_frames(probe) == _reference_frames(index, probe), hex(probe)


# -- progress --------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_index_progress_line_is_drawn_on_a_terminal_and_erased() -> None:
    terminal, pipe = _Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        line = IndexProgressLine(stream, "big\x1b[31m.wasm")
        line(IndexProgress(0, 97, READING_UNITS))
        line(IndexProgress(1, 97, READING_UNITS))  # within the redraw interval: not drawn
        line.close()
    assert pipe.getvalue() == ""
    drawn = terminal.getvalue()
    assert drawn.startswith("\rwasmdbg: indexing the DWARF of big") and "0/97 units" in drawn
    assert "1/97" not in drawn and "\x1b[31m" not in drawn
    assert drawn.endswith("\r\x1b[K")


def test_a_cold_symbolize_on_a_terminal_says_it_is_indexing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMDBG_CACHE_DIR", str(tmp_path))
    stderr = _Terminal()
    env = Environment(stdin=io.StringIO(""), stdout=io.StringIO(), stderr=stderr, width=None)
    assert main(["symbolize", str(DWARF_SAMPLES[0]), "0x1"], env) == 0
    assert "indexing the DWARF of" in stderr.getvalue() and stderr.getvalue().endswith("\r\x1b[K")
    warm = _Terminal()
    env = Environment(stdin=io.StringIO(""), stdout=io.StringIO(), stderr=warm, width=None)
    assert main(["symbolize", str(DWARF_SAMPLES[0]), "0x1"], env) == 0
    assert "indexing" not in warm.getvalue()

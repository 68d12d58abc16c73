"""The statement rows of a module's line tables: where a debugger may stop for a source line.

The index (`dwarf.index`) keeps only what symbolizing needs; a breakpoint needs more of each row:
`is_stmt` (the rows a compiler marks as a good place to stop for the line) and `prologue_end` (the
first row past a function's prologue, where a function breakpoint stops, once its parameters are
in place). These are read with pyelftools, unit by unit, only when a breakpoint is resolved.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from wasmdbg.dwarf.paths import render_file

MAX_ROWS = 2_000_000
"""Rows read in all before the table is cut short (a hostile line program cannot exhaust memory)."""


@dataclass(frozen=True, slots=True)
class LineRow:
    """One row of a line table (end-of-sequence rows are not listed)."""

    address: int
    """DWARF address: an offset in the code section's contents."""
    file: str
    line: int
    column: int
    is_stmt: bool
    prologue_end: bool


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _files(program: Any, comp_dir: str | None) -> list[str]:
    header = program.header
    version = int(header["version"])
    directories = [_text(d) for d in header["include_directory"]]
    files: list[str] = [] if version >= 5 else [""]  # DWARF <= 4 has no file 0
    for entry in header["file_entry"]:
        directory = None
        if entry.dir_index != 0:
            position = entry.dir_index if version >= 5 else entry.dir_index - 1
            directory = directories[position] if 0 <= position < len(directories) else None
        files.append(render_file(comp_dir, directory, _text(entry.name)))
    return files


def iter_line_rows(sections: Mapping[str, bytes]) -> Iterator[LineRow]:
    """Every row of every unit's line program, in program order.

    A unit whose program cannot be read is skipped: a breakpoint in it then reports its line as
    having no code, which is what the rest of the tables say too.
    """
    if ".debug_info" not in sections or ".debug_line" not in sections:
        return
    from wasmdbg.dwarf.loader import load_dwarf  # pyelftools: only when a breakpoint is resolved

    try:
        dwarf = load_dwarf(sections)
        units = list(dwarf.iter_CUs())
    except Exception:  # noqa: BLE001 - unreadable DWARF has no rows
        return
    count = 0
    for cu in units:
        try:
            top = cu.get_top_DIE()
            comp_attr = top.attributes.get("DW_AT_comp_dir")
            comp_dir = _text(comp_attr.value) if comp_attr is not None else None
            program = dwarf.line_program_for_CU(cu)
            if program is None:
                continue
            files = _files(program, comp_dir)
            for entry in program.get_entries():
                state = entry.state
                if state is None or state.end_sequence:
                    continue
                count += 1
                if count > MAX_ROWS:
                    return
                file = files[state.file] if 0 <= state.file < len(files) else ""
                yield LineRow(state.address, file, state.line, state.column, bool(state.is_stmt), bool(state.prologue_end))
        except Exception:  # noqa: BLE001 - one bad unit must not hide the others
            continue

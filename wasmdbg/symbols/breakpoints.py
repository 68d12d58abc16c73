"""Breakpoint specs (`FILE:LINE`, `FUNCTION`, `0xOFFSET`) resolved to instruction offsets.

A line resolves through the line tables to its statement rows (`is_stmt`), one location per
function holding the line (a line inlined into three callers stops in all three): the row of
lowest address in each, as gdb does. A function resolves to its first row past the prologue
(`prologue_end`, else its second statement row), where its parameters have been stored and the
frame base is set, so its variables read right; without line tables, to its first instruction.
A module offset must be an instruction boundary of a function body.
"""

from __future__ import annotations

import bisect
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from wasmdbg.addresses import ModuleOffset
from wasmdbg.dwarf.statements import LineRow, iter_line_rows
from wasmdbg.errors import WasmdbgError
from wasmdbg.symbols.frames import SourceFrame
from wasmdbg.symbols.runtime import is_runtime_frame
from wasmdbg.symbols.symbolizer import Symbolizer
from wasmdbg.text import printable
from wasmdbg.wasm.code import FunctionBody

_LINE_SPEC = re.compile(r"^(?P<file>.+):(?P<line>\d+)$")
_OFFSET_SPEC = re.compile(r"^0[xX][0-9a-fA-F]+$")


MAX_LIVE_POINTS = 100_000
"""Statement rows probed for breakpoints set while the guest runs."""
_FILE_LIKE = re.compile(r"^[^:\s]+\.[A-Za-z0-9+]{1,4}:[^:]*$")
"""A file name with an extension, a colon and no line (C++ names have `::`, never a lone colon)."""


class BreakpointError(WasmdbgError):
    """A breakpoint spec that names no code: the message says what was looked for and what exists."""


@dataclass(frozen=True, slots=True)
class Location:
    """One place a breakpoint stops: an instruction of one function."""

    offset: ModuleOffset
    func_index: int
    function: str | None
    file: str | None
    line: int | None
    column: int | None


@dataclass(frozen=True, slots=True)
class Breakpoint:
    """A resolved spec: where it stops, and how that was chosen (one line, for the user)."""

    spec: str
    locations: tuple[Location, ...]
    chosen: str


@dataclass
class _Lines:
    rows: list[LineRow]
    files: list[str]


def _components(path: str) -> list[str]:
    return [part for part in posixpath.normpath(path.replace("\\", "/")).split("/") if part not in ("", ".")]


def _matches(candidate: str, wanted: str) -> bool:
    have, want = _components(candidate), _components(wanted)
    return bool(want) and have[-len(want):] == want


class BreakpointResolver:
    """Resolves specs against one module's symbolizer; the line tables are read on first use."""

    def __init__(self, symbolizer: Symbolizer) -> None:
        self.symbolizer = symbolizer
        self._lines: _Lines | None = None

    @property
    def _code_base(self) -> int:
        code = self.symbolizer.module.code_section
        return code.offset if code is not None else 0

    def _line_rows(self) -> _Lines:
        if self._lines is None:
            rows = [r for r in iter_line_rows(self.symbolizer.debug.dwarf_sections())]
            self._lines = _Lines(rows, sorted({r.file for r in rows}))
        return self._lines

    def resolve(self, spec: str) -> Breakpoint:
        """Where `spec` stops.

        Raises:
            BreakpointError: the spec names no file, line, function or instruction of the module.
        """
        text = spec.strip()
        if _OFFSET_SPEC.match(text):
            return self._at_offset(spec, int(text, 16))
        line = _LINE_SPEC.match(text)
        if line is not None:
            return self._at_line(spec, line["file"], int(line["line"]))
        if not text:
            raise BreakpointError("an empty breakpoint: give FILE:LINE, FUNCTION or 0xOFFSET")
        if _FILE_LIKE.match(text):  # `ledger.c:abc`: a file with something other than a line
            raise BreakpointError(f"{printable(spec)}: the line after the file must be a number (FILE:LINE)")
        return self._at_function(spec, text)

    def resolve_all(self, specs: Iterable[str]) -> tuple[Breakpoint, ...]:
        return tuple(self.resolve(spec) for spec in specs)

    # -- offsets ------------------------------------------------------------------------------

    def _location(self, offset: int) -> Location:
        body = self.symbolizer.module.function_at(offset)
        func_index = body.func_index if body is not None else -1
        symbolized = self.symbolizer.symbolize(ModuleOffset(offset))
        frame = symbolized.frames[0] if symbolized.frames else None
        outer = symbolized.frames[-1] if symbolized.frames else None
        return Location(
            ModuleOffset(offset), func_index, outer.function if outer else None,
            frame.file if frame else None, frame.line if frame else None, frame.column if frame else None,
        )  # fmt: skip

    def _instruction_starts(self, body: FunctionBody) -> list[int]:
        return [i.offset for i in self.symbolizer.module.instructions(body.func_index)]

    def _at_offset(self, spec: str, offset: int) -> Breakpoint:
        body = self.symbolizer.module.function_at(offset)
        if body is None or offset < body.code_offset:
            raise BreakpointError(f"{spec}: not inside the code of a function body (give an instruction offset, as `wasmdbg info` or a backtrace shows)")
        starts = self._instruction_starts(body)
        i = bisect.bisect_left(starts, offset)
        if i == len(starts) or starts[i] != offset:
            before = starts[i - 1] if i > 0 else None
            after = starts[i] if i < len(starts) else None
            near = " and ".join(f"{o:#x}" for o in (before, after) if o is not None)
            raise BreakpointError(f"{spec}: not the start of an instruction; the nearest are {near}")
        location = self._location(offset)
        where = f" ({location.file}:{location.line})" if location.file else ""
        return Breakpoint(spec, (location,), f"{spec}: in {location.function or 'function ' + str(body.func_index)}{where}")

    # -- lines --------------------------------------------------------------------------------

    def _at_line(self, spec: str, file: str, line: int) -> Breakpoint:
        tables = self._line_rows()
        if not tables.rows:
            raise BreakpointError(f"{spec}: the module has no line tables (build with -g to break on source lines; 0xOFFSET and FUNCTION work without)")
        files = [f for f in tables.files if f and _matches(f, file)]
        if not files:
            known = sorted({posixpath.basename(f.replace("\\", "/")) for f in tables.files if f})
            shown = ", ".join(known[:8]) + (", …" if len(known) > 8 else "")
            raise BreakpointError(f"{spec}: no source file {printable(file)} in the line tables (they name {shown})")
        distinct = sorted({posixpath.normpath(f.replace("\\", "/")) for f in files})
        if len(distinct) > 1:  # a name the language's runtime shares (Rust std's panic.rs): the user's own wins
            own = [f for f in files if not is_runtime_frame(SourceFrame("?", file=f))]
            if own:
                files = own
                distinct = sorted({posixpath.normpath(f.replace("\\", "/")) for f in files})
        if len(distinct) > 1:
            raise BreakpointError(f"{spec}: {printable(file)} matches several files ({', '.join(distinct[:5])}); give more of its path")
        wanted = set(files)
        rows = [r for r in tables.rows if r.file in wanted and r.is_stmt]
        here = [r for r in rows if r.line == line]
        if not here:
            lines = sorted({r.line for r in rows if r.line > 0})
            i = bisect.bisect_left(lines, line)
            near = [n for n in (lines[i - 1] if i > 0 else None, lines[i] if i < len(lines) else None) if n is not None]
            shown = " and ".join(str(n) for n in near) or "none"
            raise BreakpointError(f"{spec}: line {line} of {distinct[0]} has no code; the nearest lines with code are {shown}")
        base = self._code_base
        by_function: dict[int, int] = {}
        for row in here:
            offset = row.address + base
            body = self.symbolizer.module.function_at(offset)
            if body is None:
                continue  # a sequence of a function the linker dropped (address 0) or a stale row
            # The row of a function's opening line is at its low_pc, the local declarations:
            # execution starts at the first instruction.
            offset = max(offset, body.code_offset)
            by_function[body.func_index] = min(offset, by_function.get(body.func_index, offset))
        if not by_function:
            raise BreakpointError(f"{spec}: the rows of line {line} lie outside every function body (code the linker dropped)")
        locations = tuple(self._location(o) for o in sorted(by_function.values()))
        chosen = ", ".join(f"{loc.offset:#x} in {loc.function}" for loc in locations)
        return Breakpoint(spec, locations, f"{spec}: line {line} of {distinct[0]} at {chosen} (its first statement row)")

    def live_points(self, limit: int = MAX_LIVE_POINTS) -> tuple[int, ...]:
        """Every offset a FILE:LINE or FUNCTION breakpoint in the user's code resolves to.

        Probed behind guards, these let the app set such breakpoints while the guest runs: per
        line and function, the first statement row (as `_at_line` chooses), and each function's
        first row past its prologue. Lines of the language's runtime are left out; so is the
        rest past `limit` (the module is then as big as its probes are many).
        """
        tables = self._line_rows()
        base = self._code_base
        module = self.symbolizer.module
        user = {f for f in tables.files if f and not is_runtime_frame(SourceFrame("?", file=f))}
        first: dict[tuple[str, int, int], int] = {}
        runtime: dict[int, bool] = {}  # per function: the language runtime's (libc, dlmalloc, std), by its frame
        for row in tables.rows:
            if row.file not in user or not row.is_stmt:
                continue
            body = module.function_at(row.address + base)
            if body is None:
                continue
            if body.func_index not in runtime:
                runtime[body.func_index] = self._is_runtime(body)
            if runtime[body.func_index]:
                continue
            offset = max(row.address + base, body.code_offset)
            key = (row.file, row.line, body.func_index)
            first[key] = min(offset, first.get(key, offset))
            if row.prologue_end:
                first[(row.file, -1, body.func_index)] = min(offset, first.get((row.file, -1, body.func_index), offset))
            if len(first) > limit:
                break
        return tuple(sorted(set(first.values())))

    # -- functions ----------------------------------------------------------------------------

    def _function_names(self, body: FunctionBody) -> set[str]:
        names = set()
        named = self.symbolizer.function_name(body.func_index).function
        if named:
            names.add(named)
        symbolized = self.symbolizer.symbolize(ModuleOffset(body.code_offset))
        if symbolized.frames and symbolized.frames[-1].function:
            names.add(symbolized.frames[-1].function)
        return names

    def _at_function(self, spec: str, name: str) -> Breakpoint:
        module = self.symbolizer.module
        exact: list[FunctionBody] = []
        loose: list[FunctionBody] = []
        for body in module.bodies:
            names = self._function_names(body)
            if name in names:
                exact.append(body)
            elif any(n.split("(")[0] == name or n.split("(")[0].rsplit("::", 1)[-1] == name for n in names):
                loose.append(body)
        found = exact or loose
        if len(found) > 1:  # a name the language's runtime shares: the user's own function wins
            own = [b for b in found if not self._is_runtime(b)]
            found = own or found
        if not found:
            index = self.symbolizer.index
            if index is not None and name in {index.strings[s] for s in index.call_name if s >= 0}:
                raise BreakpointError(f"{spec}: the compiler inlined {printable(name)} into its callers and kept no code of its own; break on one of its lines (FILE:LINE) instead")
            raise BreakpointError(f"{spec}: no function of that name (`wasmdbg info --functions` lists them; FILE:LINE and 0xOFFSET work too)")
        if len(found) > 1:
            shown = "; ".join(sorted({next(iter(self._function_names(b))) for b in found})[:4])
            raise BreakpointError(f"{spec}: {len(found)} functions match ({shown}); give the full name")
        body = found[0]
        offset = self._after_prologue(body)
        location = self._location(offset)
        where = f" ({location.file}:{location.line})" if location.file else " (its first instruction: no line table)"
        return Breakpoint(spec, (location,), f"{spec}: {location.function} at {offset:#x}{where}")

    def _is_runtime(self, body: FunctionBody) -> bool:
        symbolized = self.symbolizer.symbolize(ModuleOffset(body.code_offset))
        return bool(symbolized.frames) and is_runtime_frame(symbolized.frames[-1])

    def _after_prologue(self, body: FunctionBody) -> int:
        base = self._code_base
        rows = sorted(
            (r for r in self._line_rows().rows if body.code_offset <= r.address + base < body.end and r.is_stmt),
            key=lambda r: r.address,
        )
        starts = set(self._instruction_starts(body))
        chosen = next((r for r in rows if r.prologue_end), None)
        if chosen is None and len(rows) > 1:
            chosen = rows[1]
        if chosen is not None and chosen.address + base in starts:
            return chosen.address + base
        return body.code_offset


def locations(breakpoints: Sequence[Breakpoint]) -> tuple[ModuleOffset, ...]:
    """Every distinct offset the breakpoints stop at, in order."""
    return tuple(sorted({loc.offset for bp in breakpoints for loc in bp.locations}))

"""DwarfIndex: the built tables as flat integer arrays, searched by bisection, stored as bytes.

Lookups replicate gimli's addr2line exactly, down to its binary searches (Rust's `binary_search_by`,
which lands on the last of several equal candidates), because overlapping ranges are real in
wasm DWARF (functions discarded by the linker left at address 0) and an index that picked a
different candidate would disagree with `wasm-tools addr2line` while looking right.
"""

from __future__ import annotations

import json
import struct
from bisect import bisect_right
from array import array
from dataclasses import dataclass

INDEX_FORMAT = 1
"""Bump when the layout or the lookup semantics change: cached indexes of other versions are misses."""

_MAGIC = b"WASMDBG-DWARF-INDEX\n"

# Array name -> what one entry of it is. Every array holds 64-bit signed integers; -1 means none.
_ARRAYS = (
    "unit_lang", "unit_files_lo", "unit_files_hi", "unit_seq_lo", "unit_seq_hi", "unit_fr_lo", "unit_fr_hi",
    "files",
    "seq_start", "seq_end", "seq_row_lo", "seq_row_hi",
    "row_addr", "row_file", "row_line", "row_col",
    "fr_begin", "fr_end", "fr_func",
    "fn_name", "fn_linkage", "fn_ir_lo", "fn_ir_hi",
    "ir_begin", "ir_end", "ir_depth", "ir_call",
    "call_name", "call_linkage", "call_file", "call_line", "call_col",
    "ur_begin", "ur_end", "ur_min_begin", "ur_unit",
)  # fmt: skip



@dataclass(frozen=True, slots=True)
class DwarfFrame:
    """A frame as DWARF describes it; the name is raw (mangled when `is_linkage_name`)."""

    name: str | None
    is_linkage_name: bool
    file: str | None
    line: int | None
    column: int | None
    inlined: bool


class IndexFormatError(Exception):
    """Stored index bytes that are not an index of this format (a cache miss, never shown to users)."""


class DwarfIndex:
    """Maps code-section offsets to frames; build with `from_tables`, or `from_bytes` from the cache."""

    # One attribute per entry of _ARRAYS (set in __init__), declared for the type checker.
    unit_lang: array[int]
    unit_files_lo: array[int]
    unit_files_hi: array[int]
    unit_seq_lo: array[int]
    unit_seq_hi: array[int]
    unit_fr_lo: array[int]
    unit_fr_hi: array[int]
    files: array[int]
    seq_start: array[int]
    seq_end: array[int]
    seq_row_lo: array[int]
    seq_row_hi: array[int]
    row_addr: array[int]
    row_file: array[int]
    row_line: array[int]
    row_col: array[int]
    fr_begin: array[int]
    fr_end: array[int]
    fr_func: array[int]
    fn_name: array[int]
    fn_linkage: array[int]
    fn_ir_lo: array[int]
    fn_ir_hi: array[int]
    ir_begin: array[int]
    ir_end: array[int]
    ir_depth: array[int]
    ir_call: array[int]
    call_name: array[int]
    call_linkage: array[int]
    call_file: array[int]
    call_line: array[int]
    call_col: array[int]
    ur_begin: array[int]
    ur_end: array[int]
    ur_min_begin: array[int]
    ur_unit: array[int]

    def __init__(
        self,
        strings: list[str],
        arrays: dict[str, array[int]],
        notes: list[str] | None = None,
        deps: list[tuple[str, str]] | None = None,
    ) -> None:
        self.strings = strings
        self.notes = notes or []
        """What the DWARF could not give (e.g. a split unit's missing `.dwo`), one line each."""
        self.deps = deps or []
        """(path, sha256) of files besides the module the index was built from (split DWARF)."""
        for name in _ARRAYS:
            setattr(self, name, arrays[name])
        self._arrays = arrays

    # -- lookups ------------------------------------------------------------------------------

    def _string(self, sid: int) -> str | None:
        return self.strings[sid] if sid >= 0 else None

    def _units_covering(self, probe: int) -> list[int]:
        """addr2line's `ResUnits::find_range`: ranges sorted by end, cut off by the suffix minimum begin."""
        ends = self.ur_end
        # First range ending after `probe` (a range ending exactly at probe does not contain it).
        units = []
        min_begins, begins, unit_of = self.ur_min_begin, self.ur_begin, self.ur_unit
        for i in range(bisect_right(ends, probe), len(ends)):
            if probe + 1 <= min_begins[i]:
                break
            if begins[i] <= probe < ends[i]:
                units.append(unit_of[i])
        return units

    # The searches below are Rust's `slice::binary_search_by` written out for each comparison (the same
    # probes in the same order, so the same answer on overlapping or unsorted entries): without a
    # closure call per probe they are ~3x faster, and they are the whole cost of a warm lookup.

    def _find_function(self, unit: int, probe: int) -> int | None:
        begins, ends = self.fr_begin, self.fr_end
        base, size = self.unit_fr_lo[unit], self.unit_fr_hi[unit] - self.unit_fr_lo[unit]
        if size <= 0:
            return None
        while size > 1:
            half = size // 2
            if probe >= begins[base + half]:  # compare(mid) is not Greater
                base += half
            size -= half
        if begins[base] <= probe < ends[base]:
            return self.fr_func[base]
        return None

    def _find_row(self, unit: int, probe: int) -> int | None:
        starts, ends = self.seq_start, self.seq_end
        seq, size = self.unit_seq_lo[unit], self.unit_seq_hi[unit] - self.unit_seq_lo[unit]
        if size <= 0:
            return None
        while size > 1:
            half = size // 2
            if probe >= starts[seq + half]:
                seq += half
            size -= half
        if not starts[seq] <= probe < ends[seq]:
            return None
        # Rows are in program order (not re-sorted, as in gimli): the row at the probe, else the one before.
        addrs = self.row_addr
        lo = self.seq_row_lo[seq]
        base, size = lo, self.seq_row_hi[seq] - lo
        if size <= 0:
            return None
        while size > 1:
            half = size // 2
            if addrs[base + half] <= probe:
                base += half
            size -= half
        found = addrs[base]
        if found == probe:
            return base
        index = base + (found < probe)
        return index - 1 if index > lo else None

    def _unit_file(self, unit: int, index: int) -> str | None:
        position = self.unit_files_lo[unit] + index
        if 0 <= index and position < self.unit_files_hi[unit]:
            return self.strings[self.files[position]]
        return None

    def _inlined_chain(self, function: int, probe: int) -> list[int]:
        """addr2line's `find_inlined_functions`: call indices, outermost first, one depth at a time."""
        chain: list[int] = []
        lo, hi = self.fn_ir_lo[function], self.fn_ir_hi[function]
        begins, ends, depths = self.ir_begin, self.ir_end, self.ir_depth
        while True:
            depth = len(chain)
            base, size = lo, hi - lo
            if size <= 0:
                return chain
            while size > 1:
                half = size // 2
                mid = base + half
                # compare(mid) is not Greater: (depth, begin) of the entry not after (depth, probe)
                if depths[mid] < depth or (depths[mid] == depth and begins[mid] <= probe):
                    base = mid
                size -= half
            if depths[base] != depth or not begins[base] <= probe < ends[base]:
                return chain
            chain.append(self.ir_call[base])
            lo = base + 1

    def find_frames(self, probe: int) -> tuple[DwarfFrame, ...]:
        """Frames for a code-section offset, innermost first; () when DWARF knows nothing of it."""
        for unit in self._units_covering(probe):
            function = self._find_function(unit, probe)
            row = self._find_row(unit, probe)
            file = line = column = None
            if row is not None:
                file = self._unit_file(unit, self.row_file[row])
                if self.row_line[row] != 0:
                    line, column = self.row_line[row], self.row_col[row]
            if function is None:
                if row is None:
                    continue
                return (DwarfFrame(None, False, file, line, column, False),)
            frames = []
            for call in reversed(self._inlined_chain(function, probe)):
                frames.append(
                    DwarfFrame(
                        self._string(self.call_name[call]), bool(self.call_linkage[call]), file, line, column, True
                    )
                )
                call_file = self.call_file[call]
                file = self._unit_file(unit, call_file) if call_file >= 0 else None
                line = self.call_line[call] or None
                column = self.call_col[call] or None
            frames.append(
                DwarfFrame(self._string(self.fn_name[function]), bool(self.fn_linkage[function]), file, line, column, False)
            )
            return tuple(frames)
        return ()

    def function_names(self) -> set[str]:
        """Every raw function name the DWARF holds (for tests and diagnostics)."""
        return {self.strings[s] for s in self.fn_name if s >= 0}

    # -- storage ------------------------------------------------------------------------------

    def to_bytes(self, key: str = "") -> bytes:
        """A self-describing binary form for the on-disk cache, tagged with the cache key it answers."""
        header = json.dumps(
            {
                "format": INDEX_FORMAT,
                "key": key,
                "notes": self.notes,
                "deps": self.deps,
                "strings": self.strings,
                "lengths": [len(self._arrays[n]) for n in _ARRAYS],
            },
            ensure_ascii=False,
        ).encode()
        body = b"".join(self._arrays[n].tobytes() for n in _ARRAYS)
        return _MAGIC + struct.pack("<Q", len(header)) + header + body

    @classmethod
    def from_bytes(cls, data: bytes, key: str | None = None) -> DwarfIndex:
        """Load an index; IndexFormatError for anything that is not a consistent index of this format
        (or, given `key`, not the index of that cache key)."""
        try:
            if not data.startswith(_MAGIC):
                raise IndexFormatError("not an index")
            (header_size,) = struct.unpack_from("<Q", data, len(_MAGIC))
            start = len(_MAGIC) + 8
            header = json.loads(data[start : start + header_size])
            if header.get("format") != INDEX_FORMAT or not isinstance(header.get("strings"), list):
                raise IndexFormatError("other index format")
            if key is not None and header.get("key") != key:
                raise IndexFormatError("index of other DWARF")
            lengths = header["lengths"]
            if len(lengths) != len(_ARRAYS):
                raise IndexFormatError("wrong array count")
            offset = start + header_size
            arrays: dict[str, array[int]] = {}
            for name, length in zip(_ARRAYS, lengths):
                values = array("q")
                end = offset + 8 * int(length)
                if end > len(data):
                    raise IndexFormatError("truncated")
                values.frombytes(data[offset:end])
                arrays[name] = values
                offset = end
            if offset != len(data):
                raise IndexFormatError("trailing bytes")
            notes = [str(n) for n in header.get("notes", [])]
            deps = [(str(p), str(h)) for p, h in header.get("deps", [])]
            index = cls([str(s) for s in header["strings"]], arrays, notes, deps)
            index._check()
            return index
        except IndexFormatError:
            raise
        except (ValueError, TypeError, KeyError, struct.error, UnicodeDecodeError) as error:
            raise IndexFormatError(str(error)) from None

    def _check(self) -> None:
        """Cross-array consistency, so a corrupt cache file fails here and not inside a lookup."""
        n_strings = len(self.strings)
        sizes = {
            "unit": len(self.unit_lang), "seq": len(self.seq_start), "row": len(self.row_addr),
            "fr": len(self.fr_begin), "fn": len(self.fn_name), "ir": len(self.ir_begin), "call": len(self.call_name),
            "files": len(self.files), "ur": len(self.ur_end),
        }  # fmt: skip
        for name in _ARRAYS:
            prefix = name.split("_")[0]
            if prefix in sizes and prefix != "files" and len(self._arrays[name]) != sizes[prefix]:
                raise IndexFormatError(f"{name} has the wrong length")
        bounds = {
            "unit_files_lo": sizes["files"], "unit_files_hi": sizes["files"], "unit_seq_lo": sizes["seq"],
            "unit_seq_hi": sizes["seq"], "unit_fr_lo": sizes["fr"], "unit_fr_hi": sizes["fr"],
            "seq_row_lo": sizes["row"], "seq_row_hi": sizes["row"], "fr_func": sizes["fn"] - 1,
            "fn_ir_lo": sizes["ir"], "fn_ir_hi": sizes["ir"], "ir_call": sizes["call"] - 1,
            "ur_unit": sizes["unit"] - 1, "files": n_strings - 1, "fn_name": n_strings - 1,
            "call_name": n_strings - 1, "call_file": sizes["files"] + 2**31,
        }  # fmt: skip
        for name, limit in bounds.items():
            values = self._arrays[name]
            if values and (max(values) > limit or min(values) < -1):
                raise IndexFormatError(f"{name} out of range")

    # -- building -----------------------------------------------------------------------------

    @classmethod
    def from_tables(cls, tables: object) -> DwarfIndex:
        """Pack `build.DwarfTables` into arrays."""
        from wasmdbg.dwarf.build import DwarfTables

        assert isinstance(tables, DwarfTables)
        strings: list[str] = []
        ids: dict[str, int] = {}

        def sid(text: str | None) -> int:
            if text is None:
                return -1
            found = ids.get(text)
            if found is None:
                found = ids[text] = len(strings)
                strings.append(text)
            return found

        a: dict[str, array[int]] = {name: array("q") for name in _ARRAYS}
        unit_ranges: list[tuple[int, int, int]] = []
        for unit_id, unit in enumerate(tables.units):
            a["unit_lang"].append(-1 if unit.language is None else unit.language)
            a["unit_files_lo"].append(len(a["files"]))
            a["files"].extend(sid(f) for f in unit.files)
            a["unit_files_hi"].append(len(a["files"]))
            a["unit_seq_lo"].append(len(a["seq_start"]))
            for start, end, rows in unit.sequences:
                a["seq_start"].append(start)
                a["seq_end"].append(end)
                a["seq_row_lo"].append(len(a["row_addr"]))
                for address, file, line, column in rows:
                    a["row_addr"].append(address)
                    a["row_file"].append(file)
                    a["row_line"].append(line)
                    a["row_col"].append(column)
                a["seq_row_hi"].append(len(a["row_addr"]))
            a["unit_seq_hi"].append(len(a["seq_start"]))
            first_function = len(a["fn_name"])
            for function in unit.functions:
                name, is_linkage = tables.names.get(function.name_die, (None, False))
                a["fn_name"].append(sid(name))
                a["fn_linkage"].append(int(is_linkage))
                first_call = len(a["call_name"])
                for call in function.inlined:
                    call_name, call_linkage = tables.names.get(call.name_die, (None, False))
                    a["call_name"].append(sid(call_name))
                    a["call_linkage"].append(int(call_linkage))
                    a["call_file"].append(-1 if call.call_file is None else call.call_file)
                    a["call_line"].append(call.call_line)
                    a["call_col"].append(call.call_column)
                a["fn_ir_lo"].append(len(a["ir_begin"]))
                for begin, end, depth, call_index in function.inlined_ranges:
                    a["ir_begin"].append(begin)
                    a["ir_end"].append(end)
                    a["ir_depth"].append(depth)
                    a["ir_call"].append(first_call + call_index)
                a["fn_ir_hi"].append(len(a["ir_begin"]))
            a["unit_fr_lo"].append(len(a["fr_begin"]))
            for begin, end, function_index in unit.function_ranges:
                a["fr_begin"].append(begin)
                a["fr_end"].append(end)
                a["fr_func"].append(first_function + function_index)
            a["unit_fr_hi"].append(len(a["fr_begin"]))
            unit_ranges.extend((begin, end, unit_id) for begin, end in unit.ranges)
        unit_ranges.sort(key=lambda r: r[1])
        minimum = 2**63 - 1
        min_begins = []
        for begin, _, _ in reversed(unit_ranges):
            minimum = min(minimum, begin)
            min_begins.append(minimum)
        min_begins.reverse()
        for (begin, end, unit_id), min_begin in zip(unit_ranges, min_begins):
            a["ur_begin"].append(begin)
            a["ur_end"].append(end)
            a["ur_min_begin"].append(min_begin)
            a["ur_unit"].append(unit_id)
        return cls(strings, a, list(tables.notes), list(tables.used_files))

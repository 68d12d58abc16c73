"""The variables in scope at a code address of a held frame: parameters and locals, from DWARF.

`VariableReader.variables_at` finds the innermost function (or inlined call) whose code holds the
address, then its parameters and the locals of every lexical block around the address, outer
scopes first, each located by its DW_AT_location (an expression or a location list entry covering
the address) and rendered by its type (`wasmdbg.dwarf.values`). The DWARF is untrusted: units are
walked linearly (`die_tree`), every chain and count is bounded, and a variable that cannot be read
says why instead of raising; `variables_at` itself never raises.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from wasmdbg.dwarf.die_tree import MAX_REFERENCE_HOPS, DieForest, UnitTree
from wasmdbg.dwarf.locations import FrameState, InMemory, Location, Unavailable, Value, evaluate
from wasmdbg.dwarf.values import Budget, ValueReader, Variable, clean

__all__ = ["FrameState", "ScopeVariables", "Variable", "VariableReader"]

_SUBPROGRAM, _INLINED, _BLOCK = "DW_TAG_subprogram", "DW_TAG_inlined_subroutine", "DW_TAG_lexical_block"
_PARAMETER, _VARIABLE = "DW_TAG_formal_parameter", "DW_TAG_variable"
_C_LANGUAGES = frozenset({0x01, 0x02, 0x0C, 0x1D, 0x2C})


@dataclass(frozen=True)
class ScopeVariables:
    """The variables of one frame's innermost scope at an address."""

    function: str | None
    variables: tuple[Variable, ...]
    notes: tuple[str, ...] = ()


Found = tuple[UnitTree, int]


class VariableReader:
    """Reads variables from one module's DWARF (parsed on first use, units walked as needed)."""

    def __init__(self, sections: Mapping[str, bytes]) -> None:
        self._sections = dict(sections)
        self._forest: DieForest | None = None
        self._parser: Any = None
        self._unusable = ".debug_info" not in sections
        self._functions: dict[int, list[tuple[int, list[tuple[int, int]]]]] = {}

    def _load(self) -> DieForest | None:
        if self._forest is None and not self._unusable:
            # pyelftools is loaded with the first stop, not with the session (which may never stop).
            from elftools.dwarf.locationlists import LocationParser

            from wasmdbg.dwarf.loader import load_dwarf

            try:
                dwarf = load_dwarf(self._sections)
                self._forest = DieForest(dwarf)
                self._parser = LocationParser(dwarf.location_lists())
            except Exception:  # noqa: BLE001 - unreadable DWARF has no variables
                self._unusable = True
        return self._forest

    def variables_at(self, code_offset: int, state: FrameState, depth: int = 3) -> ScopeVariables | None:
        """The variables in scope at DWARF address `code_offset`, or None if no function covers it."""
        try:
            forest = self._load()
            if forest is None:
                return None
            found = self._function_at(forest, code_offset)
            if found is None:
                return None
            return self._scope(forest, found, code_offset, state, depth)
        except Exception:  # noqa: BLE001 - the DWARF is untrusted: no variables rather than a crash
            return None

    # -- where -------------------------------------------------------------------------------------

    def _function_at(self, forest: DieForest, address: int) -> Found | None:
        """The innermost DW_TAG_subprogram whose code holds `address`."""
        uncovered = []
        for cu in forest.units:
            try:
                top = cu.get_top_DIE()
                ranges = self._ranges(forest, cu, top)
            except Exception:  # noqa: BLE001 - a unit that cannot be read holds nothing
                continue
            if ranges is None:
                uncovered.append(cu)
            elif any(lo <= address < hi for lo, hi in ranges):
                found = self._subprogram_in(forest, cu, address)
                if found is not None:
                    return found
        for cu in uncovered:  # units without ranges on their top DIE: look inside
            found = self._subprogram_in(forest, cu, address)
            if found is not None:
                return found
        return None

    def _subprogram_in(self, forest: DieForest, cu: Any, address: int) -> Found | None:
        tree = forest.tree(cu)
        key = int(cu.cu_offset)
        if key not in self._functions:
            functions = []
            for i, die in enumerate(tree.dies):
                if die.tag == _SUBPROGRAM:
                    try:
                        ranges = self._ranges(forest, cu, die)
                    except Exception:  # noqa: BLE001
                        ranges = None
                    if ranges:
                        functions.append((i, ranges))
            self._functions[key] = functions
        best: int | None = None
        for i, ranges in self._functions[key]:
            if any(lo <= address < hi for lo, hi in ranges) and (best is None or tree.depths[i] > tree.depths[best]):
                best = i
        return None if best is None else (tree, best)

    def _ranges(self, forest: DieForest, cu: Any, die: Any) -> list[tuple[int, int]] | None:
        """A DIE's code ranges (DW_AT_low_pc/high_pc or DW_AT_ranges); None when it has neither."""
        attrs = die.attributes
        if "DW_AT_ranges" in attrs:
            lists = forest.dwarf.range_lists()
            if lists is None:
                return []
            base = self._unit_base(cu)
            out = []
            for entry in lists.get_range_list_at_offset(attrs["DW_AT_ranges"].value, cu=cu)[:10_000]:
                if hasattr(entry, "base_address"):
                    base = int(entry.base_address)
                    continue
                lo, hi = int(entry.begin_offset), int(entry.end_offset)
                if not getattr(entry, "is_absolute", False):
                    lo, hi = lo + base, hi + base
                out.append((lo, hi))
            return out
        if "DW_AT_low_pc" in attrs:
            low = int(attrs["DW_AT_low_pc"].value)
            high_attr = attrs.get("DW_AT_high_pc")
            if high_attr is None:
                return [(low, low + 1)]
            high = int(high_attr.value)
            if high_attr.form != "DW_FORM_addr":
                high += low
            return [(low, high)]
        return None

    @staticmethod
    def _unit_base(cu: Any) -> int:
        attr = cu.get_top_DIE().attributes.get("DW_AT_low_pc")
        return int(attr.value) if attr is not None and isinstance(attr.value, int) else 0

    def _contains(self, forest: DieForest, tree: UnitTree, i: int, address: int) -> bool:
        try:
            ranges = self._ranges(forest, tree.cu, tree.dies[i])
        except Exception:  # noqa: BLE001
            return False
        return ranges is None or any(lo <= address < hi for lo, hi in ranges)

    # -- what --------------------------------------------------------------------------------------

    def _scope(self, forest: DieForest, function: Found, address: int, state: FrameState, depth: int) -> ScopeVariables:
        tree, physical = function
        scope = physical
        # The innermost inlined call holding the address is the scope whose variables are shown.
        end = tree.subtree_end(physical)
        for j in range(physical + 1, end):
            if tree.dies[j].tag == _INLINED and tree.depths[j] > tree.depths[scope] and self._inside(tree, j, scope):
                try:
                    ranges = self._ranges(forest, tree.cu, tree.dies[j])
                except Exception:  # noqa: BLE001
                    continue
                if ranges and any(lo <= address < hi for lo, hi in ranges):
                    scope = j
        notes: list[str] = []
        name = self._function_name(forest, tree, scope)
        if scope != physical:
            notes.append(f"inlined into {self._function_name(forest, tree, physical) or '<unnamed>'}")
        params: list[int] = []
        locals_: list[int] = []
        todo = [scope]
        while todo:
            i = todo.pop(0)
            for j in tree.children(i):
                tag = tree.dies[j].tag
                if tag == _PARAMETER and i == scope:
                    params.append(j)
                elif tag == _VARIABLE:
                    locals_.append(j)
                elif tag == _BLOCK and self._contains(forest, tree, j, address):
                    todo.append(j)
        frame_base = self._frame_base(forest, tree, physical, address, state)
        reader = ValueReader(forest, state, Budget())
        out: list[Variable] = []
        for j, kind in [(j, "parameter") for j in params] + [(j, "local") for j in locals_]:
            if reader.budget.values <= 0:
                notes.append("more variables in scope, not shown")
                break
            variable = self._variable(forest, reader, tree, j, kind, address, state, frame_base, depth)
            if variable is not None:
                out.append(variable)
        return ScopeVariables(name, tuple(out), tuple(notes))

    @staticmethod
    def _inside(tree: UnitTree, j: int, ancestor: int) -> bool:
        k = tree.parents[j]
        while k >= 0 and k != ancestor:
            k = tree.parents[k]
        return k == ancestor

    def _function_name(self, forest: DieForest, tree: UnitTree, i: int) -> str | None:
        origin_tree, origin = forest.origin(tree, i)
        die = origin_tree.dies[origin]
        if "DW_AT_name" not in die.attributes:
            return None
        language = origin_tree.dies[0].attributes.get("DW_AT_language") if origin_tree.dies else None
        if language is not None and int(language.value) in _C_LANGUAGES:
            return clean(die.attributes["DW_AT_name"].value.decode("utf-8", "replace"))
        return ValueReader(forest, _NoState(), Budget()).namer.qualified(origin_tree, origin)

    def _frame_base(self, forest: DieForest, tree: UnitTree, i: int, address: int, state: FrameState) -> Callable[[], Location]:
        def base() -> Location:
            attr = tree.dies[i].attributes.get("DW_AT_frame_base")
            if attr is None:
                return Unavailable("not described")
            code = self._expression(tree, i, attr, address)
            return code if isinstance(code, Unavailable) else evaluate(code, state)

        return base

    def _expression(self, tree: UnitTree, i: int, attr: Any, address: int) -> list[int] | Unavailable:
        """The location expression that holds at `address` (an exprloc, or a location list's entry)."""
        version = int(tree.cu.header["version"])
        try:
            parsed = self._parser.parse_from_attribute(attr, version, tree.dies[i])
        except Exception:  # noqa: BLE001
            return Unavailable("location could not be read")
        if not isinstance(parsed, list):
            return list(parsed.loc_expr)
        base = self._unit_base(tree.cu)
        for entry in parsed[:10_000]:
            if hasattr(entry, "base_address"):  # a BaseAddressEntry
                base = int(entry.base_address)
            elif hasattr(entry, "loc_expr"):  # a LocationEntry
                lo, hi = int(entry.begin_offset), int(entry.end_offset)
                if not entry.is_absolute:
                    lo, hi = lo + base, hi + base
                if lo <= address < hi:
                    return list(entry.loc_expr)
        return Unavailable("optimized out here")

    def _type_of(self, forest: DieForest, tree: UnitTree, i: int) -> Found | None:
        for _ in range(MAX_REFERENCE_HOPS):
            if "DW_AT_type" in tree.dies[i].attributes:
                return forest.follow(tree, i, "DW_AT_type")
            found = forest.follow(tree, i, "DW_AT_abstract_origin") or forest.follow(tree, i, "DW_AT_specification")
            if found is None:
                return None
            tree, i = found
        return None

    def _variable(
        self, forest: DieForest, reader: ValueReader, tree: UnitTree, j: int, kind: str, address: int,
        state: FrameState, frame_base: Callable[[], Location], depth: int,
    ) -> Variable | None:  # fmt: skip
        die = tree.dies[j]
        raw_name = forest.attribute(tree, j, "DW_AT_name")
        name = clean(raw_name.decode("utf-8", "replace")) if isinstance(raw_name, bytes) else None
        artificial = forest.attribute(tree, j, "DW_AT_artificial")
        if name is None or (artificial and name != "this"):
            return None
        line = forest.attribute(tree, j, "DW_AT_decl_line")
        decl = int(line) if isinstance(line, int) else None
        found = self._type_of(forest, tree, j)
        size = reader.size(found)
        attr = die.attributes.get("DW_AT_location")
        if attr is None:
            const = die.attributes.get("DW_AT_const_value")
            if const is not None:
                raw = _const_bytes(const.value, size)
                return reader.variable(name, kind, found, raw, None, depth, "constant of unknown size", decl)
            return reader.variable(name, kind, found, None, None, depth, "optimized out", decl)
        code = self._expression(tree, j, attr, address)
        location = code if isinstance(code, Unavailable) else evaluate(code, state, frame_base)
        if isinstance(location, Unavailable):
            return reader.variable(name, kind, found, None, None, depth, location.reason, decl)
        if isinstance(location, InMemory):
            raw = reader.read(location.address, size)
            reason = f"memory at {location.address:#x} unreadable" if size else "a value of unknown size"
            return reader.variable(name, kind, found, raw, location.address, depth, reason, decl)
        assert isinstance(location, Value)
        return reader.variable(name, kind, found, _scalar_bytes(location.value, size), None, depth, None, decl)


class _NoState:
    def local(self, index: int) -> int | float | None:
        return None

    def global_value(self, index: int) -> int | float | None:
        return None

    def read_memory(self, address: int, size: int) -> bytes | None:
        return None


def _scalar_bytes(value: int | float, size: int | None) -> bytes:
    """A wasm value as the bytes of a `size`-byte source value (little-endian, as memory holds it)."""
    if isinstance(value, float):
        return struct.pack("<f" if size == 4 else "<d", value)
    if size is None or size <= 0:
        size = 4 if -(1 << 31) <= value < (1 << 32) else 8
    size = min(size, 64)
    return (value % (1 << (8 * size))).to_bytes(size, "little")


def _const_bytes(value: object, size: int | None) -> bytes | None:
    if isinstance(value, int):
        return _scalar_bytes(value, size)
    if isinstance(value, list | bytes):
        return bytes(value)[: size or None]
    return None

"""DIE trees rebuilt from a linear walk: children and parents without ever following DW_AT_sibling.

pyelftools' `iter_children` trusts DW_AT_sibling, and a self-pointing one makes it loop forever;
its `iter_DIEs` reads a unit front to back, which is always bounded. Each unit is walked once
(on first use, capped at MAX_DIES) into flat lists of DIEs, depths and parents, and every
question about the tree is answered from those lists.
"""

from __future__ import annotations

import bisect
from typing import Any

MAX_DIES = 1_000_000
"""DIEs read per unit; past this a unit's remaining DIEs are not seen (a hostile unit cannot exhaust memory)."""
MAX_ABBREV_ATTRIBUTES = 512
"""A unit whose abbreviations declare more attributes per DIE than this is not walked: no producer
writes such DIEs, and pyelftools would spend minutes on a small hostile unit full of them."""
MAX_ATTRIBUTES = 5_000_000
"""Attributes read per unit before the walk stops (bounds the work as MAX_DIES bounds the memory)."""
MAX_REFERENCE_HOPS = 32
"""Reference chains (types, abstract origins, specifications) followed before giving up."""


class UnitTree:
    """One unit's DIEs in order, with their depth and parent index (-1 for the top DIE)."""

    def __init__(self, cu: Any) -> None:
        self.cu = cu
        self.dies: list[Any] = []
        self.depths: list[int] = []
        self.parents: list[int] = []
        self.index: dict[int, int] = {}
        open_: list[int] = []  # indices of the DIEs whose children are being read
        attributes = 0
        try:
            table = cu.get_abbrev_table()
            if any(len(decl["attr_spec"]) > MAX_ABBREV_ATTRIBUTES for decl in table._abbrev_map.values()):
                return
            for die in cu.iter_DIEs():
                if die.is_null():
                    if open_:
                        open_.pop()
                    continue
                attributes += len(die.attributes)
                if len(self.dies) >= MAX_DIES or attributes > MAX_ATTRIBUTES:
                    break
                i = len(self.dies)
                self.dies.append(die)
                self.depths.append(len(open_))
                self.parents.append(open_[-1] if open_ else -1)
                self.index[die.offset] = i
                if die.has_children:
                    open_.append(i)
        except Exception:  # noqa: BLE001 - a damaged unit keeps the DIEs read before the damage
            pass

    def children(self, i: int) -> list[int]:
        """Indices of the direct children of DIE `i`."""
        out = []
        depth = self.depths[i]
        j = i + 1
        while j < len(self.dies) and self.depths[j] > depth:
            if self.parents[j] == i:
                out.append(j)
            j += 1
        return out

    def subtree_end(self, i: int) -> int:
        """One past the last index in DIE `i`'s subtree."""
        depth = self.depths[i]
        j = i + 1
        while j < len(self.dies) and self.depths[j] > depth:
            j += 1
        return j


class DieForest:
    """Every unit of a DWARFInfo, walked on demand, and references across them."""

    def __init__(self, dwarf: Any) -> None:
        self.dwarf = dwarf
        self.units: list[Any] = list(dwarf.iter_CUs())
        self._starts = [int(cu.cu_offset) for cu in self.units]
        self._trees: dict[int, UnitTree] = {}

    def tree(self, cu: Any) -> UnitTree:
        key = int(cu.cu_offset)
        if key not in self._trees:
            self._trees[key] = UnitTree(cu)
        return self._trees[key]

    def locate(self, offset: int) -> tuple[UnitTree, int] | None:
        """The tree and index of the DIE at a .debug_info offset, if a unit holds one there."""
        k = bisect.bisect_right(self._starts, offset) - 1
        if k < 0:
            return None
        cu = self.units[k]
        if offset >= int(cu.cu_offset) + int(cu.size):
            return None
        tree = self.tree(cu)
        i = tree.index.get(offset)
        return None if i is None else (tree, i)

    def follow(self, tree: UnitTree, i: int, attribute: str) -> tuple[UnitTree, int] | None:
        """The DIE a reference attribute of DIE `i` points to."""
        attr = tree.dies[i].attributes.get(attribute)
        if attr is None:
            return None
        form = attr.form
        if form in ("DW_FORM_ref1", "DW_FORM_ref2", "DW_FORM_ref4", "DW_FORM_ref8", "DW_FORM_ref_udata"):
            target = int(attr.value) + int(tree.cu.cu_offset)
        elif form == "DW_FORM_ref_addr":
            target = int(attr.value)
        else:
            return None
        return self.locate(target)

    def attribute(self, tree: UnitTree, i: int, name: str) -> Any:
        """An attribute's value on the DIE or, failing that, through its abstract origin or specification."""
        for _ in range(MAX_REFERENCE_HOPS):
            attr = tree.dies[i].attributes.get(name)
            if attr is not None:
                return attr.value
            found = self.follow(tree, i, "DW_AT_abstract_origin") or self.follow(tree, i, "DW_AT_specification")
            if found is None:
                return None
            tree, i = found
        return None

    def origin(self, tree: UnitTree, i: int) -> tuple[UnitTree, int]:
        """The DIE that carries the name: through abstract origins and specifications."""
        for _ in range(MAX_REFERENCE_HOPS):
            if "DW_AT_name" in tree.dies[i].attributes:
                return tree, i
            found = self.follow(tree, i, "DW_AT_abstract_origin") or self.follow(tree, i, "DW_AT_specification")
            if found is None:
                return tree, i
            tree, i = found
        return tree, i

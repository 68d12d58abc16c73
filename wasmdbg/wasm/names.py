"""The `name` custom section: function, local, label, type, table, memory, global and other names.

A damaged name section never makes a module unreadable (runtimes ignore it too): reading stops at
the first malformed subsection, keeps what was read before it, and records why in `warnings`.
Invalid UTF-8 in a name is replaced, never raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from wasmdbg.errors import WasmFormatError
from wasmdbg.wasm.reader import Reader

NameMap = Mapping[int, str]
IndirectNameMap = Mapping[int, Mapping[int, str]]

# Subsection id -> attribute of NameSection; the extended-name-section proposal added 3..11.
_MAPS = {
    1: "functions",
    4: "types",
    5: "tables",
    6: "memories",
    7: "globals",
    8: "elem_segments",
    9: "data_segments",
    11: "tags",
}
_INDIRECT_MAPS = {2: "locals", 3: "labels", 10: "fields"}


@dataclass(frozen=True, slots=True)
class NameSection:
    """Everything a `name` section names, by index."""

    module: str | None = None
    functions: NameMap = field(default_factory=dict)
    locals: IndirectNameMap = field(default_factory=dict)
    """Function index -> local index -> name."""
    labels: IndirectNameMap = field(default_factory=dict)
    types: NameMap = field(default_factory=dict)
    tables: NameMap = field(default_factory=dict)
    memories: NameMap = field(default_factory=dict)
    globals: NameMap = field(default_factory=dict)
    elem_segments: NameMap = field(default_factory=dict)
    data_segments: NameMap = field(default_factory=dict)
    fields: IndirectNameMap = field(default_factory=dict)
    """Type index -> field index -> name."""
    tags: NameMap = field(default_factory=dict)
    subsections: tuple[int, ...] = ()
    """Ids of the subsections present, in order."""
    warnings: tuple[str, ...] = ()
    """Why reading stopped early, if it did."""


def _read_name_map(r: Reader) -> dict[int, str]:
    names: dict[int, str] = {}
    for _ in range(r.count("name map entry", 2)):
        index = r.u32()
        names[index] = r.lossy_name()
    return names


def _read_indirect_name_map(r: Reader) -> dict[int, dict[int, str]]:
    names: dict[int, dict[int, str]] = {}
    for _ in range(r.count("indirect name map entry", 2)):
        index = r.u32()
        names[index] = _read_name_map(r)
    return names


def read_name_section(data: bytes, start: int, end: int) -> NameSection:
    """Read the payload of a `name` section lying at `data[start:end]`."""
    r = Reader(data, start, end)
    values: dict[str, object] = {}
    ids: list[int] = []
    warnings: list[str] = []
    try:
        while not r.at_end():
            sub_id = r.u8()
            sub = r.sub(r.u32(), f"name subsection {sub_id}")
            ids.append(sub_id)
            if sub_id == 0:
                values["module"] = sub.lossy_name()
            elif sub_id in _MAPS:
                values[_MAPS[sub_id]] = _read_name_map(sub)
            elif sub_id in _INDIRECT_MAPS:
                values[_INDIRECT_MAPS[sub_id]] = _read_indirect_name_map(sub)
            # Unknown subsections are skipped, as the spec asks.
    except WasmFormatError as error:
        warnings.append(f"name section ignored from offset 0x{error.offset:x}: {error.expected}")
    return NameSection(subsections=tuple(ids), warnings=tuple(warnings), **values)  # type: ignore[arg-type]

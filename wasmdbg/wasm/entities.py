"""Imports, exports, and the module's own tables, memories, globals and tags."""

from __future__ import annotations

from dataclasses import dataclass

from wasmdbg.wasm.instructions import Instruction, read_const_expr
from wasmdbg.wasm.reader import Reader
from wasmdbg.wasm.types import (
    GlobalType,
    Limits,
    TableType,
    read_global_type,
    read_limits,
    read_ref_type,
    read_table_type,
)

FUNC, TABLE, MEMORY, GLOBAL, TAG = "func", "table", "memory", "global", "tag"
EXTERNAL_KINDS = {0: FUNC, 1: TABLE, 2: MEMORY, 3: GLOBAL, 4: TAG}

ImportType = int | TableType | Limits | GlobalType
"""A function's or tag's type index, or the table, memory or global type."""


@dataclass(frozen=True, slots=True)
class Import:
    """One import: `module.field` of some kind and type."""

    module: str
    field: str
    kind: str
    """"func", "table", "memory", "global" or "tag"."""
    type: ImportType


@dataclass(frozen=True, slots=True)
class Export:
    """One export: a name for an index in one of the index spaces."""

    name: str
    kind: str
    index: int


@dataclass(frozen=True, slots=True)
class Global:
    """A global defined by the module, with the instructions of its initializer."""

    type: GlobalType
    init: tuple[Instruction, ...]
    """The instructions of the constant initializer expression."""


def _read_kind(r: Reader, what: str) -> str:
    start = r.pos
    code = r.u8()
    if code not in EXTERNAL_KINDS:
        raise r.error(f"malformed {what} kind 0x{code:02x}", start)
    return EXTERNAL_KINDS[code]


def read_tag_type(r: Reader) -> int:
    """A tag type: attribute byte 0 (exception) and a function type index."""
    start = r.pos
    attribute = r.u8()
    if attribute != 0:
        raise r.error(f"malformed tag attribute 0x{attribute:02x}", start)
    return r.u32()


def _read_import_type(r: Reader, kind: str) -> ImportType:
    if kind == FUNC:
        return r.u32()
    if kind == TABLE:
        return read_table_type(r)
    if kind == MEMORY:
        return read_limits(r, "memory type")
    if kind == GLOBAL:
        return read_global_type(r)
    return read_tag_type(r)


# The compact-imports proposal: an empty field name followed by one of these groups imports.
_COMPACT_EACH_TYPED = 0x7F
"""vec(field name, kind, type): one module name shared by several imports."""
_COMPACT_SAME_TYPE = 0x7E
"""kind, type, vec(field name): one module name and one type shared by several imports."""


def read_imports(r: Reader) -> list[Import]:
    """One entry of the import section: one import, or a compact group of several."""
    module = r.name()
    field = r.name()
    if field == "" and r.peek() in (_COMPACT_EACH_TYPED, _COMPACT_SAME_TYPE):
        if r.u8() == _COMPACT_EACH_TYPED:
            imports = []
            for _ in range(r.count("compact import", 3)):
                name = r.name()
                kind = _read_kind(r, "import")
                imports.append(Import(module, name, kind, _read_import_type(r, kind)))
            return imports
        kind = _read_kind(r, "import")
        import_type = _read_import_type(r, kind)
        return [Import(module, r.name(), kind, import_type) for _ in range(r.count("compact import"))]
    kind = _read_kind(r, "import")
    return [Import(module, field, kind, _read_import_type(r, kind))]


def read_export(r: Reader) -> Export:
    """One entry of the export section."""
    name = r.name()
    kind = _read_kind(r, "export")
    return Export(name, kind, r.u32())


def read_table(r: Reader) -> TableType:
    """One entry of the table section; 0x40 0x00 introduces a table with an initializer expression."""
    if r.peek() != 0x40:
        return read_table_type(r)
    r.u8()
    start = r.pos
    if r.u8() != 0x00:
        raise r.error("malformed table: expected 0x00 after 0x40", start)
    table_type = TableType(read_ref_type(r), read_limits(r, "table type"))
    read_const_expr(r)
    return table_type


def read_global(r: Reader) -> Global:
    """One entry of the global section."""
    global_type = read_global_type(r)
    return Global(global_type, read_const_expr(r))

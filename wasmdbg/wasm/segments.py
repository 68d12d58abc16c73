"""Element and data segments: what initializes tables and linear memory, and where."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from wasmdbg.wasm.instructions import Instruction, read_const_expr
from wasmdbg.wasm.reader import Reader
from wasmdbg.wasm.types import read_ref_type

ACTIVE, PASSIVE, DECLARATIVE = "active", "passive", "declarative"


def const_value(expr: tuple[Instruction, ...]) -> int | None:
    """The value of a one-instruction `i32.const`/`i64.const` expression, else None."""
    return _single_int(expr, ("i32.const", "i64.const"))


def constant_value(expr: tuple[Instruction, ...]) -> int | float | None:
    """The value of a one-constant initializer (`i32.const` ... `f64.const`, `v128.const`, then `end`), else
    None (`ref.null`, `global.get`, extended constants). Floats are decoded from the bits the reader keeps."""
    if len(expr) != 2:
        return None
    mnemonic, immediates = expr[0].mnemonic, expr[0].immediates
    if mnemonic in ("i32.const", "i64.const", "v128.const"):
        value = immediates[0]
        return value if isinstance(value, int) else None
    if mnemonic == "f32.const":
        return float(struct.unpack("<f", immediates[0].to_bytes(4, "little"))[0])
    if mnemonic == "f64.const":
        return float(struct.unpack("<d", immediates[0].to_bytes(8, "little"))[0])
    return None


def _single_int(expr: tuple[Instruction, ...], mnemonics: tuple[str, ...]) -> int | None:
    """The integer immediate of an expression that is one of `mnemonics` then `end`, else None."""
    if len(expr) == 2 and expr[0].mnemonic in mnemonics:
        value = expr[0].immediates[0]
        return value if isinstance(value, int) else None
    return None


@dataclass(frozen=True, slots=True)
class ElementSegment:
    """One element segment; `functions` lists the function index of each item (None if not `ref.func`)."""

    mode: str
    """"active", "passive" or "declarative"."""
    table_index: int | None
    offset: int | None
    """Start index in the table for an active segment with a constant offset."""
    element_type: str
    functions: tuple[int | None, ...]


@dataclass(frozen=True, slots=True)
class DataSegment:
    """One data segment; `data_offset` is where its bytes lie in the module."""

    mode: str
    memory_index: int | None
    offset: int | None
    """Address in linear memory for an active segment with a constant offset."""
    data_offset: int
    size: int


def read_element_segment(r: Reader) -> ElementSegment:
    """One entry of the element section (flags 0..7: mode, explicit table, expressions or indices)."""
    start = r.pos
    flags = r.u32()
    if flags > 7:
        raise r.error(f"malformed element segment flags {flags}", start)
    uses_exprs = bool(flags & 0x04)
    table_index: int | None = None
    offset: int | None = None
    if flags & 0x01:
        mode = DECLARATIVE if flags & 0x02 else PASSIVE
    else:
        mode = ACTIVE
        table_index = r.u32() if flags & 0x02 else 0
        offset = const_value(read_const_expr(r))
    element_type = "funcref"
    if flags & 0x03:  # an element kind or reference type is written explicitly
        if uses_exprs:
            element_type = read_ref_type(r)
        else:
            kind_at = r.pos
            if r.u8() != 0x00:
                raise r.error("malformed element kind: expected 0x00 (funcref)", kind_at)
    if uses_exprs:
        functions = tuple(_single_int(read_const_expr(r), ("ref.func",)) for _ in range(r.count("element expression", 2)))
    else:
        functions = tuple(r.u32() for _ in range(r.count("element function index")))
    return ElementSegment(mode, table_index, offset, element_type, functions)


def read_data_segment_header(r: Reader) -> tuple[str, int | None, int | None, int]:
    """A data segment up to its payload: (mode, memory index, offset, payload size); `r` is left at the payload.

    The flags are 0 (memory 0), 1 (passive) or 2 (explicit memory).
    """
    start = r.pos
    flags = r.u32()
    if flags > 2:
        raise r.error(f"malformed data segment flags {flags}", start)
    memory_index: int | None = None
    offset: int | None = None
    mode = PASSIVE
    if flags != 1:
        mode = ACTIVE
        memory_index = r.u32() if flags == 2 else 0
        offset = const_value(read_const_expr(r))
    return mode, memory_index, offset, r.u32()


def read_data_segment(r: Reader) -> DataSegment:
    """One entry of the data section."""
    mode, memory_index, offset, size = read_data_segment_header(r)
    data_offset = r.pos
    r.skip(size, "data segment")
    return DataSegment(mode, memory_index, offset, data_offset, size)

"""Readers of instruction immediates, one per immediate kind of `wasmdbg.wasm.opcodes`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wasmdbg.wasm import opcodes as K
from wasmdbg.wasm.reader import Reader
from wasmdbg.wasm.types import SINGLE_BYTE_VAL_TYPES
from wasmdbg.wasm.types import read_block_type as _block_type
from wasmdbg.wasm.types import read_heap_type as _heap_type
from wasmdbg.wasm.types import read_heap_ref_type as _ref_type
from wasmdbg.wasm.types import read_val_type as _val_type

EMPTY: tuple[Any, ...] = ()
SMALL = tuple((i,) for i in range(256))
"""Shared one-element immediates for small values, so common instructions allocate no tuple."""

# -- types ------------------------------------------------------------------------------------

_CAST_FLAG_NULLABLE = ((False, False), (True, False), (False, True), (True, True))
_ORDERINGS = ("seqcst", "acqrel")


_BLOCK_TYPE_IMMEDIATES: dict[str | None, tuple[Any, ...]] = {
    name: (name,) for name in (None, *SINGLE_BYTE_VAL_TYPES.values())
}


def read_block(r: Reader) -> tuple[Any, ...]:
    block_type = _block_type(r)
    if isinstance(block_type, int):
        return SMALL[block_type] if block_type < 256 else (block_type,)
    cached = _BLOCK_TYPE_IMMEDIATES.get(block_type)
    return cached if cached is not None else (block_type,)


# -- immediates by kind: each reads what follows the opcode and returns the immediates tuple -----------


def read_u32(r: Reader) -> tuple[Any, ...]:
    value = r.u32()
    return SMALL[value] if value < 256 else (value,)


def _u32_u32(r: Reader) -> tuple[Any, ...]:
    return (r.u32(), r.u32())


def _br_table(r: Reader) -> tuple[Any, ...]:
    count = r.count("br_table target", 1)
    read = r.u32
    targets = tuple([read() for _ in range(count)])
    return (targets, read())


def _memarg(r: Reader) -> tuple[Any, ...]:
    pos = r.pos
    if pos + 1 < r.end:  # fast path: one-byte flags without a memory index, one-byte offset
        data = r.data
        flags = data[pos]
        offset = data[pos + 1]
        if flags < 0x40 and offset < 0x80:
            r.pos = pos + 2
            return (flags, offset, 0)
    flags = r.u32()
    memory = 0
    if flags & 0x40:  # multi-memory: a memory index follows the flags
        flags ^= 0x40
        memory = r.u32()
    if flags >= 0x40:
        raise r.error(f"malformed memop flags 0x{flags:x}: alignment too large", pos)
    return (flags, r.u64(), memory)


def _memarg_lane(r: Reader) -> tuple[Any, ...]:
    return (*_memarg(r), r.u8())


def _lane(r: Reader) -> tuple[Any, ...]:
    return SMALL[r.u8()]


def _shuffle(r: Reader) -> tuple[Any, ...]:
    return (tuple(r.bytes(16, "i8x16.shuffle lanes")),)


def _signed_const(read: Callable[[Reader], int]) -> Callable[[Reader], tuple[Any, ...]]:
    """The reader of an `i32.const`/`i64.const` immediate, with a fast path for one-byte values."""

    def immediate(r: Reader) -> tuple[Any, ...]:
        pos = r.pos
        if pos < r.end:
            b = r.data[pos]
            if b < 0x80:
                r.pos = pos + 1
                return SMALL[b] if b < 0x40 else (b - 0x80,)
        value = read(r)
        return SMALL[value] if 0 <= value < 256 else (value,)

    return immediate


_i32 = _signed_const(Reader.s32)
_i64 = _signed_const(Reader.s64)


def _f32(r: Reader) -> tuple[Any, ...]:
    return (r.fixed_uint(4),)


def _f64(r: Reader) -> tuple[Any, ...]:
    return (r.fixed_uint(8),)


def _v128(r: Reader) -> tuple[Any, ...]:
    return (r.fixed_uint(16),)


def _select_types(r: Reader) -> tuple[Any, ...]:
    count = r.count("select type", 1)
    return (tuple([_val_type(r) for _ in range(count)]),)


def _heap_type_imm(r: Reader) -> tuple[Any, ...]:
    return (_heap_type(r),)


def _ref_nonnull(r: Reader) -> tuple[Any, ...]:
    return (_ref_type(r, False),)


def _ref_nullable(r: Reader) -> tuple[Any, ...]:
    return (_ref_type(r, True),)


def _br_on_cast(r: Reader) -> tuple[Any, ...]:
    pos = r.pos
    flags = r.u8()
    if flags > 3:
        raise r.error(f"invalid cast flags 0b{flags:08b}", pos)
    from_nullable, to_nullable = _CAST_FLAG_NULLABLE[flags]
    depth = r.u32()
    return (depth, _ref_type(r, from_nullable), _ref_type(r, to_nullable))


def _fence(r: Reader) -> tuple[Any, ...]:
    pos = r.pos
    if r.u8() != 0:
        raise r.error("nonzero byte after atomic.fence", pos)
    return EMPTY


def _ordering(r: Reader) -> str:
    pos = r.pos
    value = r.u32()
    if value > 1:
        raise r.error(f"invalid atomic consistency ordering {value}", pos)
    return _ORDERINGS[value]


def _ordered_index(r: Reader) -> tuple[Any, ...]:
    return (_ordering(r), r.u32())


def _ordered_field(r: Reader) -> tuple[Any, ...]:
    return (_ordering(r), r.u32(), r.u32())


def _handlers(r: Reader) -> tuple[tuple[int, int | None], ...]:
    handlers: list[tuple[int, int | None]] = []
    for _ in range(r.count("resume handler", 2)):
        pos = r.pos
        kind = r.u8()
        if kind == 0:
            handlers.append((r.u32(), r.u32()))
        elif kind == 1:
            handlers.append((r.u32(), None))
        else:
            raise r.error(f"invalid on clause kind 0x{kind:02x}", pos)
    return tuple(handlers)


def _resume(r: Reader) -> tuple[Any, ...]:
    return (r.u32(), _handlers(r))


def _resume_throw(r: Reader) -> tuple[Any, ...]:
    return (r.u32(), r.u32(), _handlers(r))


_CATCH_KINDS = ("catch", "catch_ref", "catch_all", "catch_all_ref")


def read_try_table(r: Reader) -> tuple[Any, ...]:
    block_type = _block_type(r)
    catches = []
    for _ in range(r.count("try_table catch clause", 2)):
        pos = r.pos
        kind = r.u8()
        if kind > 3:
            raise r.error(f"invalid catch kind 0x{kind:02x}", pos)
        tag = r.u32() if kind < 2 else None
        catches.append((_CATCH_KINDS[kind], tag, r.u32()))
    return (block_type, tuple(catches))


ImmediateReader = Callable[[Reader], tuple[Any, ...]]

IMMEDIATE_READERS: dict[str, ImmediateReader | None] = {
    K.NONE: None,
    K.LABEL: read_u32,
    K.FUNC: read_u32,
    K.LOCAL: read_u32,
    K.GLOBAL: read_u32,
    K.TABLE: read_u32,
    K.MEMORY: read_u32,
    K.TYPE: read_u32,
    K.TAG: read_u32,
    K.DATA: read_u32,
    K.ELEM: read_u32,
    K.CALL_INDIRECT: _u32_u32,
    K.FIELD: _u32_u32,
    K.ARRAY_FIXED: _u32_u32,
    K.ARRAY_DATA: _u32_u32,
    K.ARRAY_ELEM: _u32_u32,
    K.ARRAY_COPY: _u32_u32,
    K.MEMORY_INIT: _u32_u32,
    K.TABLE_INIT: _u32_u32,
    K.MEMORY_COPY: _u32_u32,
    K.TABLE_COPY: _u32_u32,
    K.CONT_BIND: _u32_u32,
    K.SWITCH: _u32_u32,
    K.BR_TABLE: _br_table,
    K.MEMARG: _memarg,
    K.MEMARG_LANE: _memarg_lane,
    K.LANE: _lane,
    K.SHUFFLE: _shuffle,
    K.I32: _i32,
    K.I64: _i64,
    K.F32: _f32,
    K.F64: _f64,
    K.V128: _v128,
    K.SELECT_T: _select_types,
    K.HEAP_TYPE: _heap_type_imm,
    K.REF_NONNULL: _ref_nonnull,
    K.REF_NULLABLE: _ref_nullable,
    K.BR_ON_CAST: _br_on_cast,
    K.FENCE: _fence,
    K.ORDERED_GLOBAL: _ordered_index,
    K.ORDERED_TABLE: _ordered_index,
    K.ORDERED_TYPE: _ordered_index,
    K.ORDERED_FIELD: _ordered_field,
    K.RESUME: _resume,
    K.RESUME_THROW: _resume_throw,
    K.BLOCK: read_block,
    K.TRY_TABLE: read_try_table,
}
"""Immediate kind -> reader of the bytes after the opcode (None: no immediates)."""

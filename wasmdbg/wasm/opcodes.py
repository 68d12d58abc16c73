"""Opcode tables: every instruction's text-format mnemonic and the kind of its immediates.

The list follows wasmparser's `for_each_operator` and its binary reader (bytecodealliance/wasm-tools,
`crates/wasmparser/src/lib.rs` and `binary_reader.rs`), and each mnemonic is spelled as `wasm-tools print`
spells it (checked opcode by opcode against wasm-tools 1.262). Single-byte opcodes live in `OPCODES`; the
0xFB (GC), 0xFC (misc), 0xFD (SIMD) and 0xFE (threads) prefixes are followed by a u32 LEB128 sub-opcode that
indexes `PREFIXED[prefix]`.

The immediate kinds below name both how the immediates are encoded and what `Instruction.immediates`
holds once decoded (see `wasmdbg.wasm.instructions`):

| kind | immediates |
| --- | --- |
| NONE | `()` |
| BLOCK | `(block_type,)`: None (empty), a value type such as `"i32"`, or a type index |
| TRY_TABLE | `(block_type, catches)`; each catch is `(kind, tag or None, label)`, kind one of `"catch"`, `"catch_ref"`, `"catch_all"`, `"catch_all_ref"` |
| LABEL | `(relative_depth,)` |
| BR_TABLE | `(targets, default)`: a tuple of relative depths and the default depth |
| FUNC, LOCAL, GLOBAL, TABLE, MEMORY, TYPE, TAG, DATA, ELEM | `(index,)` in that index space |
| CALL_INDIRECT | `(type_index, table_index)` |
| FIELD | `(struct_type_index, field_index)` |
| ARRAY_FIXED | `(array_type_index, size)` |
| ARRAY_DATA / ARRAY_ELEM | `(array_type_index, data_index / elem_index)` |
| ARRAY_COPY | `(dst_type_index, src_type_index)` |
| MEMORY_INIT / TABLE_INIT | `(data_index, memory) / (elem_index, table)` |
| MEMORY_COPY / TABLE_COPY | `(dst, src)` memories / tables |
| MEMARG | `(align, offset, memory)`: alignment exponent (log2 bytes), offset (u64), memory index |
| MEMARG_LANE | `(align, offset, memory, lane)` |
| LANE | `(lane,)` |
| SHUFFLE | `(lanes,)`: a tuple of 16 lane indices |
| I32 / I64 | `(value,)` as a signed integer |
| F32 / F64 | `(bits,)`: the raw IEEE 754 bits as an unsigned integer |
| V128 | `(value,)`: the 16 bytes as a little-endian unsigned 128-bit integer |
| SELECT_T | `(types,)`: a tuple of value types |
| HEAP_TYPE | `(heap_type,)`, e.g. `"func"`, `"3"`, `"(shared any)"`, `"(exact 3)"` |
| REF_NONNULL / REF_NULLABLE | `(ref_type,)`, e.g. `"(ref 3)"`, `"anyref"`, `"(ref null (exact 3))"` |
| BR_ON_CAST | `(relative_depth, from_ref_type, to_ref_type)` |
| FENCE | `()` (a reserved zero byte follows the opcode) |
| ORDERED_GLOBAL / ORDERED_TABLE / ORDERED_TYPE | `(ordering, index)`, ordering `"seqcst"` or `"acqrel"` |
| ORDERED_FIELD | `(ordering, struct_type_index, field_index)` |
| CONT_BIND | `(src_cont_type_index, dst_cont_type_index)` |
| RESUME | `(cont_type_index, handlers)`; each handler is `(tag, label)`, label None for `(on tag switch)` |
| RESUME_THROW | `(cont_type_index, tag, handlers)` |
| SWITCH | `(cont_type_index, tag)` |
"""

from __future__ import annotations

from typing import NamedTuple

NONE = "none"
BLOCK = "block"
TRY_TABLE = "try_table"
LABEL = "label"
BR_TABLE = "br_table"
FUNC = "func"
LOCAL = "local"
GLOBAL = "global"
TABLE = "table"
MEMORY = "memory"
TYPE = "type"
TAG = "tag"
DATA = "data"
ELEM = "elem"
CALL_INDIRECT = "call_indirect"
FIELD = "field"
ARRAY_FIXED = "array_fixed"
ARRAY_DATA = "array_data"
ARRAY_ELEM = "array_elem"
ARRAY_COPY = "array_copy"
MEMORY_INIT = "memory_init"
TABLE_INIT = "table_init"
MEMORY_COPY = "memory_copy"
TABLE_COPY = "table_copy"
MEMARG = "memarg"
MEMARG_LANE = "memarg_lane"
LANE = "lane"
SHUFFLE = "shuffle"
I32 = "i32"
I64 = "i64"
F32 = "f32"
F64 = "f64"
V128 = "v128"
SELECT_T = "select_t"
HEAP_TYPE = "heap_type"
REF_NONNULL = "ref_nonnull"
REF_NULLABLE = "ref_nullable"
BR_ON_CAST = "br_on_cast"
FENCE = "fence"
ORDERED_GLOBAL = "ordered_global"
ORDERED_TABLE = "ordered_table"
ORDERED_TYPE = "ordered_type"
ORDERED_FIELD = "ordered_field"
CONT_BIND = "cont_bind"
RESUME = "resume"
RESUME_THROW = "resume_throw"
SWITCH = "switch"

KINDS = frozenset(
    (NONE, BLOCK, TRY_TABLE, LABEL, BR_TABLE, FUNC, LOCAL, GLOBAL, TABLE, MEMORY, TYPE, TAG, DATA, ELEM)
    + (CALL_INDIRECT, FIELD, ARRAY_FIXED, ARRAY_DATA, ARRAY_ELEM, ARRAY_COPY)
    + (MEMORY_INIT, TABLE_INIT, MEMORY_COPY, TABLE_COPY, MEMARG, MEMARG_LANE, LANE, SHUFFLE)
    + (I32, I64, F32, F64, V128, SELECT_T, HEAP_TYPE, REF_NONNULL, REF_NULLABLE, BR_ON_CAST, FENCE)
    + (ORDERED_GLOBAL, ORDERED_TABLE, ORDERED_TYPE, ORDERED_FIELD, CONT_BIND, RESUME, RESUME_THROW, SWITCH)
)
"""Every immediate kind."""


class Op(NamedTuple):
    """One opcode's text-format mnemonic, immediate kind and, for memory accesses, natural alignment."""

    mnemonic: str
    kind: str = NONE
    align: int | None = None
    """Natural alignment (log2 bytes) of MEMARG / MEMARG_LANE accesses: `align=` is printed when it differs."""


def _run(first: int, mnemonics: str, kind: str = NONE) -> dict[int, Op]:
    """Consecutive opcodes from `first`, one per whitespace-separated mnemonic."""
    return {first + i: Op(name, kind) for i, name in enumerate(mnemonics.split())}


def _atomic_rmw(first: int, op: str) -> dict[int, Op]:
    """The seven widths of one atomic read-modify-write operation, in their encoding order."""
    names = (
        (f"i32.atomic.rmw.{op}", 2),
        (f"i64.atomic.rmw.{op}", 3),
        (f"i32.atomic.rmw8.{op}_u", 0),
        (f"i32.atomic.rmw16.{op}_u", 1),
        (f"i64.atomic.rmw8.{op}_u", 0),
        (f"i64.atomic.rmw16.{op}_u", 1),
        (f"i64.atomic.rmw32.{op}_u", 2),
    )
    return {first + i: Op(name, MEMARG, align) for i, (name, align) in enumerate(names)}


# -- single-byte opcodes ------------------------------------------------------------------------

CONTROL = {
    0x00: Op("unreachable"),
    0x01: Op("nop"),
    0x02: Op("block", BLOCK),
    0x03: Op("loop", BLOCK),
    0x04: Op("if", BLOCK),
    0x05: Op("else"),
    0x06: Op("try", BLOCK),  # legacy exceptions
    0x07: Op("catch", TAG),  # legacy exceptions
    0x08: Op("throw", TAG),
    0x09: Op("rethrow", LABEL),  # legacy exceptions
    0x0A: Op("throw_ref"),
    0x0B: Op("end"),
    0x0C: Op("br", LABEL),
    0x0D: Op("br_if", LABEL),
    0x0E: Op("br_table", BR_TABLE),
    0x0F: Op("return"),
    0x10: Op("call", FUNC),
    0x11: Op("call_indirect", CALL_INDIRECT),
    0x12: Op("return_call", FUNC),
    0x13: Op("return_call_indirect", CALL_INDIRECT),
    0x14: Op("call_ref", TYPE),
    0x15: Op("return_call_ref", TYPE),
    0x18: Op("delegate", LABEL),  # legacy exceptions
    0x19: Op("catch_all"),  # legacy exceptions
    0x1F: Op("try_table", TRY_TABLE),
}

PARAMETRIC = {
    0x1A: Op("drop"),
    0x1B: Op("select"),
    0x1C: Op("select", SELECT_T),
}

VARIABLE = {
    0x20: Op("local.get", LOCAL),
    0x21: Op("local.set", LOCAL),
    0x22: Op("local.tee", LOCAL),
    0x23: Op("global.get", GLOBAL),
    0x24: Op("global.set", GLOBAL),
    0x25: Op("table.get", TABLE),
    0x26: Op("table.set", TABLE),
}

MEMORY_ACCESS = {
    0x28: Op("i32.load", MEMARG, 2),
    0x29: Op("i64.load", MEMARG, 3),
    0x2A: Op("f32.load", MEMARG, 2),
    0x2B: Op("f64.load", MEMARG, 3),
    0x2C: Op("i32.load8_s", MEMARG, 0),
    0x2D: Op("i32.load8_u", MEMARG, 0),
    0x2E: Op("i32.load16_s", MEMARG, 1),
    0x2F: Op("i32.load16_u", MEMARG, 1),
    0x30: Op("i64.load8_s", MEMARG, 0),
    0x31: Op("i64.load8_u", MEMARG, 0),
    0x32: Op("i64.load16_s", MEMARG, 1),
    0x33: Op("i64.load16_u", MEMARG, 1),
    0x34: Op("i64.load32_s", MEMARG, 2),
    0x35: Op("i64.load32_u", MEMARG, 2),
    0x36: Op("i32.store", MEMARG, 2),
    0x37: Op("i64.store", MEMARG, 3),
    0x38: Op("f32.store", MEMARG, 2),
    0x39: Op("f64.store", MEMARG, 3),
    0x3A: Op("i32.store8", MEMARG, 0),
    0x3B: Op("i32.store16", MEMARG, 1),
    0x3C: Op("i64.store8", MEMARG, 0),
    0x3D: Op("i64.store16", MEMARG, 1),
    0x3E: Op("i64.store32", MEMARG, 2),
    0x3F: Op("memory.size", MEMORY),
    0x40: Op("memory.grow", MEMORY),
}

CONSTANTS = {
    0x41: Op("i32.const", I32),
    0x42: Op("i64.const", I64),
    0x43: Op("f32.const", F32),
    0x44: Op("f64.const", F64),
}

NUMERIC = {
    **_run(0x45, "i32.eqz i32.eq i32.ne i32.lt_s i32.lt_u i32.gt_s i32.gt_u i32.le_s i32.le_u i32.ge_s i32.ge_u"),
    **_run(0x50, "i64.eqz i64.eq i64.ne i64.lt_s i64.lt_u i64.gt_s i64.gt_u i64.le_s i64.le_u i64.ge_s i64.ge_u"),
    **_run(0x5B, "f32.eq f32.ne f32.lt f32.gt f32.le f32.ge"),
    **_run(0x61, "f64.eq f64.ne f64.lt f64.gt f64.le f64.ge"),
    **_run(
        0x67,
        "i32.clz i32.ctz i32.popcnt i32.add i32.sub i32.mul i32.div_s i32.div_u i32.rem_s i32.rem_u"
        " i32.and i32.or i32.xor i32.shl i32.shr_s i32.shr_u i32.rotl i32.rotr",
    ),
    **_run(
        0x79,
        "i64.clz i64.ctz i64.popcnt i64.add i64.sub i64.mul i64.div_s i64.div_u i64.rem_s i64.rem_u"
        " i64.and i64.or i64.xor i64.shl i64.shr_s i64.shr_u i64.rotl i64.rotr",
    ),
    **_run(
        0x8B,
        "f32.abs f32.neg f32.ceil f32.floor f32.trunc f32.nearest f32.sqrt"
        " f32.add f32.sub f32.mul f32.div f32.min f32.max f32.copysign",
    ),
    **_run(
        0x99,
        "f64.abs f64.neg f64.ceil f64.floor f64.trunc f64.nearest f64.sqrt"
        " f64.add f64.sub f64.mul f64.div f64.min f64.max f64.copysign",
    ),
    **_run(
        0xA7,
        "i32.wrap_i64 i32.trunc_f32_s i32.trunc_f32_u i32.trunc_f64_s i32.trunc_f64_u"
        " i64.extend_i32_s i64.extend_i32_u i64.trunc_f32_s i64.trunc_f32_u i64.trunc_f64_s i64.trunc_f64_u"
        " f32.convert_i32_s f32.convert_i32_u f32.convert_i64_s f32.convert_i64_u f32.demote_f64"
        " f64.convert_i32_s f64.convert_i32_u f64.convert_i64_s f64.convert_i64_u f64.promote_f32"
        " i32.reinterpret_f32 i64.reinterpret_f64 f32.reinterpret_i32 f64.reinterpret_i64",
    ),
    # sign extension
    **_run(0xC0, "i32.extend8_s i32.extend16_s i64.extend8_s i64.extend16_s i64.extend32_s"),
}

REFERENCE = {
    0xD0: Op("ref.null", HEAP_TYPE),
    0xD1: Op("ref.is_null"),
    0xD2: Op("ref.func", FUNC),
    # typed function references
    0xD3: Op("ref.eq"),
    0xD4: Op("ref.as_non_null"),
    0xD5: Op("br_on_null", LABEL),
    0xD6: Op("br_on_non_null", LABEL),
}

STACK_SWITCHING = {
    0xE0: Op("cont.new", TYPE),
    0xE1: Op("cont.bind", CONT_BIND),
    0xE2: Op("suspend", TAG),
    0xE3: Op("resume", RESUME),
    0xE4: Op("resume_throw", RESUME_THROW),
    0xE5: Op("resume_throw_ref", RESUME),
    0xE6: Op("switch", SWITCH),
}

GC_PREFIX, MISC_PREFIX, SIMD_PREFIX, ATOMIC_PREFIX = 0xFB, 0xFC, 0xFD, 0xFE

OPCODES: dict[int, Op] = {
    **CONTROL,
    **PARAMETRIC,
    **VARIABLE,
    **MEMORY_ACCESS,
    **CONSTANTS,
    **NUMERIC,
    **REFERENCE,
    **STACK_SWITCHING,
}
"""Single-byte opcodes (the four prefix bytes are not in it)."""

# -- 0xFB: GC and custom descriptors ----------------------------------------------------------------

GC = {
    0x00: Op("struct.new", TYPE),
    0x01: Op("struct.new_default", TYPE),
    0x02: Op("struct.get", FIELD),
    0x03: Op("struct.get_s", FIELD),
    0x04: Op("struct.get_u", FIELD),
    0x05: Op("struct.set", FIELD),
    0x06: Op("array.new", TYPE),
    0x07: Op("array.new_default", TYPE),
    0x08: Op("array.new_fixed", ARRAY_FIXED),
    0x09: Op("array.new_data", ARRAY_DATA),
    0x0A: Op("array.new_elem", ARRAY_ELEM),
    0x0B: Op("array.get", TYPE),
    0x0C: Op("array.get_s", TYPE),
    0x0D: Op("array.get_u", TYPE),
    0x0E: Op("array.set", TYPE),
    0x0F: Op("array.len"),
    0x10: Op("array.fill", TYPE),
    0x11: Op("array.copy", ARRAY_COPY),
    0x12: Op("array.init_data", ARRAY_DATA),
    0x13: Op("array.init_elem", ARRAY_ELEM),
    0x14: Op("ref.test", REF_NONNULL),
    0x15: Op("ref.test", REF_NULLABLE),
    0x16: Op("ref.cast", REF_NONNULL),
    0x17: Op("ref.cast", REF_NULLABLE),
    0x18: Op("br_on_cast", BR_ON_CAST),
    0x19: Op("br_on_cast_fail", BR_ON_CAST),
    0x1A: Op("any.convert_extern"),
    0x1B: Op("extern.convert_any"),
    0x1C: Op("ref.i31"),
    0x1D: Op("i31.get_s"),
    0x1E: Op("i31.get_u"),
    # custom descriptors
    0x20: Op("struct.new_desc", TYPE),
    0x21: Op("struct.new_default_desc", TYPE),
    0x22: Op("ref.get_desc", TYPE),
    0x23: Op("ref.cast_desc_eq", REF_NONNULL),
    0x24: Op("ref.cast_desc_eq", REF_NULLABLE),
    0x25: Op("br_on_cast_desc_eq", BR_ON_CAST),
    0x26: Op("br_on_cast_desc_eq_fail", BR_ON_CAST),
}

# -- 0xFC: saturating conversions, bulk memory, reference types, wide arithmetic -----------------------

MISC = {
    **_run(
        0x00,
        "i32.trunc_sat_f32_s i32.trunc_sat_f32_u i32.trunc_sat_f64_s i32.trunc_sat_f64_u"
        " i64.trunc_sat_f32_s i64.trunc_sat_f32_u i64.trunc_sat_f64_s i64.trunc_sat_f64_u",
    ),
    0x08: Op("memory.init", MEMORY_INIT),
    0x09: Op("data.drop", DATA),
    0x0A: Op("memory.copy", MEMORY_COPY),
    0x0B: Op("memory.fill", MEMORY),
    0x0C: Op("table.init", TABLE_INIT),
    0x0D: Op("elem.drop", ELEM),
    0x0E: Op("table.copy", TABLE_COPY),
    0x0F: Op("table.grow", TABLE),
    0x10: Op("table.size", TABLE),
    0x11: Op("table.fill", TABLE),
    0x12: Op("memory.discard", MEMORY),  # memory control (experimental)
    **_run(0x13, "i64.add128 i64.sub128 i64.mul_wide_s i64.mul_wide_u"),  # wide arithmetic
}

# -- 0xFD: SIMD and relaxed SIMD ---------------------------------------------------------------------

SIMD = {
    0x00: Op("v128.load", MEMARG, 4),
    0x01: Op("v128.load8x8_s", MEMARG, 3),
    0x02: Op("v128.load8x8_u", MEMARG, 3),
    0x03: Op("v128.load16x4_s", MEMARG, 3),
    0x04: Op("v128.load16x4_u", MEMARG, 3),
    0x05: Op("v128.load32x2_s", MEMARG, 3),
    0x06: Op("v128.load32x2_u", MEMARG, 3),
    0x07: Op("v128.load8_splat", MEMARG, 0),
    0x08: Op("v128.load16_splat", MEMARG, 1),
    0x09: Op("v128.load32_splat", MEMARG, 2),
    0x0A: Op("v128.load64_splat", MEMARG, 3),
    0x0B: Op("v128.store", MEMARG, 4),
    0x0C: Op("v128.const", V128),
    0x0D: Op("i8x16.shuffle", SHUFFLE),
    **_run(0x0E, "i8x16.swizzle i8x16.splat i16x8.splat i32x4.splat i64x2.splat f32x4.splat f64x2.splat"),
    **_run(
        0x15,
        "i8x16.extract_lane_s i8x16.extract_lane_u i8x16.replace_lane"
        " i16x8.extract_lane_s i16x8.extract_lane_u i16x8.replace_lane"
        " i32x4.extract_lane i32x4.replace_lane i64x2.extract_lane i64x2.replace_lane"
        " f32x4.extract_lane f32x4.replace_lane f64x2.extract_lane f64x2.replace_lane",
        LANE,
    ),
    **_run(
        0x23,
        "i8x16.eq i8x16.ne i8x16.lt_s i8x16.lt_u i8x16.gt_s i8x16.gt_u i8x16.le_s i8x16.le_u i8x16.ge_s i8x16.ge_u"
        " i16x8.eq i16x8.ne i16x8.lt_s i16x8.lt_u i16x8.gt_s i16x8.gt_u i16x8.le_s i16x8.le_u i16x8.ge_s i16x8.ge_u"
        " i32x4.eq i32x4.ne i32x4.lt_s i32x4.lt_u i32x4.gt_s i32x4.gt_u i32x4.le_s i32x4.le_u i32x4.ge_s i32x4.ge_u"
        " f32x4.eq f32x4.ne f32x4.lt f32x4.gt f32x4.le f32x4.ge"
        " f64x2.eq f64x2.ne f64x2.lt f64x2.gt f64x2.le f64x2.ge"
        " v128.not v128.and v128.andnot v128.or v128.xor v128.bitselect v128.any_true",
    ),
    0x54: Op("v128.load8_lane", MEMARG_LANE, 0),
    0x55: Op("v128.load16_lane", MEMARG_LANE, 1),
    0x56: Op("v128.load32_lane", MEMARG_LANE, 2),
    0x57: Op("v128.load64_lane", MEMARG_LANE, 3),
    0x58: Op("v128.store8_lane", MEMARG_LANE, 0),
    0x59: Op("v128.store16_lane", MEMARG_LANE, 1),
    0x5A: Op("v128.store32_lane", MEMARG_LANE, 2),
    0x5B: Op("v128.store64_lane", MEMARG_LANE, 3),
    0x5C: Op("v128.load32_zero", MEMARG, 2),
    0x5D: Op("v128.load64_zero", MEMARG, 3),
    **_run(
        0x5E,
        "f32x4.demote_f64x2_zero f64x2.promote_low_f32x4"
        " i8x16.abs i8x16.neg i8x16.popcnt i8x16.all_true i8x16.bitmask i8x16.narrow_i16x8_s i8x16.narrow_i16x8_u"
        " f32x4.ceil f32x4.floor f32x4.trunc f32x4.nearest"
        " i8x16.shl i8x16.shr_s i8x16.shr_u i8x16.add i8x16.add_sat_s i8x16.add_sat_u"
        " i8x16.sub i8x16.sub_sat_s i8x16.sub_sat_u f64x2.ceil f64x2.floor"
        " i8x16.min_s i8x16.min_u i8x16.max_s i8x16.max_u f64x2.trunc i8x16.avgr_u"
        " i16x8.extadd_pairwise_i8x16_s i16x8.extadd_pairwise_i8x16_u"
        " i32x4.extadd_pairwise_i16x8_s i32x4.extadd_pairwise_i16x8_u"
        " i16x8.abs i16x8.neg i16x8.q15mulr_sat_s i16x8.all_true i16x8.bitmask"
        " i16x8.narrow_i32x4_s i16x8.narrow_i32x4_u"
        " i16x8.extend_low_i8x16_s i16x8.extend_high_i8x16_s i16x8.extend_low_i8x16_u i16x8.extend_high_i8x16_u"
        " i16x8.shl i16x8.shr_s i16x8.shr_u i16x8.add i16x8.add_sat_s i16x8.add_sat_u"
        " i16x8.sub i16x8.sub_sat_s i16x8.sub_sat_u f64x2.nearest"
        " i16x8.mul i16x8.min_s i16x8.min_u i16x8.max_s i16x8.max_u",
    ),
    **_run(
        0x9B,
        "i16x8.avgr_u i16x8.extmul_low_i8x16_s i16x8.extmul_high_i8x16_s"
        " i16x8.extmul_low_i8x16_u i16x8.extmul_high_i8x16_u i32x4.abs i32x4.neg",
    ),
    **_run(0xA3, "i32x4.all_true i32x4.bitmask"),
    **_run(
        0xA7,
        "i32x4.extend_low_i16x8_s i32x4.extend_high_i16x8_s i32x4.extend_low_i16x8_u i32x4.extend_high_i16x8_u"
        " i32x4.shl i32x4.shr_s i32x4.shr_u i32x4.add",
    ),
    0xB1: Op("i32x4.sub"),
    **_run(0xB5, "i32x4.mul i32x4.min_s i32x4.min_u i32x4.max_s i32x4.max_u i32x4.dot_i16x8_s"),
    **_run(
        0xBC,
        "i32x4.extmul_low_i16x8_s i32x4.extmul_high_i16x8_s i32x4.extmul_low_i16x8_u i32x4.extmul_high_i16x8_u"
        " i64x2.abs i64x2.neg",
    ),
    **_run(0xC3, "i64x2.all_true i64x2.bitmask"),
    **_run(
        0xC7,
        "i64x2.extend_low_i32x4_s i64x2.extend_high_i32x4_s i64x2.extend_low_i32x4_u i64x2.extend_high_i32x4_u"
        " i64x2.shl i64x2.shr_s i64x2.shr_u i64x2.add",
    ),
    0xD1: Op("i64x2.sub"),
    **_run(
        0xD5,
        "i64x2.mul i64x2.eq i64x2.ne i64x2.lt_s i64x2.gt_s i64x2.le_s i64x2.ge_s"
        " i64x2.extmul_low_i32x4_s i64x2.extmul_high_i32x4_s i64x2.extmul_low_i32x4_u i64x2.extmul_high_i32x4_u"
        " f32x4.abs f32x4.neg",
    ),
    **_run(
        0xE3,
        "f32x4.sqrt f32x4.add f32x4.sub f32x4.mul f32x4.div f32x4.min f32x4.max f32x4.pmin f32x4.pmax"
        " f64x2.abs f64x2.neg",
    ),
    **_run(
        0xEF,
        "f64x2.sqrt f64x2.add f64x2.sub f64x2.mul f64x2.div f64x2.min f64x2.max f64x2.pmin f64x2.pmax"
        " i32x4.trunc_sat_f32x4_s i32x4.trunc_sat_f32x4_u f32x4.convert_i32x4_s f32x4.convert_i32x4_u"
        " i32x4.trunc_sat_f64x2_s_zero i32x4.trunc_sat_f64x2_u_zero"
        " f64x2.convert_low_i32x4_s f64x2.convert_low_i32x4_u",
    ),
    # relaxed SIMD
    **_run(
        0x100,
        "i8x16.relaxed_swizzle i32x4.relaxed_trunc_f32x4_s i32x4.relaxed_trunc_f32x4_u"
        " i32x4.relaxed_trunc_f64x2_s_zero i32x4.relaxed_trunc_f64x2_u_zero"
        " f32x4.relaxed_madd f32x4.relaxed_nmadd f64x2.relaxed_madd f64x2.relaxed_nmadd"
        " i8x16.relaxed_laneselect i16x8.relaxed_laneselect i32x4.relaxed_laneselect i64x2.relaxed_laneselect"
        " f32x4.relaxed_min f32x4.relaxed_max f64x2.relaxed_min f64x2.relaxed_max"
        " i16x8.relaxed_q15mulr_s i16x8.relaxed_dot_i8x16_i7x16_s i32x4.relaxed_dot_i8x16_i7x16_add_s",
    ),
}

# -- 0xFE: threads and shared-everything threads --------------------------------------------------------

ATOMIC = {
    0x00: Op("memory.atomic.notify", MEMARG, 2),
    0x01: Op("memory.atomic.wait32", MEMARG, 2),
    0x02: Op("memory.atomic.wait64", MEMARG, 3),
    0x03: Op("atomic.fence", FENCE),
    0x10: Op("i32.atomic.load", MEMARG, 2),
    0x11: Op("i64.atomic.load", MEMARG, 3),
    0x12: Op("i32.atomic.load8_u", MEMARG, 0),
    0x13: Op("i32.atomic.load16_u", MEMARG, 1),
    0x14: Op("i64.atomic.load8_u", MEMARG, 0),
    0x15: Op("i64.atomic.load16_u", MEMARG, 1),
    0x16: Op("i64.atomic.load32_u", MEMARG, 2),
    0x17: Op("i32.atomic.store", MEMARG, 2),
    0x18: Op("i64.atomic.store", MEMARG, 3),
    0x19: Op("i32.atomic.store8", MEMARG, 0),
    0x1A: Op("i32.atomic.store16", MEMARG, 1),
    0x1B: Op("i64.atomic.store8", MEMARG, 0),
    0x1C: Op("i64.atomic.store16", MEMARG, 1),
    0x1D: Op("i64.atomic.store32", MEMARG, 2),
    **_atomic_rmw(0x1E, "add"),
    **_atomic_rmw(0x25, "sub"),
    **_atomic_rmw(0x2C, "and"),
    **_atomic_rmw(0x33, "or"),
    **_atomic_rmw(0x3A, "xor"),
    **_atomic_rmw(0x41, "xchg"),
    **_atomic_rmw(0x48, "cmpxchg"),
    # shared-everything threads
    **_run(
        0x4F,
        "global.atomic.get global.atomic.set global.atomic.rmw.add global.atomic.rmw.sub global.atomic.rmw.and"
        " global.atomic.rmw.or global.atomic.rmw.xor global.atomic.rmw.xchg global.atomic.rmw.cmpxchg",
        ORDERED_GLOBAL,
    ),
    **_run(
        0x58, "table.atomic.get table.atomic.set table.atomic.rmw.xchg table.atomic.rmw.cmpxchg", ORDERED_TABLE
    ),
    **_run(
        0x5C,
        "struct.atomic.get struct.atomic.get_s struct.atomic.get_u struct.atomic.set"
        " struct.atomic.rmw.add struct.atomic.rmw.sub struct.atomic.rmw.and struct.atomic.rmw.or"
        " struct.atomic.rmw.xor struct.atomic.rmw.xchg struct.atomic.rmw.cmpxchg",
        ORDERED_FIELD,
    ),
    **_run(
        0x67,
        "array.atomic.get array.atomic.get_s array.atomic.get_u array.atomic.set"
        " array.atomic.rmw.add array.atomic.rmw.sub array.atomic.rmw.and array.atomic.rmw.or"
        " array.atomic.rmw.xor array.atomic.rmw.xchg array.atomic.rmw.cmpxchg",
        ORDERED_TYPE,
    ),
    0x72: Op("ref.i31_shared"),
}

PREFIXED: dict[int, dict[int, Op]] = {GC_PREFIX: GC, MISC_PREFIX: MISC, SIMD_PREFIX: SIMD, ATOMIC_PREFIX: ATOMIC}
"""Prefix byte -> sub-opcode (a u32 LEB128 after the prefix) -> Op."""

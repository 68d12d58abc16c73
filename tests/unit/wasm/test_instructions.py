"""The instruction decoder: every immediate kind on hand-written code, malformed bodies, lookups."""

from __future__ import annotations

import functools
import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import wat
from wasmdbg.errors import WasmFormatError
from wasmdbg.wasm import opcodes as K
from wasmdbg.wasm.instructions import (
    IMMEDIATE_READERS,
    Instruction,
    InstructionIndex,
    decode_instruction,
    instruction_at,
    instruction_offsets,
    iter_instructions,
    read_const_expr,
)
from wasmdbg.wasm.module import read_module
from wasmdbg.wasm.opcodes import OPCODES, PREFIXED
from wasmdbg.wasm.reader import Reader

PRELUDE = """
  (type $sig (func (param i32) (result i64)))
  (type $s (struct (field i32) (field (mut i64))))
  (type $a (array (mut i8)))
  (type $void (func))
  (type $k (cont $void))
  (type $bin (func (param i32 i32) (result i32)))
  (memory $m0 1)
  (memory $m1 i64 1)
  (memory $m2 1 2 shared)
  (table $t0 1 funcref)
  (table $t1 2 externref)
  (global $g0 (mut i32) (i32.const 0))
  (global $g1 (mut i64) (i64.const 0))
  (tag $e0)
  (tag $e1 (param i32))
  (data $d0 "x")
  (data $d1 "y")
  (elem $el0 func $callee)
  (elem $el1 func $callee)
  (func $callee (param i32) (result i64) unreachable)
"""

Decoded = list[tuple[str, tuple[Any, ...]]]


def decode_wat(body: str, params: str = "") -> Decoded:
    """(mnemonic, immediates) of a function written after PRELUDE, without its final `end`."""
    data = wat(f"(module {PRELUDE} (func $under_test {params} {body}))")
    module = read_module(data)
    tested = module.bodies[-1]
    instructions = list(iter_instructions(data, tested.code_offset, tested.end))
    assert instructions[-1] == Instruction(tested.end - 1, "end", ())
    return [(i.mnemonic, i.immediates) for i in instructions[:-1]]


def decode_bytes(code: bytes, pad: int = 16) -> list[Instruction]:
    """Decode raw code placed at a nonzero module offset (`pad` filler bytes before it)."""
    data = b"\xaa" * pad + code
    return list(iter_instructions(data, pad, len(data)))


# -- immediates of every kind ---------------------------------------------------------------------

CASES: dict[str, tuple[str, Decoded]] = {
    "control": (
        "nop block (result i32) i32.const 1 end drop loop br 0 end"
        " i32.const 0 if (type $bin) unreachable else return end unreachable",
        [
            ("nop", ()),
            ("block", ("i32",)),
            ("i32.const", (1,)),
            ("end", ()),
            ("drop", ()),
            ("loop", (None,)),
            ("br", (0,)),
            ("end", ()),
            ("i32.const", (0,)),
            ("if", (5,)),
            ("unreachable", ()),
            ("else", ()),
            ("return", ()),
            ("end", ()),
            ("unreachable", ()),
        ],
    ),
    "branches": (
        "block block i32.const 0 br_if 1 i32.const 2 br_table 0 1 0 1 end end",
        [
            ("block", (None,)),
            ("block", (None,)),
            ("i32.const", (0,)),
            ("br_if", (1,)),
            ("i32.const", (2,)),
            ("br_table", ((0, 1, 0), 1)),
            ("end", ()),
            ("end", ()),
        ],
    ),
    "calls": (
        "i32.const 7 call $callee drop i32.const 1 i32.const 0 call_indirect $t0 (type $sig) drop"
        " ref.func $callee i32.const 3 return_call_ref $sig",
        [
            ("i32.const", (7,)),
            ("call", (0,)),
            ("drop", ()),
            ("i32.const", (1,)),
            ("i32.const", (0,)),
            ("call_indirect", (0, 0)),
            ("drop", ()),
            ("ref.func", (0,)),
            ("i32.const", (3,)),
            ("return_call_ref", (0,)),
        ],
    ),
    "tail calls and tables": (
        "i32.const 1 return_call $callee i32.const 0 return_call_indirect $t1 (type $sig)"
        " i32.const 0 table.get $t1 table.size $t1 table.grow $t0 table.fill $t1",
        [
            ("i32.const", (1,)),
            ("return_call", (0,)),
            ("i32.const", (0,)),
            ("return_call_indirect", (0, 1)),
            ("i32.const", (0,)),
            ("table.get", (1,)),
            ("table.size", (1,)),
            ("table.grow", (0,)),
            ("table.fill", (1,)),
        ],
    ),
    "variables": (
        "local.get 0 local.tee 1 local.set 0 global.get $g1 global.set $g1 global.get $g0 drop",
        [
            ("local.get", (0,)),
            ("local.tee", (1,)),
            ("local.set", (0,)),
            ("global.get", (1,)),
            ("global.set", (1,)),
            ("global.get", (0,)),
            ("drop", ()),
        ],
    ),
    "constants": (
        "i32.const -1 i32.const 2147483647 i32.const -2147483648 i64.const -9223372036854775808"
        " i64.const 300 f32.const -1.5 f64.const 0x1p-1074 f32.const nan:0x200000",
        [
            ("i32.const", (-1,)),
            ("i32.const", (2147483647,)),
            ("i32.const", (-2147483648,)),
            ("i64.const", (-9223372036854775808,)),
            ("i64.const", (300,)),
            ("f32.const", (struct.unpack("<I", struct.pack("<f", -1.5))[0],)),
            ("f64.const", (1,)),
            ("f32.const", (0x7FA00000,)),
        ],
    ),
    "memory": (
        "i32.const 0 i32.load offset=16 align=2 i64.load8_s $m1 offset=4294967296 i32.store16 $m2 align=1"
        " memory.size $m1 memory.grow $m0 memory.fill $m2 memory.copy $m1 $m2 memory.init $m2 $d1 data.drop $d0",
        [
            ("i32.const", (0,)),
            ("i32.load", (1, 16, 0)),
            ("i64.load8_s", (0, 4294967296, 1)),
            ("i32.store16", (0, 0, 2)),
            ("memory.size", (1,)),
            ("memory.grow", (0,)),
            ("memory.fill", (2,)),
            ("memory.copy", (1, 2)),
            ("memory.init", (1, 2)),
            ("data.drop", (0,)),
        ],
    ),
    "bulk tables": (
        "table.init $t0 $el1 elem.drop $el0 table.copy $t1 $t0",
        [("table.init", (1, 0)), ("elem.drop", (0,)), ("table.copy", (1, 0))],
    ),
    "parametric": (
        "select select (result i32) select (result funcref) select (result (ref null $s))",
        [
            ("select", ()),
            ("select", (("i32",),)),
            ("select", (("funcref",),)),
            ("select", (("(ref null 1)",),)),
        ],
    ),
    "simd": (
        "v128.const i32x4 1 2 3 0xffffffff i8x16.shuffle 0 17 2 3 4 5 6 7 8 9 10 11 12 13 14 31"
        " i16x8.extract_lane_u 7 v128.load8_lane $m1 offset=3 15 i32x4.add v128.store align=4"
        " i32x4.relaxed_dot_i8x16_i7x16_add_s",
        [
            ("v128.const", (1 | 2 << 32 | 3 << 64 | 0xFFFFFFFF << 96,)),
            ("i8x16.shuffle", ((0, 17, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 31),)),
            ("i16x8.extract_lane_u", (7,)),
            ("v128.load8_lane", (0, 3, 1, 15)),
            ("i32x4.add", ()),
            ("v128.store", (2, 0, 0)),
            ("i32x4.relaxed_dot_i8x16_i7x16_add_s", ()),
        ],
    ),
    "saturating, sign extension, wide arithmetic": (
        "i32.trunc_sat_f64_u i64.extend32_s i64.add128 i64.mul_wide_s",
        [("i32.trunc_sat_f64_u", ()), ("i64.extend32_s", ()), ("i64.add128", ()), ("i64.mul_wide_s", ())],
    ),
    "references": (
        "ref.null func ref.null extern ref.null $sig ref.null (shared any) ref.is_null ref.as_non_null"
        " block (result (ref $s)) br_on_null 0 br_on_non_null 0 unreachable end",
        [
            ("ref.null", ("func",)),
            ("ref.null", ("extern",)),
            ("ref.null", ("0",)),
            ("ref.null", ("(shared any)",)),
            ("ref.is_null", ()),
            ("ref.as_non_null", ()),
            ("block", ("(ref 1)",)),
            ("br_on_null", (0,)),
            ("br_on_non_null", (0,)),
            ("unreachable", ()),
            ("end", ()),
        ],
    ),
    "gc": (
        "struct.new $s struct.get $s 1 struct.set $s 0 array.new_fixed $a 3 array.copy $a $a"
        " array.new_data $a $d1 array.init_elem $a $el1 ref.test (ref $s) ref.test anyref ref.cast (ref null $a)"
        " ref.cast i31ref ref.i31 i31.get_u any.convert_extern array.len",
        [
            ("struct.new", (1,)),
            ("struct.get", (1, 1)),
            ("struct.set", (1, 0)),
            ("array.new_fixed", (2, 3)),
            ("array.copy", (2, 2)),
            ("array.new_data", (2, 1)),
            ("array.init_elem", (2, 1)),
            ("ref.test", ("(ref 1)",)),
            ("ref.test", ("anyref",)),
            ("ref.cast", ("(ref null 2)",)),
            ("ref.cast", ("i31ref",)),
            ("ref.i31", ()),
            ("i31.get_u", ()),
            ("any.convert_extern", ()),
            ("array.len", ()),
        ],
    ),
    "br_on_cast": (
        "block (result anyref) local.get 0 br_on_cast 0 anyref (ref $s) br_on_cast_fail 0 (ref any) (ref null $a)"
        " end",
        [
            ("block", ("anyref",)),
            ("local.get", (0,)),
            ("br_on_cast", (0, "anyref", "(ref 1)")),
            ("br_on_cast_fail", (0, "(ref any)", "(ref null 2)")),
            ("end", ()),
        ],
    ),
    "exceptions": (
        "block $l (result exnref) try_table (catch $e1 0) (catch_ref $e0 0) (catch_all 1) (catch_all_ref 0)"
        " i32.const 1 throw $e1 end unreachable end throw_ref",
        [
            ("block", ("exnref",)),
            (
                "try_table",
                (None, (("catch", 1, 0), ("catch_ref", 0, 0), ("catch_all", None, 1), ("catch_all_ref", None, 0))),
            ),
            ("i32.const", (1,)),
            ("throw", (1,)),
            ("end", ()),
            ("unreachable", ()),
            ("end", ()),
            ("throw_ref", ()),
        ],
    ),
    "legacy exceptions": (
        "try (result i32) i32.const 1 catch $e1 rethrow 0 catch_all i32.const 2 end drop"
        " try try nop delegate 0 catch $e0 end",
        [
            ("try", ("i32",)),
            ("i32.const", (1,)),
            ("catch", (1,)),
            ("rethrow", (0,)),
            ("catch_all", ()),
            ("i32.const", (2,)),
            ("end", ()),
            ("drop", ()),
            ("try", (None,)),
            ("try", (None,)),
            ("nop", ()),
            ("delegate", (0,)),
            ("catch", (0,)),
            ("end", ()),
        ],
    ),
    "threads": (
        "i32.const 0 i32.const 1 i32.atomic.rmw.add $m2 offset=8 i64.atomic.rmw16.cmpxchg_u align=2"
        " memory.atomic.wait32 $m2 atomic.fence memory.atomic.notify",
        [
            ("i32.const", (0,)),
            ("i32.const", (1,)),
            ("i32.atomic.rmw.add", (2, 8, 2)),
            ("i64.atomic.rmw16.cmpxchg_u", (1, 0, 0)),
            ("memory.atomic.wait32", (2, 0, 2)),
            ("atomic.fence", ()),
            ("memory.atomic.notify", (2, 0, 0)),
        ],
    ),
    "shared-everything threads": (
        "global.atomic.get acqrel $g1 global.atomic.rmw.add seqcst $g0 struct.atomic.get seqcst $s 1"
        " array.atomic.rmw.xchg acqrel $a",
        [
            ("global.atomic.get", ("acqrel", 1)),
            ("global.atomic.rmw.add", ("seqcst", 0)),
            ("struct.atomic.get", ("seqcst", 1, 1)),
            ("array.atomic.rmw.xchg", ("acqrel", 2)),
        ],
    ),
    "stack switching": (
        "ref.func $callee cont.new $k cont.bind $k $k suspend $e0"
        " block (result (ref $k)) resume $k (on $e0 0) (on $e1 switch) unreachable end"
        " resume_throw $k $e1 switch $k $e0",
        [
            ("ref.func", (0,)),
            ("cont.new", (4,)),
            ("cont.bind", (4, 4)),
            ("suspend", (0,)),
            ("block", ("(ref 4)",)),
            ("resume", (4, ((0, 0), (1, None)))),
            ("unreachable", ()),
            ("end", ()),
            ("resume_throw", (4, 1, ())),
            ("switch", (4, 0)),
        ],
    ),
}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_immediates_are_decoded_when_written_in_wat(case: str) -> None:
    body, expected = CASES[case]
    assert decode_wat(body, "(param anyref) (local i32)") == expected


def test_exact_and_shared_heap_types_are_spelled_like_wasm_tools() -> None:
    code = (
        bytes.fromhex("fb166202")  # ref.cast, non-null, exact type 2
        + bytes.fromhex("fb156202")  # ref.test, nullable, exact type 2
        + bytes.fromhex("d0628001")  # ref.null, exact type 128 (a two-byte u32)
        + bytes.fromhex("fb17656b")  # ref.cast, nullable, shared struct
        + bytes.fromhex("fb180301" "6c" "6203")  # br_on_cast, flags 3 (both nullable), label 1, i31 -> exact 3
        + bytes.fromhex("0263620b")  # block (result (ref null (exact 11)))
        + bytes.fromhex("0b0b")
    )
    assert [(i.mnemonic, i.immediates) for i in decode_bytes(code)] == [
        ("ref.cast", ("(ref (exact 2))",)),
        ("ref.test", ("(ref null (exact 2))",)),
        ("ref.null", ("(exact 128)",)),
        ("ref.cast", ("(ref null (shared struct))",)),
        ("br_on_cast", (1, "i31ref", "(ref null (exact 3))")),
        ("block", ("(ref null (exact 11))",)),
        ("end", ()),
        ("end", ()),
    ]


def test_offsets_are_module_offsets_when_encodings_are_long() -> None:
    code = (
        bytes.fromhex("41e500")  # i32.const 101, in two bytes
        + bytes.fromhex("20808001")  # local.get 16384
        + bytes.fromhex("fd0c") + bytes(range(16))  # v128.const
        + bytes.fromhex("fd80000000")  # v128.load with an overlong (two-byte) sub-opcode 0
        + bytes.fromhex("0b")
    )
    assert [tuple(i) for i in decode_bytes(code, pad=100)] == [
        (100, "i32.const", (101,)),
        (103, "local.get", (16384,)),
        (107, "v128.const", (int.from_bytes(bytes(range(16)), "little"),)),
        (125, "v128.load", (0, 0, 0)),
        (130, "end", ()),
    ]


def test_every_opcode_has_an_immediate_reader_for_its_kind() -> None:
    kinds = {op.kind for op in OPCODES.values()} | {op.kind for t in PREFIXED.values() for op in t.values()}
    assert kinds == K.KINDS
    assert set(IMMEDIATE_READERS) == K.KINDS


def test_mnemonics_are_unique_except_typed_variants() -> None:
    names: dict[str, int] = {}
    for op in [*OPCODES.values(), *(op for t in PREFIXED.values() for op in t.values())]:
        names[op.mnemonic] = names.get(op.mnemonic, 0) + 1
    assert {name for name, n in names.items() if n > 1} == {"select", "ref.test", "ref.cast", "ref.cast_desc_eq"}


# -- malformed bodies -------------------------------------------------------------------------------

MALFORMED: dict[str, tuple[str, int, str]] = {
    # name: (code as hex, offset of the error relative to the code, expected message fragment)
    "illegal opcode": ("01160b", 1, "illegal opcode 0x16"),
    "illegal opcode 0xff": ("ff0b", 0, "illegal opcode 0xff"),
    "unknown GC sub-opcode": ("fb300b", 0, "illegal opcode 0xfb 0x30"),
    "unknown SIMD sub-opcode": ("fd9a010b", 0, "illegal opcode 0xfd 0x9a"),
    "unknown misc sub-opcode": ("fc80800b", 0, "unknown 0xfc sub-opcode"),
    "truncated sub-opcode": ("fe80", 1, "unexpected end"),
    "truncated local index": ("2080", 1, "unexpected end"),
    "truncated i32.const": ("41", 1, "unexpected end"),
    "truncated f64.const": ("440000", 1, "unexpected end"),
    "truncated v128.const": ("fd0c" + "00" * 15, 2, "unexpected end"),
    "truncated shuffle": ("fd0d" + "00" * 10, 2, "unexpected end"),
    "index too long": ("20808080808000", 1, "integer representation too long"),
    "index too large": ("2080808080700b", 1, "integer too large"),
    "i32.const too large": ("4180808080400b", 1, "integer too large"),
    "memop alignment too large": ("2880010b0b", 1, "malformed memop flags"),
    "memop flags past the memory bit": ("28c0010000", 1, "malformed memop flags"),
    "truncated memarg": ("2802", 2, "unexpected end"),
    "truncated memory index in memarg": ("2842", 2, "unexpected end"),
    "missing final end": ("0101", 2, "END opcode expected"),
    "empty body": ("", 0, "END opcode expected"),
    "block left open": ("02400b", 3, "END opcode expected"),
    "trailing bytes after the final end": ("0b01", 1, "operators remaining after end"),
    "else outside if": ("05", 0, "`else` found outside an `if` block"),
    "else inside a block": ("0240050b0b", 2, "`else` found outside"),
    "second else": ("044005050b0b", 3, "`else` found outside"),
    "catch outside try": ("07000b", 0, "`catch` found outside a `try` block"),
    "catch after catch_all": ("064019070000", 3, "`catch` found outside"),
    "catch_all in try_table": ("1f4000190b0b", 3, "`catch_all` found outside"),
    "delegate outside try": ("18000b", 0, "`delegate` found outside"),
    "delegate after catch": ("064007001800", 4, "`delegate` found outside"),
    "block type: bad value type": ("02410b", 1, "malformed value type"),
    "block type: negative index": ("02807f0b", 1, "malformed block type"),
    "block type: bare exact": ("0262000b", 1, "malformed value type 0x62"),
    "select type: bare index": ("1c01050b", 2, "malformed value type"),
    "select: count beyond the body": ("1cffffffff0f0b", 1, "select type count"),
    "br_table: count beyond the body": ("0effffffff0f0b", 1, "br_table target count"),
    "heap type: value type byte": ("d07f0b", 1, "malformed heap type"),
    "heap type: negative index": ("d0807f0b", 1, "malformed heap type"),
    "heap type: shared non-abstract": ("d0657f0b", 2, "invalid abstract heap type"),
    "ref type: truncated": ("fb14", 2, "unexpected end"),
    "catch kind": ("1f4001040000", 3, "invalid catch kind 0x04"),
    "catch clause count beyond the body": ("1f40ff010b", 2, "catch clause count"),
    "cast flags": ("fb1804006e6e", 2, "invalid cast flags"),
    "atomic ordering": ("fe4f02000b", 2, "invalid atomic consistency ordering 2"),
    "atomic.fence reserved byte": ("fe03010b", 2, "nonzero byte after atomic.fence"),
    "resume handler kind": ("e30001020000", 3, "invalid on clause kind 0x02"),
}


@pytest.mark.parametrize("case", MALFORMED, ids=str)
def test_malformed_body_raises_format_error_at_offset(case: str) -> None:
    code, offset, message = MALFORMED[case]
    with pytest.raises(WasmFormatError) as raised:
        decode_bytes(bytes.fromhex(code), pad=32)
    assert raised.value.offset == 32 + offset, raised.value.message
    assert message in raised.value.message


def test_range_outside_the_data_is_a_format_error() -> None:
    with pytest.raises(WasmFormatError):
        list(iter_instructions(b"\x0b", 0, 5))
    with pytest.raises(WasmFormatError):
        list(iter_instructions(b"\x0b", 1, 0))


def test_instructions_before_a_malformed_one_are_yielded() -> None:
    decoded = iter_instructions(b"\x01\x01\x16\x0b", 0, 4)
    assert next(decoded).mnemonic == "nop"
    assert next(decoded).offset == 1
    with pytest.raises(WasmFormatError, match="illegal opcode"):
        next(decoded)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_decode_or_raise_format_error(code: bytes) -> None:
    data = b"\x00" * 3 + code
    try:
        instructions = list(iter_instructions(data, 3, len(data)))
    except WasmFormatError as error:
        assert 3 <= error.offset <= len(data)
        return
    offsets = [i.offset for i in instructions]
    assert offsets == sorted(set(offsets)) and offsets[0] == 3
    assert instructions[-1] == Instruction(len(data) - 1, "end", ())


@functools.cache
def sample_body() -> tuple[bytes, int, int]:
    """A real body with blocks, branches and multi-byte instructions: (module, code start, end)."""
    data = wat(f"(module {PRELUDE} (func $f (param i32) (result i32) {CASES['control'][0]} i32.const 7))")
    body = read_module(data).bodies[-1]
    return data, body.code_offset, body.end


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_real_bodies_decode_or_raise_format_error(draw: st.DataObject) -> None:
    data, start, end = sample_body()
    mutated = bytearray(data)
    for _ in range(draw.draw(st.integers(1, 4))):
        mutated[draw.draw(st.integers(start, end - 1))] = draw.draw(st.integers(0, 255))
    cut = draw.draw(st.integers(start, end))
    try:
        list(iter_instructions(bytes(mutated), start, cut))
    except WasmFormatError as error:
        assert start <= error.offset <= cut


# -- constant expressions ---------------------------------------------------------------------------


def test_const_expr_stops_after_its_end() -> None:
    r = Reader(b"\xff\x41\x2a\x0b\x99", 1)
    assert read_const_expr(r) == (Instruction(1, "i32.const", (42,)), Instruction(3, "end", ()))
    assert r.pos == 4


def test_extended_and_gc_const_exprs() -> None:
    code = bytes.fromhex("2300" "4101" "6a" "fb0802" "03" "d270" "0b") + b"tail"
    r = Reader(code)
    expr = read_const_expr(r)
    assert [(i.mnemonic, i.immediates) for i in expr] == [
        ("global.get", (0,)),
        ("i32.const", (1,)),
        ("i32.add", ()),
        ("array.new_fixed", (2, 3)),
        ("ref.func", (112,)),
        ("end", ()),
    ]
    assert code[r.pos :] == b"tail"


def test_const_expr_without_end_raises() -> None:
    with pytest.raises(WasmFormatError, match="END opcode expected") as raised:
        read_const_expr(Reader(b"\x41\x01\x41\x02", 0))
    assert raised.value.offset == 4


def test_const_expr_is_bounded_by_the_reader() -> None:
    with pytest.raises(WasmFormatError):
        read_const_expr(Reader(b"\x41\x01\x0b", 0, 2))


# -- lookups ----------------------------------------------------------------------------------------


def test_instruction_index_finds_boundaries_and_containing_instructions() -> None:
    data, start, end = sample_body()
    instructions = list(iter_instructions(data, start, end))
    index = InstructionIndex(data, start, end)
    assert list(index.offsets) == [i.offset for i in instructions] == list(instruction_offsets(data, start, end))
    assert len(index) == len(instructions)
    for n, ins in enumerate(instructions):
        first, last = index.extent(n)
        assert first == ins.offset and index.is_boundary(ins.offset)
        for offset in range(first, last):
            assert index.instruction_at(offset) == ins
            assert instruction_at(data, start, end, offset) == ins
            assert index.index_of(offset) == n
        assert not any(index.is_boundary(o) for o in range(first + 1, last))
    assert index.instruction_at(start - 1) is None and index.instruction_at(end) is None
    assert instruction_at(data, start, end, end) is None
    assert not index.is_boundary(start - 1)


def test_decode_instruction_out_of_context() -> None:
    code = bytes.fromhex("04400105010b180007000b")  # if nop else nop end, then stray delegate/catch/end
    assert decode_instruction(code, 3, len(code)) == Instruction(3, "else", ())
    assert decode_instruction(code, 6, len(code)) == Instruction(6, "delegate", (0,))
    assert decode_instruction(code, 8, len(code)) == Instruction(8, "catch", (0,))
    assert decode_instruction(code, 10, len(code)) == Instruction(10, "end", ())
    with pytest.raises(WasmFormatError):
        decode_instruction(code, 11, len(code))


def test_deep_nesting_needs_no_recursion() -> None:
    depth = 200_000
    code = b"\x02\x40" * depth + b"\x0b" * (depth + 1)
    instructions = decode_bytes(code)
    assert len(instructions) == 2 * depth + 1
    assert instructions[-1].offset == 16 + len(code) - 1

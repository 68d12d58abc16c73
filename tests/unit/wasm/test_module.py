"""read_module on hand-written modules: every section kind, custom sections, and format errors."""

from __future__ import annotations

import pytest

from tests.helpers import wat
from wasmdbg.errors import WasmFormatError
from wasmdbg.wasm.module import read_module
from wasmdbg.wasm.types import GlobalType, Limits, TableType

EVERYTHING = r"""
(module $everything
  (type $sig (func (param i32 i64) (result f32)))
  (type $void (func))
  (import "env" "f" (func $imported (type $sig)))
  (import "env" "mem" (memory $m0 1 2))
  (import "env" "tab" (table 3 funcref))
  (import "env" "g" (global $ig (mut i32)))
  (import "env" "t" (tag $itag (param i32)))
  (memory $m1 i64 1 16)
  (memory $m2 2 3 shared)
  (table $t1 4 externref)
  (global $g1 i64 (i64.const -7))
  (tag $tag (param i64))
  (func $first (type $void))
  (func $second (export "second") (param i32) (result i32) (local i64 i64 f32)
    local.get 0)
  (elem (table 0) (i32.const 1) func $first $second)
  (elem declare func $first)
  (data (memory $m0) (i32.const 16) "hello")
  (data "passive")
  (start $first)
  (export "m1" (memory $m1))
  (export "g1" (global $g1))
  (export "t1" (table $t1))
  (export "tag" (tag $tag))
  (@custom "producers" (after last) "\01\08language\01\03C11\00")
  (@custom "build_id" (after last) "\04\de\ad\be\ef")
  (@custom "external_debug_info" (after last) "\0cm.debug.wasm")
  (@custom "sourceMappingURL" (after last) "\0am.wasm.map")
  (@custom ".debug_abbrev" (after last) "\00")
  (@custom ".debug_info" (after last) "\07\00\00\00\05\00\01\04\00\00\00")
)
"""


@pytest.fixture(scope="module")
def everything() -> bytes:
    return wat(EVERYTHING)


def test_index_spaces_count_imports_first(everything: bytes) -> None:
    m = read_module(everything)
    assert m.imported_function_count == 1
    assert m.function_count == 3
    assert [b.func_index for b in m.bodies] == [1, 2]
    assert [mem.index for mem in m.memories] == [0, 1, 2]
    assert [mem.imported for mem in m.memories] == [True, False, False]


def test_types_imports_and_exports(everything: bytes) -> None:
    m = read_module(everything)
    assert m.types[0].signature() == "(func (param i32 i64) (result f32))"
    kinds = [(i.module, i.field, i.kind) for i in m.imports]
    assert kinds == [("env", "f", "func"), ("env", "mem", "memory"), ("env", "tab", "table"),
                     ("env", "g", "global"), ("env", "t", "tag")]
    assert m.imports[1].type == Limits(1, 2)
    assert m.imports[2].type == TableType("funcref", Limits(3, None))
    assert m.imports[3].type == GlobalType("i32", True)
    assert {(e.name, e.kind, e.index) for e in m.exports} == {
        ("second", "func", 2), ("m1", "memory", 1), ("g1", "global", 1), ("t1", "table", 1), ("tag", "tag", 1)}


def test_memory_limits_flags(everything: bytes) -> None:
    m = read_module(everything)
    assert m.memories[1].limits == Limits(1, 16, shared=False, is64=True)
    assert m.memories[2].limits == Limits(2, 3, shared=True, is64=False)


def test_segments_start_and_globals(everything: bytes) -> None:
    m = read_module(everything)
    assert m.start == 1
    active = m.elements[0]
    assert (active.mode, active.table_index, active.offset, active.functions) == ("active", 0, 1, (1, 2))
    assert m.elements[1].mode == "declarative"
    hello, passive = m.data_segments
    assert (hello.mode, hello.memory_index, hello.offset, hello.size) == ("active", 0, 16, 5)
    assert everything[hello.data_offset : hello.data_offset + 5] == b"hello"
    assert passive.mode == "passive" and passive.offset is None
    assert m.globals[0].init[0].mnemonic == "i64.const" and m.globals[0].init[0].immediates == (-7,)


def test_function_bodies_and_locals(everything: bytes) -> None:
    m = read_module(everything)
    second = m.body(2)
    assert second is not None and second.locals == ((2, "i64"), (1, "f32"))
    assert m.function_at(second.code_offset) == second
    assert m.function_at(second.end - 1) == second
    assert m.function_at(second.end) is None
    assert m.body(0) is None  # imported
    assert [i.mnemonic for i in m.instructions(2)] == ["local.get", "end"]


def test_tool_convention_custom_sections(everything: bytes) -> None:
    m = read_module(everything)
    assert m.producers == (("language", (("C11", ""),)),)
    assert m.build_id == "deadbeef"
    assert m.external_debug_info == "m.debug.wasm"
    assert m.source_mapping_url == "m.wasm.map"
    assert m.dwarf.sections == (".debug_abbrev", ".debug_info")
    assert m.dwarf.versions == (5,)
    assert m.dwarf.unit_count == 1


def test_name_section_with_extended_subsections() -> None:
    m = read_module(wat("""
      (module $mod
        (type $ty (func))
        (memory $heap 1)
        (table $tbl 1 funcref)
        (global $counter (mut i32) (i32.const 0))
        (tag $oops)
        (func $run (param $x i32) (local $y i32)
          block $outer
          end)
        (data $greeting "hi")
        (elem $fns func $run))
    """))
    names = m.names
    assert names is not None
    assert names.module == "mod"
    assert names.functions == {0: "run"}
    assert names.locals == {0: {0: "x", 1: "y"}}
    assert names.labels == {0: {0: "outer"}}
    assert names.types == {0: "ty"}
    assert names.memories == {0: "heap"}
    assert names.tables == {0: "tbl"}
    assert names.globals == {0: "counter"}
    assert names.tags == {0: "oops"}
    assert names.data_segments == {0: "greeting"}
    assert names.elem_segments == {0: "fns"}


def _module_with_custom(name: bytes, payload: bytes) -> bytes:
    body = bytes([len(name)]) + name + payload
    return b"\0asm\x01\0\0\0" + b"\x00" + bytes([len(body)]) + body


def test_invalid_utf8_in_name_section_is_replaced_not_raised() -> None:
    # function subsection: one entry, index 0, name b"a\xffb"
    sub = b"\x01\x00\x03a\xffb"
    m = read_module(_module_with_custom(b"name", b"\x01" + bytes([len(sub)]) + sub))
    assert m.names is not None and m.names.functions == {0: "a\ufffdb"}
    assert m.warnings == ()


def test_damaged_name_section_keeps_earlier_subsections_and_warns() -> None:
    module_name = b"\x00\x04\x03mod"
    broken = b"\x01\x05\x09\x00\x01a"  # claims 9 entries in a 5-byte subsection
    m = read_module(_module_with_custom(b"name", module_name + broken))
    assert m.names is not None and m.names.module == "mod"
    assert m.names.functions == {}
    assert len(m.warnings) == 1 and "name section ignored" in m.warnings[0]


def test_damaged_build_id_is_a_warning_not_an_error() -> None:
    m = read_module(_module_with_custom(b"build_id", b"\x10\x01"))
    assert m.build_id is None
    assert m.warnings and m.warnings[0].startswith("build_id section ignored")


@pytest.mark.parametrize(
    ("data", "message", "offset"),
    [
        (b"\0asn\x01\0\0\0", "magic header not detected", 0),
        (b"\0asm\x02\0\0\0", "unknown binary version", 4),
        (b"\0asm\x0d\0\x01\0", "component", 4),
        (b"\0asm\x01\0", "unexpected end", 6),
        (b"\0asm\x01\0\0\0\x0e\x00", "malformed section id 14", 8),
        (b"\0asm\x01\0\0\0\x01\x05\x00", "type section of 5 bytes runs past the end", 10),
        # memory section then type section: out of order
        (b"\0asm\x01\0\0\0\x05\x03\x01\x00\x01\x01\x01\x00", "unexpected content after last section", 13),
        # type section declaring zero types but two bytes long
        (b"\0asm\x01\0\0\0\x01\x02\x00\x00", "section size mismatch", 11),
        # function section declares one function, no code section
        (b"\0asm\x01\0\0\0\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00", "inconsistent lengths", 18),
        # data count 1, no data section
        (b"\0asm\x01\0\0\0\x0c\x01\x01", "data count and data section", 10),
    ],
)
def test_malformed_layout_names_the_offset(data: bytes, message: str, offset: int) -> None:
    with pytest.raises(WasmFormatError, match=message) as error:
        read_module(data)
    assert error.value.offset == offset


def test_too_many_locals_is_malformed() -> None:
    body = b"\x02" + b"\xff\xff\xff\xff\x0f\x7f" + b"\x01\x7f" + b"\x0b"
    code = b"\x01" + bytes([len(body)]) + body
    data = (b"\0asm\x01\0\0\0" + b"\x01\x04\x01\x60\x00\x00" + b"\x03\x02\x01\x00"
            + b"\x0a" + bytes([len(code)]) + code)
    with pytest.raises(WasmFormatError, match="too many locals"):
        read_module(data)


def test_memory_init_without_data_count_is_malformed_on_check() -> None:
    data = wat('(module (memory 1) (data "x") (func i32.const 0 i32.const 0 i32.const 1 memory.init 0))')
    assert read_module(data).data_count == 1  # wasm-tools emits the section when needed
    stripped = _drop_section(data, 12)
    module = read_module(stripped)
    with pytest.raises(WasmFormatError, match="data count section required"):
        module.check_code()


def _drop_section(data: bytes, section_id: int) -> bytes:
    from wasmdbg.wasm.sections import read_sections

    for s in read_sections(data):
        if s.id == section_id:
            return data[: s.header_offset] + data[s.end :]
    raise AssertionError(f"no section {section_id}")


def test_custom_descriptor_and_exact_types() -> None:
    m = read_module(wat("""
      (module (rec (type $t (descriptor $d) (struct (field i32)))
                   (type $d (describes $t) (struct (field (ref null (exact $t)))))))
    """))
    (t, d) = m.types
    assert (t.descriptor, t.describes) == (1, None)
    assert (d.descriptor, d.describes) == (None, 0)
    assert d.fields[0].storage_type == "(ref null (exact 0))"


def test_shared_and_gc_types() -> None:
    m = read_module(wat("""
      (module (rec (type $s (sub (struct (field (mut i8)) (field i16))))
                   (type $s2 (sub final $s (struct (field (mut i8)) (field i16) (field anyref)))))
              (type $a (array (mut f64)))
              (type $f (shared (func (param i32)))))
    """))
    s, s2, a, f = m.types
    assert [(x.storage_type, x.mutable) for x in s.fields] == [("i8", True), ("i16", False)]
    assert (s.final, s2.final, s2.supertypes) == (False, True, (0,))
    assert s2.fields[2].storage_type == "anyref"
    assert a.kind == "array" and a.fields[0] == a.fields[0].__class__("f64", True)
    assert f.shared and f.signature() == "(func (param i32))"

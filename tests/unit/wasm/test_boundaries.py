"""The code's boundary map gives what decoding each body gives, at every byte, and is cached by content."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import sample_module_paths, wat
from wasmdbg.addresses import ModuleOffset
from wasmdbg.dwarf import cache
from wasmdbg.findings import NOT_BOUNDARY, UNCHECKED_BODY
from wasmdbg.symbols.symbolizer import SymbolizeOptions, Symbolizer
from wasmdbg.wasm.boundaries import BoundariesFormatError, CodeBoundaries, boundaries_key, build_boundaries
from wasmdbg.wasm.instructions import InstructionIndex
from wasmdbg.wasm.module import read_module


def _map(data: bytes) -> tuple[object, CodeBoundaries]:
    module = read_module(data)
    code = module.code_section
    assert code is not None
    return module, build_boundaries(data, code.offset, code.end, module.bodies)


@pytest.mark.parametrize("path", sample_module_paths()[::3], ids=lambda p: p.name)
def test_every_byte_of_every_body_agrees_with_decoding_the_body(path: Path) -> None:
    data = path.read_bytes()
    module, boundaries = _map(data)
    checked = 0
    for body in module.bodies:  # type: ignore[attr-defined]
        index = InstructionIndex(data, body.code_offset, body.end)
        assert boundaries.decoded(body)
        for offset in range(body.code_offset, body.end):
            assert boundaries.is_boundary(offset) == index.is_boundary(offset), hex(offset)
            start = index.instruction_at(offset)
            assert start is not None
            assert boundaries.instruction_start(offset, body) == start.offset, hex(offset)
            checked += 1
        # The body's header (size and locals) is no instruction, and nothing before it is found.
        for offset in range(body.offset, body.code_offset):
            assert not boundaries.is_boundary(offset)
            assert boundaries.instruction_start(offset, body) is None
    assert checked >= len(module.bodies)  # type: ignore[attr-defined]


def _two_functions_second_broken() -> tuple[bytes, int]:
    data = bytearray(wat('(module (func (export "a") nop nop) (func (export "b") nop nop))'))
    module = read_module(bytes(data))
    broken = module.bodies[1]
    data[broken.code_offset] = 0xFF  # not an opcode: the body no longer decodes
    return bytes(data), broken.code_offset


def test_a_body_that_does_not_decode_is_marked_and_the_others_still_are_mapped() -> None:
    data, broken_at = _two_functions_second_broken()
    module, boundaries = _map(data)
    good, bad = module.bodies  # type: ignore[attr-defined]
    assert boundaries.undecodable == frozenset({broken_at})
    assert boundaries.decoded(good) and not boundaries.decoded(bad)
    assert boundaries.is_boundary(good.code_offset + 1)
    assert not boundaries.is_boundary(bad.code_offset)


def test_the_symbolizer_says_an_undecodable_body_was_not_checked(tmp_module) -> None:  # type: ignore[no-untyped-def]
    data, broken_at = _two_functions_second_broken()
    symbolizer = Symbolizer.open(tmp_module(data), SymbolizeOptions())
    assert [w.kind for w in symbolizer.symbolize(ModuleOffset(broken_at)).warnings] == [UNCHECKED_BODY]
    first = symbolizer.module.bodies[0]
    assert symbolizer.symbolize(ModuleOffset(first.code_offset)).warnings == ()


def test_round_trip_and_refusals() -> None:
    data, _ = _two_functions_second_broken()
    module, boundaries = _map(data)
    key = boundaries_key(data[module.code_section.offset : module.code_section.end])  # type: ignore[attr-defined]
    stored = boundaries.to_bytes(key)
    assert CodeBoundaries.from_bytes(stored, key) == boundaries
    for bad in (stored[:-1], stored + b"\0", stored[:30], b"", stored.replace(b"\n", b"\r", 1)):
        with pytest.raises(BoundariesFormatError):
            CodeBoundaries.from_bytes(bad, key)
    with pytest.raises(BoundariesFormatError):
        CodeBoundaries.from_bytes(stored, "0" * 64)


def test_the_map_is_read_from_the_cache_by_the_code_it_describes(tmp_module) -> None:  # type: ignore[no-untyped-def]
    path = tmp_module(wat('(module (func (export "a") i32.const 1000 drop nop))'))
    first = Symbolizer.open(path, SymbolizeOptions())
    body = first.module.bodies[0]
    inside = body.code_offset + 1  # the i32.const's immediate
    assert [w.kind for w in first.symbolize(ModuleOffset(inside)).warnings] == [NOT_BOUNDARY]
    code = first.module.code_section
    assert code is not None
    key = boundaries_key(first.module.data[code.offset : code.end])
    stored = cache.cache_dir() / f"{key}.bnd"
    assert stored.is_file()

    # A stored map that (falsely) marks the immediate as a boundary is believed: the cache is read.
    lying = first.boundaries()
    assert lying is not None
    i = inside - lying.base
    bits = bytearray(lying.bits)
    bits[i >> 3] |= 1 << (i & 7)
    stored.write_bytes(CodeBoundaries(lying.base, bytes(bits), lying.undecodable).to_bytes(key))
    assert Symbolizer.open(path, SymbolizeOptions()).symbolize(ModuleOffset(inside)).warnings == ()
    # --no-cache neither reads it nor trusts it.
    fresh = Symbolizer.open(path, SymbolizeOptions(use_cache=False))
    assert [w.kind for w in fresh.symbolize(ModuleOffset(inside)).warnings] == [NOT_BOUNDARY]
    os.unlink(stored)

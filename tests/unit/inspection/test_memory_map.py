"""memory_map and values_at: the regions of real toolchain modules against wasm-tools, and WAT shapes.

The independent reference is `wasm-tools print` (Bytecode Alliance, a pinned test dependency that
`.ci/run` installs): its text gives each data segment's name, offset and bytes, and each global's
name, type and initial value. wabt's `wasm-objdump` would do as well but is not installed by the
test extra, and a skipped comparison proves nothing.
"""

from __future__ import annotations

import itertools
import math
import re
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import ROOT, SAMPLES, wasm_tools
from wasmdbg.inspection.memory_map import (
    DATA,
    HEAP,
    STACK,
    MemoryMap,
    MemoryRegion,
    memory_map,
)
from wasmdbg.inspection.memory_values import values_at
from wasmdbg.runner.text_format import read_module_source
from wasmdbg.wasm.module import WasmModule, read_module

BUILD = SAMPLES / "build"
SAMPLE_NAMES = [
    "divzero.O0",
    "divzero.O2",
    "oob.O0",
    "leak.O0",
    "panic.O0",
    "panic.O2",
    "divzero.names",
    "divzero.stripped",
    "stackoverflow.O0",
    "hello.O2",
]

# -- what wasm-tools says -------------------------------------------------------------------

_GLOBAL = re.compile(
    r"^\s*\(global (?:\$(?P<name>\S+) )?\(;(?P<index>\d+);\) "
    r"(?:\(mut (?P<mut>\w+)\)|(?P<imm>\w+)) (?P<ctype>i32|i64)\.const (?P<value>-?\d+)\)$"
)
_EXPORT = re.compile(r'^\s*\(export "(?P<name>[^"]+)" \(global (?P<index>\d+)\)\)$')
_DATA = re.compile(
    r"^\s*\(data (?:\$(?P<name>\S+) )?\(;(?P<index>\d+);\) (?:\(memory \S+\) )?"
    r"(?:\((?P<ctype>i32|i64)\.const (?P<offset>-?\d+)\) )?(?P<strings>\".*\")\)$"
)
_MEMORY = re.compile(r"^\s*\(memory (?:\$\S+ )?\(;0;\) (?P<pages>\d+)")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _wat_string_bytes(literal: str) -> bytes:
    """The bytes of a WAT string literal's body (`\\hh`, `\\n`, `\\u{…}`, UTF-8 otherwise)."""
    out = bytearray()
    i = 0
    simple = {"t": 9, "n": 10, "r": 13, '"': 34, "'": 39, "\\": 92}
    while i < len(literal):
        ch = literal[i]
        if ch != "\\":
            out += ch.encode()
            i += 1
        elif literal[i + 1] in simple:
            out.append(simple[literal[i + 1]])
            i += 2
        elif literal[i + 1] == "u":
            end = literal.index("}", i)
            out += chr(int(literal[i + 3 : end], 16)).encode()
            i = end + 1
        else:
            out.append(int(literal[i + 1 : i + 3], 16))
            i += 3
    return bytes(out)


@dataclass
class Printed:
    """The facts of one module as `wasm-tools print` shows them."""

    segments: list[tuple[int, str | None, int | None, int]]
    """(index, name, address or None if passive, size)."""
    globals: dict[str, int]
    """Name (from the name section or an export) -> unsigned constant initial value."""
    global0: tuple[bool, int] | None
    """Global 0's (mutable, value), if it is a constant."""
    initial_bytes: int | None
    """Memory 0's initial size."""


def printed(path: Path) -> Printed:
    segments = []
    values: dict[int, int] = {}
    names: dict[str, int] = {}
    global0 = None
    initial = None
    text = wasm_tools("print", str(path))
    for line in text.splitlines():
        if match := _GLOBAL.match(line):
            index = int(match["index"])
            mask = (1 << 32) - 1 if match["ctype"] == "i32" else (1 << 64) - 1
            values[index] = int(match["value"]) & mask
            if match["name"]:
                names[match["name"]] = index
            if index == 0:
                global0 = (match["mut"] is not None, values[index])
        elif match := _MEMORY.match(line):
            initial = int(match["pages"]) * 65536
        elif match := _EXPORT.match(line):
            names[match["name"]] = int(match["index"])
        elif match := _DATA.match(line):
            size = sum(
                len(_wat_string_bytes(s)) for s in _STRING.findall(match["strings"])
            )
            offset = int(match["offset"]) & 0xFFFFFFFF if match["offset"] else None
            segments.append((int(match["index"]), match["name"], offset, size))
    assert len(segments) == text.count("\n  (data "), "a data segment was not parsed"
    return Printed(
        segments,
        {n: values[i] for n, i in names.items() if i in values},
        global0,
        initial,
    )


def read(path: Path) -> WasmModule:
    return read_module(path.read_bytes())


# -- the samples against wasm-tools ---------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_regions_match_wasm_tools_when_reading_toolchain_samples(name: str) -> None:
    path = BUILD / f"{name}.wasm"
    theirs = printed(path)
    size = theirs.initial_bytes
    assert size is not None
    ours = memory_map(read(path), memory_size=size)

    expected_data = [
        MemoryRegion(DATA, offset, offset + n, f"data {seg_name or f'segment {index}'}")
        for index, seg_name, offset, n in theirs.segments
        if offset is not None and n
    ]
    segments_only = [
        r for r in ours.regions if r.kind == DATA and "zero-filled" not in r.label
    ]
    assert segments_only == expected_data

    sp = theirs.globals.get("__stack_pointer")
    if sp is None:  # stripped: wasm-ld's global 0
        assert theirs.global0 is not None and theirs.global0[0]
        sp = theirs.global0[1]
        assert any("assumed global 0" in note for note in ours.notes)
    assert ours.stack_pointer_initial == sp
    assert ours.stack_pointer_global == 0

    data_end = theirs.globals.get("__data_end")
    first = min(r.start for r in expected_data)
    highest = max(r.end for r in expected_data)
    if data_end is not None and data_end > highest:
        assert (
            MemoryRegion(DATA, highest, data_end, "data (zero-filled, to __data_end)")
            in ours.regions
        )

    [stack] = [r for r in ours.regions if r.kind == STACK]
    assert stack.end == sp
    if sp <= first:  # --stack-first (rustc)
        assert stack.start == 0
    elif data_end is not None:
        assert stack.start == data_end
    else:
        assert stack.start == max(r.end for r in expected_data if r.end <= sp)

    [heap] = [r for r in ours.regions if r.kind == HEAP]
    assert heap.start == theirs.globals.get("__heap_base", sp)
    assert heap.end == size


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_regions_are_sorted_and_disjoint_when_reading_toolchain_samples(
    name: str,
) -> None:
    regions = memory_map(read(BUILD / f"{name}.wasm")).regions
    assert regions
    for region in regions:
        assert region.start < region.end
    for before, after in itertools.pairwise(regions):
        assert before.end <= after.start


def test_region_at_finds_each_region_and_its_boundaries_when_reading_divzero() -> None:
    mm = memory_map(read(BUILD / "divzero.O0.wasm"), memory_size=2 * 65536)
    for region in mm.regions:
        assert mm.region_at(region.start) == region
        assert mm.region_at(region.end - 1) == region
    assert mm.region_at(0) is None  # below the global base (1024)
    assert mm.region_at(2 * 65536) is None


def test_heap_runs_to_the_end_of_memory_when_the_size_is_unknown() -> None:
    mm = memory_map(read(BUILD / "divzero.O0.wasm"))
    [heap] = [r for r in mm.regions if r.kind == HEAP]
    assert heap.end == 1 << 32  # no declared maximum: the 32-bit address space
    assert heap.label == "heap (from the stack top to the end of memory)"
    assert mm.region_at((1 << 32) - 1) == heap


def test_stack_label_says_where_it_is_in_use_when_the_stack_pointer_is_known() -> None:
    path = BUILD / "divzero.O0.wasm"
    sp = printed(path).globals["__stack_pointer"]
    mm = memory_map(read(path), stack_pointer=sp - 0x40)
    [stack] = [r for r in mm.regions if r.kind == STACK]
    assert (
        stack.label == f"stack (grows down from 0x{sp:x}, in use from 0x{sp - 0x40:x})"
    )
    assert stack.end == sp  # the current value refines the label, not the region


def test_stack_pointer_outside_the_stack_is_noted() -> None:
    mm = memory_map(read(BUILD / "divzero.O0.wasm"), stack_pointer=0x10)
    [stack] = [r for r in mm.regions if r.kind == STACK]
    assert "outside it" in stack.label
    assert any("outside the stack" in note for note in mm.notes)


def test_the_map_is_the_same_whatever_names_the_module_keeps() -> None:
    names = memory_map(read(BUILD / "divzero.names.wasm"))
    stripped = memory_map(read(BUILD / "divzero.stripped.wasm"))
    assert [(r.kind, r.start, r.end) for r in names.regions] == [
        (r.kind, r.start, r.end) for r in stripped.regions
    ]
    assert [r.label for r in stripped.regions if r.kind == DATA] == [
        "data segment 0",
        "data segment 1",
    ]


def test_other_memories_segments_are_not_marked_when_memory_0_is_imported() -> None:
    mm = memory_map(read(BUILD / "multi.wasm"))
    assert mm.regions == ()
    assert any("of other memories" in note for note in mm.notes)


# -- shapes in WAT ----------------------------------------------------------------------------


def wat_module(tmp_path: Path, text: str) -> WasmModule:
    path = tmp_path / "m.wat"
    path.write_text(text)
    data, was_text = read_module_source(path)
    assert was_text
    return read_module(data)


def test_empty_map_with_a_note_when_there_is_no_memory(tmp_path: Path) -> None:
    mm = memory_map(wat_module(tmp_path, "(module (func))"), memory_size=0)
    assert mm == MemoryMap(notes=("the module has no memory",))
    assert mm.region_at(0) is None


def test_only_data_is_marked_when_there_are_no_globals(tmp_path: Path) -> None:
    module = wat_module(tmp_path, '(module (memory 1) (data (i32.const 16) "abc"))')
    mm = memory_map(module, memory_size=65536)
    assert mm.regions == (MemoryRegion(DATA, 16, 19, "data segment 0"),)
    assert mm.stack_pointer_global is None and mm.stack_pointer_initial is None
    assert "no __stack_pointer global: stack not marked" in mm.notes


def test_stack_is_below_the_data_when_linked_stack_first(tmp_path: Path) -> None:
    module = wat_module(
        tmp_path,
        """(module (memory 2)
             (global $__stack_pointer (mut i32) (i32.const 65536))
             (global $__data_end i32 (i32.const 65552))
             (global $__heap_base i32 (i32.const 65568))
             (export "__data_end" (global 1)) (export "__heap_base" (global 2))
             (data $.rodata (i32.const 65536) "hello"))""",
    )
    mm = memory_map(module, memory_size=2 * 65536)
    assert mm.regions == (
        MemoryRegion(STACK, 0, 65536, "stack (grows down from 0x10000)"),
        MemoryRegion(DATA, 65536, 65541, "data .rodata"),
        MemoryRegion(DATA, 65541, 65552, "data (zero-filled, to __data_end)"),
        MemoryRegion(HEAP, 65568, 2 * 65536, "heap (from __heap_base)"),
    )


def test_heap_follows_the_data_when_stack_first_without_heap_base(
    tmp_path: Path,
) -> None:
    module = wat_module(
        tmp_path,
        """(module (memory 2) (global $__stack_pointer (mut i32) (i32.const 4096))
             (data $.data (i32.const 4096) "abcdefgh"))""",
    )
    mm = memory_map(module, memory_size=2 * 65536)
    [heap] = [r for r in mm.regions if r.kind == HEAP]
    assert (heap.start, heap.end) == (4104, 2 * 65536)
    assert any("the heap starts at the end of the data" in note for note in mm.notes)


def test_passive_segments_are_ignored_with_a_note(tmp_path: Path) -> None:
    module = wat_module(
        tmp_path,
        """(module (memory 1) (data $active (i32.const 32) "ab") (data $p "passive bytes"))""",
    )
    mm = memory_map(module)
    assert mm.regions == (MemoryRegion(DATA, 32, 34, "data active"),)
    assert any(
        note.startswith("1 passive data segment not marked") for note in mm.notes
    )


def test_global_0_is_assumed_the_stack_pointer_when_nothing_names_it(
    tmp_path: Path,
) -> None:
    module = wat_module(
        tmp_path,
        """(module (memory 1) (global (mut i32) (i32.const 8192))
             (data (i32.const 1024) "abcd"))""",
    )
    mm = memory_map(module, memory_size=65536)
    assert mm.stack_pointer_global == 0 and mm.stack_pointer_initial == 8192
    assert mm.regions == (
        MemoryRegion(DATA, 1024, 1028, "data segment 0"),
        MemoryRegion(STACK, 1028, 8192, "stack (grows down from 0x2000)"),
        MemoryRegion(HEAP, 8192, 65536, "heap (from the stack top)"),
    )
    assert any(
        "assumed global 0 is the stack pointer" in note and "0x2000" in note
        for note in mm.notes
    )


def test_an_immutable_global_0_is_not_taken_for_the_stack_pointer(
    tmp_path: Path,
) -> None:
    module = wat_module(
        tmp_path,
        '(module (memory 1) (global i32 (i32.const 8192)) (data (i32.const 1024) "x"))',
    )
    mm = memory_map(module)
    assert mm.stack_pointer_global is None
    assert [r.kind for r in mm.regions] == [DATA]


def test_an_imported_stack_pointer_is_noted_and_not_marked(tmp_path: Path) -> None:
    module = wat_module(
        tmp_path,
        """(module (import "env" "__stack_pointer" (global (mut i32)))
             (memory 1) (data (i32.const 1024) "x"))""",
    )
    mm = memory_map(module)
    assert mm.stack_pointer_global == 0 and mm.stack_pointer_initial is None
    assert any("__stack_pointer is imported" in note for note in mm.notes)
    assert [r.kind for r in mm.regions] == [DATA]


def test_names_count_imported_globals_when_finding_heap_base(tmp_path: Path) -> None:
    module = wat_module(
        tmp_path,
        """(module (import "env" "g" (global i32)) (memory 1)
             (global $__stack_pointer (mut i32) (i32.const 4096))
             (global $__heap_base i32 (i32.const 5000))
             (data (i32.const 1024) "x"))""",
    )
    mm = memory_map(module, memory_size=65536)
    assert mm.stack_pointer_global == 1 and mm.stack_pointer_initial == 4096
    assert [(r.kind, r.start) for r in mm.regions][-1] == (HEAP, 5000)


def test_addresses_above_2_gib_are_unsigned(tmp_path: Path) -> None:
    module = wat_module(
        tmp_path,
        """(module (memory 1)
             (global $__stack_pointer (mut i32) (i32.const 0x80001000))
             (data (i32.const 0x80000000) "abcd"))""",
    )
    mm = memory_map(module)
    assert mm.stack_pointer_initial == 0x80001000
    assert mm.regions[0] == MemoryRegion(DATA, 0x80000000, 0x80000004, "data segment 0")


def test_no_heap_when_heap_base_is_past_the_memory_size(tmp_path: Path) -> None:
    module = wat_module(
        tmp_path,
        """(module (memory 1) (global $__stack_pointer (mut i32) (i32.const 4096))
             (global $__heap_base i32 (i32.const 70000)) (data (i32.const 1024) "x"))""",
    )
    mm = memory_map(module, memory_size=65536)
    assert HEAP not in [r.kind for r in mm.regions]
    assert any("past the end of memory" in note for note in mm.notes)


def test_the_map_module_imports_no_ui() -> None:
    probe = (
        "import sys, wasmdbg.inspection.memory_map, wasmdbg.inspection.memory_values\n"
        "print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=True,
    )
    assert {"rich", "textual", "wasmtime"}.isdisjoint(proc.stdout.split())


# -- values_at ------------------------------------------------------------------------------

_DATA_BYTES = bytes.fromhex(
    "ff ff ff ff ff ff ff ff 00 00 80 3f 00 00 00 00 00 00 f0 3f 7f 80 01"
)
_FIELDS = [
    ("u8", "<B"),
    ("i8", "<b"),
    ("i16", "<h"),
    ("u16", "<H"),
    ("i32", "<i"),
    ("u32", "<I"),
    ("i64", "<q"),
    ("u64", "<Q"),
    ("f32", "<f"),
    ("f64", "<d"),
]


@pytest.mark.parametrize("at", range(len(_DATA_BYTES) + 1))
def test_values_match_struct_at_every_offset_including_the_short_tail(at: int) -> None:
    base = 0x1000
    values = values_at(_DATA_BYTES, base + at, base)
    assert values.address == base + at
    for field, fmt in _FIELDS:
        width = struct.calcsize(fmt)
        got = getattr(values, field)
        if at + width > len(_DATA_BYTES):
            assert got is None, field
        else:
            want = struct.unpack(fmt, _DATA_BYTES[at : at + width])[0]
            if isinstance(want, float) and math.isnan(want):
                assert math.isnan(got)
            else:
                assert got == want, field


def test_values_are_none_outside_the_data() -> None:
    for address in (0x0FFF, 0x1000 + len(_DATA_BYTES), 0x5000):
        values = values_at(_DATA_BYTES, address, 0x1000)
        assert values.u8 is None and values.f64 is None


def test_values_read_known_numbers() -> None:
    values = values_at(_DATA_BYTES, 0x1000, 0x1000)
    assert (values.i32, values.u32, values.i64) == (-1, 0xFFFFFFFF, -1)
    assert values_at(_DATA_BYTES, 0x1008, 0x1000).f32 == 1.0
    assert values_at(_DATA_BYTES, 0x100C, 0x1000).f64 == 1.0

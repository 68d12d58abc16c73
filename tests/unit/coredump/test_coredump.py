"""Coredumps: read real wasmtime dumps, write ours, survive damage; checked against wasm-tools and wasmtime.

The independent references: `wasm-tools dump` (wasmparser's own coredump readers), `wasm-tools print` and
`objdump` (data segments, section order), wasmtime instantiating a dump as a module (what memory and
globals hold, overlapping segments included), the sample manifest (module offsets reported by wasmtime 50),
and `wasm-tools print -p` (where each function body starts).
"""

from __future__ import annotations

import itertools
import json
import math
import re
import struct
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
import wasmtime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import ROOT, SAMPLES, sample_manifest, wasm_tools, wat
from wasmdbg.coredump import (
    CoreDump,
    CoredumpError,
    CoreGlobal,
    CoreMemory,
    MemoryImage,
    code_offset,
    module_offset,
    read_coredump,
    write_coredump,
)
from wasmdbg.coredump.read import strict_layout, tolerant_layout
from wasmdbg.coredump.write import ZERO_RUN_BYTES, nonzero_spans
from wasmdbg.errors import WasmdbgError
from wasmdbg.wasm.module import read_module

DUMPS = ROOT / "tests" / "fixtures" / "coredump"
REAL = {"divzero.O0": DUMPS / "divzero.O0.coredump", "oob.O0": DUMPS / "oob.O0.coredump"}
PAGE = 65536


# -- independent decoders of wasm-tools output ---------------------------------------------------


def wasm_tools_file(*args: str, data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "dump.wasm"
    path.write_bytes(data)
    return wasm_tools(*args, str(path))


def wat_string(text: str) -> bytes:
    """Decode a WAT string literal body as `wasm-tools print` writes it."""
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        nxt = text[i + 1]
        if nxt in "0123456789abcdefABCDEF":
            out.append(int(text[i + 1 : i + 3], 16))
            i += 3
        elif nxt == "u":
            close = text.index("}", i)
            out += chr(int(text[i + 3 : close], 16)).encode()
            i = close + 1
        else:
            out += {"t": b"\t", "n": b"\n", "r": b"\r", '"': b'"', "'": b"'", "\\": b"\\"}[nxt]
            i += 2
    return bytes(out)


_DATA = re.compile(r'\(data \(;\d+;\)(?: \(memory (\d+)\))? \(i32\.const (-?\d+)\) "((?:[^"\\]|\\.)*)"\)')


def printed_memories(printed: str, sizes: list[int]) -> list[bytes]:
    """Every memory's full contents, from the data segments `wasm-tools print` shows."""
    images = [bytearray(size) for size in sizes]
    for memory, offset, text in _DATA.findall(printed):
        payload = wat_string(text)
        start = int(offset) & 0xFFFF_FFFF
        images[int(memory or 0)][start : start + len(payload)] = payload
    return [bytes(image) for image in images]


_FRAME = re.compile(r"CoreDumpStackFrame \{ instanceidx: (\d+), funcidx: (\d+), codeoffset: (\d+), locals: \[(.*?)\], stack: \[(.*?)\] \}")


def dumped_frames(dumped: str) -> list[tuple[int, int, int, str, str]]:
    """The frames wasmparser's CoreDumpStackSection reads, from `wasm-tools dump`."""
    line = next(line for line in dumped.splitlines() if "stacks: " in line)
    return [(int(a), int(b), int(c), d, e) for a, b, c, d, e in _FRAME.findall(line)]


def instantiated(data: bytes, tmp_path: Path, memories: int, globals_: int) -> tuple[list[bytes], list[object]]:
    """Instantiate the dump as a module with wasmtime and read back every memory and global."""
    printed = wasm_tools_file("print", data=data, tmp_path=tmp_path).rstrip()
    assert printed.endswith(")")
    exports = "".join(f'(export "m{i}" (memory {i}))' for i in range(memories))
    exports += "".join(f'(export "g{i}" (global {i}))' for i in range(globals_))
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    instance = wasmtime.Instance(store, wasmtime.Module(engine, printed[:-1] + exports + ")"), [])
    ex = instance.exports(store)
    mems = []
    for i in range(memories):
        memory = ex[f"m{i}"]
        assert isinstance(memory, wasmtime.Memory)
        mems.append(bytes(memory.read(store, 0, memory.data_len(store))))
    values = []
    for i in range(globals_):
        g = ex[f"g{i}"]
        assert isinstance(g, wasmtime.Global)
        values.append(g.value(store))
    return mems, values


# -- real dumps written by the wasmtime CLI ------------------------------------------------------


@pytest.fixture(params=sorted(REAL), scope="module")
def real(request: pytest.FixtureRequest) -> tuple[str, bytes]:
    return request.param, REAL[request.param].read_bytes()


def test_wasmtime_dump_reads_as_wasmparser_reads_it(real: tuple[str, bytes], tmp_path: Path) -> None:
    name, data = real
    dump = read_coredump(data)
    dumped = wasm_tools_file("dump", data=data, tmp_path=tmp_path)
    expected = [(i, f, o) for i, f, o, _, _ in dumped_frames(dumped)]
    assert [(f.instance, f.func_index, f.code_offset) for f in dump.frames] == expected
    assert f"name: sample_modules/build/{name}.wasm" in dumped
    assert dump.executable == f"sample_modules/build/{name}.wasm"
    assert f"modules: {json.dumps(list(dump.modules))}" in dumped
    assert "instances: [CoreDumpInstance { module_index: 0, memories: [0], globals: [0] }]" in dumped
    assert [(i.module_index, i.memories, i.globals) for i in dump.instances] == [(0, (0,), (0,))]
    assert [t.name for t in dump.threads] == ["main"]
    assert dump.notes == ()


def test_wasmtime_dump_frames_are_the_trap_frames_innermost_first(real: tuple[str, bytes]) -> None:
    # The manifest's frames come from the wasmtime 50 Python bindings (FrameInfo.module_offset), innermost
    # first: converting the dump's function-relative offsets must land on exactly those module offsets.
    name, data = real
    entry = next(e for e in sample_manifest() if e["module"] == f"build/{name}.wasm")
    module = read_module((SAMPLES / "build" / f"{name}.wasm").read_bytes())
    trap_frames = entry["trap_frames"]
    assert isinstance(trap_frames, list)
    dump = read_coredump(data)
    assert [f.func_index for f in dump.frames] == [t["func_index"] for t in trap_frames]
    assert [module_offset(module, f.func_index, f.code_offset) for f in dump.frames] == [
        t["module_offset"] for t in trap_frames
    ]
    assert [code_offset(module, t["func_index"], t["module_offset"]) for t in trap_frames] == [
        f.code_offset for f in dump.frames
    ]


def test_wasmtime_dump_memory_and_globals_match_print_and_instantiation(real: tuple[str, bytes], tmp_path: Path) -> None:
    _, data = real
    dump = read_coredump(data)
    (memory,) = dump.memories
    assert (memory.min_pages, memory.max_pages, memory.size) == (2, None, 2 * PAGE)
    printed = wasm_tools_file("print", data=data, tmp_path=tmp_path)
    assert memory.read(0, memory.size) == printed_memories(printed, [memory.size])[0]
    mems, values = instantiated(data, tmp_path, 1, 1)
    assert memory.read(0, memory.size) == mems[0]
    assert any(mems[0])  # not vacuous: the program's strings are there
    assert [(g.type, g.mutable, g.value, g.captured) for g in dump.globals] == [("i32", True, values[0], True)]


def test_strict_and_tolerant_readers_agree_on_well_formed_dumps(real: tuple[str, bytes]) -> None:
    for data in (real[1], written_dump()):
        notes: list[str] = []
        assert tolerant_layout(data, notes) == strict_layout(data)
        assert notes == []


def test_reading_the_module_itself_is_a_coredump_error() -> None:
    with pytest.raises(CoredumpError) as caught:
        read_coredump((SAMPLES / "build" / "divzero.O0.wasm").read_bytes())
    assert caught.value.message == "not a wasm coredump: it has no 'core' section (is it the module itself?)"
    assert isinstance(caught.value, WasmdbgError)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "no '\\0asm' header"),
        (b"\x7fELF\x02\x01\x01", "no '\\0asm' header"),
        (b"\0asm\x01\x00", "ends inside the wasm header"),
        (b"\0asm\x0d\x00\x01\x00", "component"),
        (b"\0asm\x02\x00\x00\x00", "version 0x2"),
    ],
)
def test_bytes_that_are_not_wasm_are_a_coredump_error(data: bytes, words: str) -> None:
    with pytest.raises(CoredumpError) as caught:
        read_coredump(data)
    assert words in caught.value.message and "\n" not in caught.value.message


# -- the writer ----------------------------------------------------------------------------------

GLOBALS = (
    CoreGlobal(0, "i32", True, 70736, True),
    CoreGlobal(1, "i64", False, -(2**40), True),
    CoreGlobal(2, "f32", True, 1.5, True),
    CoreGlobal(3, "f64", False, -0.25, True),
    CoreGlobal(4, "i32", True, 17, False),
    CoreGlobal(5, "i64", True, None, False),
)
FRAMES = ((9, 54), (8, 62), (10, 95), (7, 0))
NOTES = ("globals 4 and 5 could not be read: the runner saw them as host globals", "memory 1 is a copy")


def sparse_memory(pages: int, chunks: dict[int, bytes]) -> bytes:
    image = bytearray(pages * PAGE)
    for address, payload in chunks.items():
        image[address : address + len(payload)] = payload
    return bytes(image)


def written_dump() -> bytes:
    mem0 = sparse_memory(2, {1024: b"hello\0world", 70000: bytes(range(1, 200)), 2 * PAGE - 3: b"end"})
    mem1 = sparse_memory(1, {0: b"\xff" * 10, 40000: b"z"})
    memories = [MemoryImage(2, 16, PAGE, mem0), MemoryImage(1, None, PAGE, mem1)]
    return write_coredump("demo.wasm", FRAMES, memories, GLOBALS, NOTES)


def test_written_dump_validates_and_shows_its_custom_sections(tmp_path: Path) -> None:
    data = written_dump()
    wasm_tools_file("validate", data=data, tmp_path=tmp_path)  # raises on failure
    printed = wasm_tools_file("print", data=data, tmp_path=tmp_path)
    for name in ("core", "coremodules", "coreinstances", "corestack", "wasmdbg-notes"):
        assert f'(@custom "{name}"' in printed


def test_written_dump_has_wasmtimes_section_order(tmp_path: Path) -> None:
    def order(data: bytes) -> list[str]:
        listing = wasm_tools_file("objdump", data=data, tmp_path=tmp_path)
        return [line.split("|")[0].strip() for line in listing.splitlines() if "|" in line]

    ours = [s for s in order(written_dump()) if s != 'custom "wasmdbg-notes"']
    assert ours == order(REAL["divzero.O0"].read_bytes())
    assert order(written_dump())[-1] == 'custom "wasmdbg-notes"'


def test_wasmparser_reads_our_frames_modules_and_instances(tmp_path: Path) -> None:
    dumped = wasm_tools_file("dump", data=written_dump(), tmp_path=tmp_path)
    assert dumped_frames(dumped) == [(0, f, o, "", "") for f, o in FRAMES]
    assert 'modules: ["demo.wasm"]' in dumped
    assert "instances: [CoreDumpInstance { module_index: 0, memories: [0, 1], globals: [0, 1, 2, 3, 4, 5] }]" in dumped
    assert "name: demo.wasm" in dumped


def test_written_memory_and_globals_match_print_and_instantiation(tmp_path: Path) -> None:
    data = written_dump()
    dump = read_coredump(data)
    sizes = [m.size for m in dump.memories]
    printed = printed_memories(wasm_tools_file("print", data=data, tmp_path=tmp_path), sizes)
    mems, values = instantiated(data, tmp_path, 2, len(GLOBALS))
    assert printed == mems == [m.read(0, m.size) for m in dump.memories]
    assert mems[0][1024:1035] == b"hello\0world" and mems[1][40000:40001] == b"z"
    assert values == [17 if g.index == 4 else 0 if g.value is None else g.value for g in GLOBALS]


def test_write_then_read_gives_back_what_was_written() -> None:
    dump = read_coredump(written_dump())
    assert dump.executable == "demo.wasm" and dump.modules == ("demo.wasm",)
    assert [(f.func_index, f.code_offset, f.locals, f.stack) for f in dump.frames] == [(f, o, (), ()) for f, o in FRAMES]
    assert dump.globals == GLOBALS  # captured=False and the None value come back through wasmdbg-notes
    assert dump.notes == NOTES
    assert [(m.min_pages, m.max_pages, m.page_bytes) for m in dump.memories] == [(2, 16, PAGE), (1, None, PAGE)]
    assert dump.memories[0].read(2 * PAGE - 3, 100) == b"end"


def test_a_mostly_empty_64_mib_memory_gives_a_small_file_quickly(tmp_path: Path) -> None:
    pages = 1024
    image = sparse_memory(pages, {5: b"a", 30 * 1024 * 1024: b"b" * 5000, pages * PAGE - 1: b"c"})
    started = time.perf_counter()
    data = write_coredump("big.wasm", [(0, 0)], [MemoryImage(pages, None, PAGE, image)], [])
    dump = read_coredump(data)
    assert time.perf_counter() - started < 5
    assert len(data) < 6000
    listing = wasm_tools_file("objdump", data=data, tmp_path=tmp_path)
    assert re.search(r"^\s*data\s.*\|\s*3 count", listing, re.MULTILINE)
    assert dump.memories[0].read(0, 8) == b"\0\0\0\0\0a\0\0"
    assert dump.memories[0].read(pages * PAGE - 2, 64) == b"\0c"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    chunks=st.dictionaries(st.integers(0, 3 * PAGE - 1), st.binary(min_size=1, max_size=300), max_size=12),
    frames=st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)), max_size=6),
    values=st.lists(st.integers(-(2**31), 2**31 - 1), max_size=5),
    # Lone surrogates (from undecodable paths) are written as "?": UTF-8 has no spelling for them.
    notes=st.lists(
        st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=40), max_size=3
    ),
)
def test_round_trip_keeps_every_byte_frame_global_and_note(
    chunks: dict[int, bytes], frames: list[tuple[int, int]], values: list[int], notes: list[str]
) -> None:
    image = bytearray(3 * PAGE)
    for address, payload in chunks.items():
        image[address : address + len(payload)] = payload[: 3 * PAGE - address]
    globals_ = [CoreGlobal(i, "i32", bool(i % 2), v, i != 2) for i, v in enumerate(values)]
    data = write_coredump("x", frames, [MemoryImage(3, None, PAGE, bytes(image))], globals_, notes)
    dump = read_coredump(data)
    assert tolerant_layout(data, []) == strict_layout(data)
    assert dump.memories[0].read(0, 3 * PAGE) == bytes(image)
    assert [(f.func_index, f.code_offset) for f in dump.frames] == frames
    assert list(dump.globals) == globals_
    assert dump.notes == tuple(notes)


@given(st.lists(st.tuples(st.integers(0, 20_000), st.binary(min_size=1, max_size=64)), max_size=20))
def test_nonzero_spans_cover_every_nonzero_byte_and_skip_only_long_zero_runs(chunks: list[tuple[int, bytes]]) -> None:
    image = bytearray(24_000)
    for address, payload in chunks:
        image[address : address + len(payload)] = payload
    data = bytes(image)
    spans = list(nonzero_spans(data))
    rebuilt = bytearray(len(data))
    for start, end in spans:
        assert data[start] != 0 and data[end - 1] != 0
        rebuilt[start:end] = data[start:end]
    assert bytes(rebuilt) == data
    assert all(b_start - a_end >= ZERO_RUN_BYTES for (_, a_end), (b_start, _) in itertools.pairwise(spans))


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"frames": [(2**32, 0)]}, "u32"),
        ({"memories": [MemoryImage(1, None, PAGE, bytes(PAGE + 1))]}, "do not fit"),
        ({"memories": [MemoryImage(1, None, 4096, b"")]}, "page size"),
        ({"globals": [CoreGlobal(0, "(ref 3)", False, None)]}, "cannot write"),
        ({"notes": ["two\nlines"]}, "one line"),
        ({"memories": [MemoryImage(65537, None, PAGE, b"")]}, "4 GiB"),
        ({"globals": [CoreGlobal(0, "f32", False, 1e300)]}, "f32"),
    ],
)
def test_writer_refuses_what_it_cannot_encode(kwargs: dict[str, object], words: str) -> None:
    args: dict[str, object] = {"executable": "x", "frames": [], "memories": [], "globals": [], **kwargs}
    with pytest.raises(ValueError, match=words):
        write_coredump(**args)  # type: ignore[arg-type]


def test_an_undecodable_path_is_written_with_replacement_characters(tmp_path: Path) -> None:
    data = write_coredump("/tmp/bad\udcff.wasm", [], [], [])
    wasm_tools_file("validate", data=data, tmp_path=tmp_path)
    assert read_coredump(data).executable == "/tmp/bad?.wasm"


def test_notes_section_bytes_follow_the_documented_grammar(tmp_path: Path) -> None:
    data = write_coredump("x", [], [], [CoreGlobal(0, "i32", False, None, False)], ["hi"])
    printed = wasm_tools_file("print", data=data, tmp_path=tmp_path)
    (payload,) = re.findall(r'\(@custom "wasmdbg-notes" \(after \w+\) "((?:[^"\\]|\\.)*)"\)', printed)
    # 0x00 version, vec(name) = [ "hi" ], vec(globalidx known) = [ (0, 0) ]
    assert wat_string(payload) == b"\x00\x01\x02hi\x01\x00\x00"


# -- hand-made dumps (assembled by wasm-tools from WAT, not by our writer) -----------------------


def test_overlapping_segments_later_wins_as_instantiation_does(tmp_path: Path) -> None:
    data = wat(
        r"""(module (@custom "core" (before first) "\00\01x")
          (memory 1)
          (data (i32.const 10) "aaaaaaaaaa") (data (i32.const 12) "BB") (data (i32.const 8) "ccc")
          (data (i32.const 5) "dddddddddddddddddddd") (data (i32.const 14) "E"))"""
    )
    (memory,) = read_coredump(data).memories
    mems, _ = instantiated(data, tmp_path, 1, 0)
    assert memory.read(0, 64) == mems[0][:64]
    assert memory.read(0, 32) == b"\0" * 5 + b"d" * 9 + b"E" + b"d" * 10 + b"\0" * 7


def test_frame_values_of_every_kind_read_as_wasmparser_reads_them(tmp_path: Path) -> None:
    # locals: i32 -5, missing, f32 1.5; stack: i64 -1, f64 1.0
    data = wat(
        r"""(module (@custom "core" (before first) "\00\01x")
          (@custom "corestack" "\00\04main\01\00\00\03\07\03\7f\7b\01\7d\00\00\c0\3f\02\7e\7f\7c\00\00\00\00\00\00\f0\3f"))"""
    )
    (frame,) = read_coredump(data).frames
    (_, _, _, locals_, stack) = dumped_frames(wasm_tools_file("dump", data=data, tmp_path=tmp_path))[0]
    assert locals_ == f"I32(-5), Missing, F32(Ieee32({struct.unpack('<I', struct.pack('<f', 1.5))[0]}))"
    assert stack == f"I64(-1), F64(Ieee64({struct.unpack('<Q', struct.pack('<d', 1.0))[0]}))"
    assert [(v.type, v.value) for v in frame.locals] == [("i32", -5), ("missing", None), ("f32", 1.5)]
    assert [(v.type, v.value) for v in frame.stack] == [("i64", -1), ("f64", 1.0)]
    assert (frame.func_index, frame.code_offset) == (3, 7)


def test_a_dump_claiming_4_gib_reads_cheaply() -> None:
    data = wat(
        r"""(module (@custom "core" (before first) "\00\01x")
          (memory 65536) (data (i32.const 0xfffffff0) "tail of memory!!") (data (i32.const 0x1000) "low"))"""
    )
    tracemalloc.start()
    started = time.perf_counter()
    (memory,) = read_coredump(data).memories
    window = memory.read(memory.size - 16, 64 * 1024)
    middle = memory.read(2**31, 64 * 1024)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert memory.size == 2**32 and memory.min_pages == 65536
    assert window == b"tail of memory!!"  # clamped at the size, the segment at a negative i32.const
    assert middle == bytes(64 * 1024)
    assert memory.read(0x1000, 3) == b"low"
    assert elapsed < 1 and peak < 4 * 1024 * 1024


@given(st.lists(st.tuples(st.integers(-8, 300), st.binary(max_size=40)), max_size=25))
def test_memory_reads_as_if_the_segments_were_copied_in_file_order(segments: list[tuple[int, bytes]]) -> None:
    # The reference: instantiation's semantics, done the slow way on a small memory.
    size = 256
    image = bytearray(size)
    for start, data in segments:
        for k, byte in enumerate(data):
            if 0 <= start + k < size:
                image[start + k] = byte
    memory = CoreMemory(0, 1, None, size, tuple(segments))
    assert memory.read(0, size) == bytes(image)
    assert all(a_start + len(a) <= b_start for (a_start, a), (b_start, _) in itertools.pairwise(memory.segments))


def test_many_overlapping_segments_resolve_quickly() -> None:
    # Reverse order and pairwise overlap: the worst case for inserting pieces one by one.
    segments = tuple((i, bytes([1 + i % 250, 1 + (i + 7) % 250])) for i in reversed(range(60_000)))
    started = time.perf_counter()
    memory = CoreMemory(0, 1, None, PAGE, segments)
    assert time.perf_counter() - started < 2
    # Byte 0 only segment 0 covers; byte k > 0 the segments at k - 1 (later in the file, so it wins) and k.
    assert memory.read(0, 4) == bytes([1, 1 + 7, 1 + 8, 1 + 9])
    assert memory.read(59_999, 3) == bytes([1 + (59_998 + 7) % 250, 1 + (59_999 + 7) % 250, 0])
    assert memory.captured_bytes == 60_001


def test_memory_read_clamps_zero_fills_and_refuses_negative_ranges() -> None:
    memory = CoreMemory(0, 1, None, PAGE, ((PAGE - 2, b"xyz"), (4, b"ab")))
    assert memory.segments == ((4, b"ab"), (PAGE - 2, b"xy"))  # sorted, clipped at the size
    assert memory.read(3, 4) == b"\0ab\0" and memory.read(PAGE, 10) == b"" and memory.read(PAGE - 1, 9) == b"y"
    with pytest.raises(ValueError):
        memory.read(-1, 4)


# -- damage --------------------------------------------------------------------------------------


def read_or_refuse(data: bytes) -> CoreDump | None:
    started = time.perf_counter()
    try:
        dump = read_coredump(data)
    except CoredumpError:
        dump = None
    assert time.perf_counter() - started < 1
    return dump


def test_every_truncation_keeps_what_precedes_the_cut() -> None:
    data = REAL["divzero.O0"].read_bytes()
    full = read_coredump(data)
    for cut in range(0, len(data), 7):
        dump = read_or_refuse(data[:cut])
        if dump is None:
            continue
        assert dump.notes, cut  # a cut dump never reads as whole
        assert len(dump.frames) <= len(full.frames) and dump.frames == full.frames[: len(dump.frames)]
        for memory in dump.memories:
            for address, payload in memory.segments:
                assert full.memories[0].read(address, len(payload)) == payload


def test_a_dump_cut_inside_a_data_segment_shows_the_bytes_before_the_cut() -> None:
    data = REAL["divzero.O0"].read_bytes()
    start = data.index(b"dividing 42 items")
    dump = read_coredump(data[: start + 8])
    assert (
        "the dump is truncated: data segment 0 (memory 0 at 0x400) is cut short after 62 of 2982 bytes;"
        " memory beyond is shown as zeros"
    ) in dump.notes
    address = 1024 + (start - data.index(b"-+   0X0x"))
    assert dump.memories[0].read(address, 17) == b"dividing" + bytes(9)


def _section_at(data: bytes | bytearray, name: bytes) -> int:
    """Offset of the size byte of the custom section `name` (its id byte is just before)."""
    at = data.index(bytes([len(name)]) + name) - 1
    assert data[at - 1] == 0 and data[at] < 0x80  # the id, and a one-byte size in these small dumps
    return at


def test_a_corestack_whose_size_lies_keeps_the_frames_it_holds() -> None:
    data = bytearray(REAL["divzero.O0"].read_bytes())
    full = read_coredump(bytes(data))
    size_at = _section_at(data, b"corestack")
    assert data.endswith(b"\x00\x00") and size_at > len(data) - 0x80  # corestack is the last section
    data[size_at] += 40  # claims 40 bytes more than the file holds
    dump = read_coredump(bytes(data))
    assert dump.frames == full.frames and dump.memories == full.memories
    assert any("truncated: the custom section" in note and "claims" in note for note in dump.notes)


def test_a_bad_leb_inside_corestack_keeps_the_frames_before_it() -> None:
    data = bytearray(written_dump())
    frame2 = data.index(bytes([0, 0, 10, 95]), _section_at(data, b"corestack"))  # third frame: func 10, offset 95
    data[frame2 + 3 : frame2 + 4] = b"\xff\xff\xff\xff\xff"  # an overlong u32, in place of the offset
    dump = read_coredump(bytes(data))
    assert [(f.func_index, f.code_offset) for f in dump.frames] == list(FRAMES[:2])
    assert any("corestack" in note and "2 of 4 read" in note for note in dump.notes)


def test_an_absurd_frame_count_is_bounded_by_the_bytes_left() -> None:
    data = wat(r"""(module (@custom "core" "\00\01x") (@custom "corestack" "\00\04main\ff\ff\ff\ff\0f\00\00\01\02\00\00"))""")
    dump = read_or_refuse(data)
    assert dump is not None and [(f.func_index, f.code_offset) for f in dump.frames] == [(1, 2)]
    assert any("cut short: 1 of 4294967295 read" in note for note in dump.notes)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["written", "divzero.O0"]),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=6),
    st.integers(0, 10**6),
)
def test_mutated_dumps_raise_only_coredump_error_and_finish_quickly(
    which: str, edits: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(written_dump() if which == "written" else REAL[which].read_bytes())
    for position, value in edits:
        data[position % len(data)] = value
    dump = read_or_refuse(bytes(data[: len(data) - cut % 64]))
    if dump is not None:
        assert all(isinstance(note, str) and "\n" not in note for note in dump.notes)
        for memory in dump.memories:
            assert len(memory.read(0, 65536)) <= 65536


# -- offsets -------------------------------------------------------------------------------------

_FUNC_LINE = re.compile(r'^\(;@([0-9a-f]+)\s*;\)\s*\(func (?:\$(?:"[^"]*"|\S+) )?(?:\(@name "[^"]*"\) )?\(;(\d+);\)', re.MULTILINE)


@pytest.mark.parametrize("name", ["divzero.O0.wasm", "multi.wasm", "cpp_abort.O2.wasm"])
def test_offset_zero_is_where_wasm_tools_starts_each_function(name: str) -> None:
    path = SAMPLES / "build" / name
    module = read_module(path.read_bytes())
    starts = {int(index): int(at, 16) for at, index in _FUNC_LINE.findall(wasm_tools("print", "-p", str(path)))}
    assert len(starts) == len(module.bodies) > 0
    for func_index, start in starts.items():
        body = module.body(func_index)
        assert body is not None
        assert module_offset(module, func_index, 0) == start
        assert code_offset(module, func_index, start) == 0
        last = body.end - 1 - start
        assert module_offset(module, func_index, last) == body.end - 1
        assert module_offset(module, func_index, last + 1) is None
        assert code_offset(module, func_index, start - 1) is None


def test_offsets_of_imported_or_unknown_functions_are_none() -> None:
    module = read_module((SAMPLES / "build" / "divzero.O0.wasm").read_bytes())
    assert module.imported_function_count > 0
    assert module_offset(module, 0, 0) is None and code_offset(module, 0, 500) is None
    assert module_offset(module, module.function_count, 0) is None
    assert module_offset(module, module.imported_function_count, -1) is None


def test_the_package_loads_no_ui_and_no_engine() -> None:
    probe = "import wasmdbg.coredump, sys; print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", probe], check=False, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "wasmdbg" in proc.stdout.split()
    assert set(proc.stdout.split()).isdisjoint({"rich", "textual", "wasmtime", "elftools"})


def test_nan_globals_survive_as_nan() -> None:
    dump = read_coredump(write_coredump("x", [], [], [CoreGlobal(0, "f64", False, math.nan)]))
    value = dump.globals[0].value
    assert isinstance(value, float) and math.isnan(value)


def test_a_note_spanning_lines_in_a_foreign_dump_is_read_as_one_line() -> None:
    # The writer refuses such a note; a dump from elsewhere (or a damaged one) may still hold one.
    # Found by the mutation test above: byte 10 written into a note.
    data = written_dump()
    at = data.index(b"memory 1 is a copy")
    damaged = data[:at] + b"memory 1\nis a\rcopy" + data[at + len(b"memory 1 is a copy") :]
    assert len(damaged) == len(data)
    dump = read_coredump(damaged)
    assert dump.notes[:2] == NOTES
    assert not any("\n" in note or "\r" in note for note in dump.notes)

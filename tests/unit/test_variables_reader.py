"""Variables from DWARF, read against a synthetic held frame laid out where llvm-dwarfdump says.

The frame's locals and memory are built here: the frame base local and every variable's
`DW_OP_fbreg` offset, the struct's member offsets and the subprograms' addresses are taken from
`llvm-dwarfdump` (an independent DWARF reader), not from wasmdbg, so the reader is checked
against the DWARF as another tool reads it.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fixtures import hostile_dwarf as hostile
from tests.helpers import CORPUS, SAMPLES
from wasmdbg.dwarf.variables import ScopeVariables, Variable, VariableReader
from wasmdbg.wasm.module import read_module

BUILD = SAMPLES / "build"
pytestmark = pytest.mark.skipif(shutil.which("llvm-dwarfdump") is None, reason="llvm-dwarfdump is not installed")


@dataclass
class Frame:
    """A held frame: wasm locals, globals and a linear memory of 1 MiB."""

    locals_: dict[int, int | float] = field(default_factory=dict)
    globals_: dict[int, int | float] = field(default_factory=dict)
    memory: bytearray = field(default_factory=lambda: bytearray(1 << 20))
    readable: bool = True

    def local(self, index: int) -> int | float | None:
        return self.locals_.get(index)

    def global_value(self, index: int) -> int | float | None:
        return self.globals_.get(index)

    def read_memory(self, address: int, size: int) -> bytes | None:
        if not self.readable or address + size > len(self.memory):
            return None
        return bytes(self.memory[address : address + size])

    def put(self, address: int, data: bytes) -> None:
        self.memory[address : address + len(data)] = data


def sections(path: Path) -> dict[str, bytes]:
    module = read_module(path.read_bytes())
    return {s.name: module.data[s.data_offset : s.end] for s in module.sections if s.is_custom and s.name.startswith(".debug_")}


def dwarfdump(path: Path) -> str:
    return subprocess.run(["llvm-dwarfdump", "--debug-info", str(path)], capture_output=True, text=True, check=True).stdout


def subprogram(dump: str, name: str, file: str = "") -> str:
    """The llvm-dwarfdump text of one DW_TAG_subprogram with code (up to the next one), in `file`."""
    pieces = re.split(r"\n(?=0x[0-9a-f]+:\s+DW_TAG_subprogram)", dump)
    for piece in pieces:
        head = piece.split("\n\n")[0]
        if re.search(rf'DW_AT_name\s+\("{name}"\)', head) and "DW_AT_low_pc" in head and file in head:
            return piece
    raise AssertionError(f"no subprogram {name} in {file or 'any file'}")


def attr(text: str, name: str) -> str:
    return re.search(rf"{name}\s+\(([^)]*)\)", text).group(1)  # type: ignore[union-attr]


def fbreg(text: str, variable: str) -> int:
    """The DW_OP_fbreg offset of a variable, from the DIE that names it."""
    die = re.search(rf'DW_AT_location\s+\(DW_OP_fbreg \+?(-?\d+)\)\n\s+DW_AT_name\s+\("{variable}"\)', text)
    assert die, variable
    return int(die.group(1))


def member_offset(dump: str, member: str) -> int:
    found = re.search(rf'DW_AT_name\s+\("{member}"\)\n(?:\s+DW_AT_\w+\s+\(.*\)\n)*?\s+DW_AT_data_member_location\s+\((0x[0-9a-f]+)\)', dump)
    assert found, member
    return int(found.group(1), 16)


def by_name(scope: ScopeVariables | None) -> dict[str, Variable]:
    assert scope is not None
    return {v.name: v for v in scope.variables}


@pytest.fixture(scope="module")
def ledger() -> tuple[VariableReader, str]:
    return VariableReader(sections(BUILD / "ledger.O0.wasm")), dwarfdump(BUILD / "ledger.O0.wasm")


def post_frame(dump: str, frame_base: int = 0x8000) -> tuple[int, Frame]:
    post = subprogram(dump, "post")
    low = int(attr(post, "DW_AT_low_pc"), 16)
    base_local = int(re.search(r"DW_AT_frame_base\s+\(DW_OP_WASM_location 0x0 (0x[0-9a-f]+)", post).group(1), 16)  # type: ignore[union-attr]
    frame = Frame(locals_={base_local: frame_base})
    acct, memo, owner = 0x3000, 0x2000, 0x2100
    frame.put(frame_base + fbreg(post, "acct"), struct.pack("<I", acct))
    frame.put(frame_base + fbreg(post, "memo"), struct.pack("<I", memo))
    frame.put(frame_base + fbreg(post, "amount"), struct.pack("<i", -7))
    frame.put(frame_base + fbreg(post, "kind"), struct.pack("<I", 1))
    frame.put(frame_base + fbreg(post, "before"), struct.pack("<i", 42))
    frame.put(memo, b'say "hi"\x1b[31m\0')
    frame.put(owner, b"bob\0")
    frame.put(acct + member_offset(dump, "id"), struct.pack("<i", 9))
    frame.put(acct + member_offset(dump, "owner"), struct.pack("<I", owner))
    frame.put(acct + member_offset(dump, "balance"), struct.pack("<q", -5_000_000_000))
    frame.put(acct + member_offset(dump, "flags"), bytes([200]))
    return low + 8, frame


def test_parameters_locals_a_struct_through_a_pointer_strings_and_an_enum(ledger: tuple[VariableReader, str]) -> None:
    reader, dump = ledger
    address, frame = post_frame(dump)
    scope = reader.variables_at(address, frame)
    assert scope is not None and scope.function == "post"
    names = by_name(scope)
    assert [v.name for v in scope.variables] == ["acct", "memo", "amount", "kind", "before"]
    assert [names[n].kind for n in ("acct", "memo", "amount", "kind", "before")] == ["parameter"] * 3 + ["local"] * 2
    assert (names["amount"].type_name, names["amount"].value) == ("int", "-7")
    assert (names["kind"].type_name, names["kind"].value) == ("enum kind", "DEPOSIT")
    assert names["before"].value == "42"
    assert names["memo"].type_name == "const char *"
    assert names["memo"].value == '0x2000 "say \\"hi\\"\\x1b[31m"'  # escaped: no ESC byte reaches a terminal
    acct = names["acct"]
    assert (acct.type_name, acct.value) == ("struct account *", "0x3000")
    (pointee,) = acct.children
    assert (pointee.name, pointee.type_name, pointee.kind, pointee.address) == ("*acct", "struct account", "pointee", 0x3000)
    members = {m.name: m for m in pointee.children}
    assert members["id"].value == "9" and members["balance"].value == "-5000000000"
    assert members["owner"].value == '0x2100 "bob"' and members["flags"].value.startswith("200")
    assert members["balance"].type_name == "long long" and members["flags"].type_name == "unsigned char"


def test_a_frame_base_not_captured_or_memory_unreadable_says_why(ledger: tuple[VariableReader, str]) -> None:
    reader, dump = ledger
    address, frame = post_frame(dump)
    base_local = next(iter(frame.locals_))
    uncaptured = reader.variables_at(address, Frame())
    assert uncaptured is not None
    assert all(v.value is None and f"wasm local {base_local}, not captured" in (v.unavailable or "") for v in uncaptured.variables)
    frame.readable = False
    unreadable = by_name(reader.variables_at(address, frame))
    assert unreadable["amount"].value is None and "unreadable" in (unreadable["amount"].unavailable or "")


def test_arrays_and_a_char_buffer_in_main(ledger: tuple[VariableReader, str]) -> None:
    reader, dump = ledger
    main = subprogram(dump, "main")
    low = int(attr(main, "DW_AT_low_pc"), 16)
    block_low = int(re.search(r"DW_TAG_lexical_block\n\s+DW_AT_low_pc\s+\((0x[0-9a-f]+)\)", main).group(1), 16)  # type: ignore[union-attr]
    base_local = int(re.search(r"DW_OP_WASM_location 0x0 (0x[0-9a-f]+)", main).group(1), 16)  # type: ignore[union-attr]
    frame = Frame(locals_={base_local: 0x9000})
    frame.put(0x9000 + fbreg(main, "entries"), struct.pack("<4i", 1, -2, 3, -4))
    frame.put(0x9000 + fbreg(main, "memo"), b"abc\0zzzzzzzzzzzz")
    frame.put(0x9000 + fbreg(main, "i"), struct.pack("<i", 3))
    names = by_name(reader.variables_at(block_low + 1, frame))
    assert names["entries"].type_name == "int[4]" and [c.value for c in names["entries"].children] == ["1", "-2", "3", "-4"]
    assert [c.name for c in names["entries"].children] == ["[0]", "[1]", "[2]", "[3]"]
    assert (names["memo"].type_name, names["memo"].value) == ("char[16]", '"abc"')
    assert names["i"].value == "3"  # the loop's block holds the address: its variable is in scope
    before_loop = by_name(reader.variables_at(low + 1, frame))
    assert "i" not in before_loop and "entries" in before_loop


def test_outside_every_function_there_is_no_scope(ledger: tuple[VariableReader, str]) -> None:
    reader, _ = ledger
    assert reader.variables_at(0xFFFFFF, Frame()) is None


def test_rust_and_cpp_names_are_the_sources() -> None:
    rust = dwarfdump(BUILD / "panic.O0.wasm")
    lookup = subprogram(rust, "lookup", file="rust/panic.rs")
    low = int(attr(lookup, "DW_AT_low_pc"), 16)
    scope = VariableReader(sections(BUILD / "panic.O0.wasm")).variables_at(low + 4, Frame())
    assert scope is not None and scope.function == "panic::lookup"
    assert {v.name: v.type_name for v in scope.variables} == {"table": "&[u32]", "index": "usize"}
    cpp = dwarfdump(BUILD / "cpp_abort.O0.wasm")
    restock = subprogram(cpp, "restock")
    scope = VariableReader(sections(BUILD / "cpp_abort.O0.wasm")).variables_at(int(attr(restock, "DW_AT_low_pc"), 16) + 4, Frame())
    assert scope is not None and scope.function is not None and scope.function.startswith("inventory::restock")
    types = {v.name: v.type_name for v in scope.variables}
    assert "Shelf<int>" in types["shelf"] and types["shelf"].endswith("&")


HOSTILE = sorted(hostile.HOSTILE_CASES)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_dwarf_gives_no_variables_or_some_and_never_raises_or_hangs(case: str) -> None:
    data = hostile.HOSTILE_CASES[case]()
    module = read_module(data)
    found = {s.name: data[s.data_offset : s.end] for s in module.sections if s.is_custom and s.name.startswith(".debug_")}
    reader = VariableReader(found)
    for address in (hostile.TRAP_OFFSET, 0, 1, 0x7FFFFFFF):
        scope = reader.variables_at(address, Frame())
        assert scope is None or isinstance(scope, ScopeVariables)


@pytest.mark.corpus
@pytest.mark.timeout(300)
def test_every_function_of_the_real_dwarf_corpus_reads_without_raising() -> None:
    modules = sorted((CORPUS / "dwarf-binaryen").glob("*.wasm"))
    assert len(modules) >= 10, "../shared/corpus/dwarf-binaryen is missing"
    scopes = 0
    for path in modules:
        module = read_module(path.read_bytes())
        code = module.code_section
        reader = VariableReader(sections(path))
        for body in module.bodies[:200]:
            assert code is not None
            scope = reader.variables_at(body.code_offset - code.offset + 1, Frame(locals_=dict.fromkeys(range(64), 0x100)))
            if scope is not None:
                scopes += 1
                assert all("\x1b" not in (v.value or "") for v in scope.variables)
    assert scopes > 50

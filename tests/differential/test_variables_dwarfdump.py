"""Parameters by name and type, against llvm-dwarfdump, for every function of the C, C++ and Rust samples.

At each function's first address (functions with no inlined calls, so the scope is the function
itself), the parameters wasmdbg lists are the DW_TAG_formal_parameter children llvm-dwarfdump
prints, in order, and their type names agree with the ones it renders (after dropping C's
`struct`/`enum`/`union` keywords and spacing, which llvm-dwarfdump leaves out).
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.helpers import SAMPLES
from tests.unit.test_variables_reader import Frame, sections
from wasmdbg.dwarf.variables import VariableReader

pytestmark = pytest.mark.skipif(shutil.which("llvm-dwarfdump") is None, reason="llvm-dwarfdump is not installed")
_DIE = re.compile(r"^(0x[0-9a-f]+):(\s+)(DW_TAG_\w+|NULL)")
_ATTR = re.compile(r'^\s+(DW_AT_\w+)\s+\((.*)\)$')


def functions(dump: str) -> list[tuple[int, str, list[tuple[str, str]]]]:
    """(low_pc, name, [(parameter, type)]) of each subprogram with code and no inlined calls."""
    out = []
    lines = dump.splitlines()
    current = None  # [indent, low_pc, name, params, has_inlined, ok]
    last_tag: tuple[int, str] | None = None
    param: dict[str, str] = {}

    def close_param() -> None:
        if current is not None and param:
            current[3].append((param.get("name", ""), param.get("type", "void")))
            if "artificial" in param:
                current[3].pop()
        param.clear()

    for line in lines:
        die = _DIE.match(line)
        if die:
            close_param()
            indent, tag = len(die.group(2)), die.group(3)
            if current is not None and indent <= current[0]:
                if current[1] is not None and current[2] and not current[4]:
                    out.append((current[1], current[2], current[3]))
                current = None
            if tag == "DW_TAG_subprogram":
                current = [indent, None, None, [], False]
            elif current is not None and tag == "DW_TAG_inlined_subroutine":
                current[4] = True
            elif current is not None and tag == "DW_TAG_formal_parameter" and indent == current[0] + 2:
                param["open"] = "1"
            last_tag = (indent, tag)
            continue
        match = _ATTR.match(line)
        if not match or current is None or last_tag is None:
            continue
        name, value = match.groups()
        if last_tag[1] == "DW_TAG_subprogram" and last_tag[0] == current[0]:
            if name == "DW_AT_low_pc" and "dead code" not in value:  # a function the linker dropped
                current[1] = int(value.split()[0], 16)
            elif name == "DW_AT_name":
                current[2] = value.strip('"')
        elif param:
            quoted = re.search(r'"(.*)"\)?$', value)
            if name == "DW_AT_name":
                param["name"] = value.strip('"')
            elif name == "DW_AT_abstract_origin" and quoted:
                param.setdefault("name", quoted.group(1))
            elif name == "DW_AT_type" and quoted:
                param["type"] = quoted.group(1)
            elif name == "DW_AT_artificial":
                param["artificial"] = "1"
    close_param()
    return out


def normal(type_name: str) -> str:
    return re.sub(r"\b(struct|union|enum|class) |\s", "", type_name).replace("decltype(nullptr)", "std::nullptr_t")


def comparable(theirs: str, rust: bool) -> bool:
    """Whether llvm-dwarfdump's rendering is the source's: it prints a restrict-qualified pointer
    as `restrict` alone, and Rust's raw pointers and fn pointers C's way (`u8**` for the DIE named
    `*const *const u8`), where wasmdbg keeps the name the DWARF gives."""
    return "restrict" not in theirs and not (rust and ("*" in theirs or "(" in theirs))


@pytest.mark.parametrize("sample", ["ledger.O0.wasm", "cpp_abort.O0.wasm", "panic.O0.wasm"])
def test_parameters_match_llvm_dwarfdump(sample: str) -> None:
    path = SAMPLES / "build" / sample
    dump = subprocess.run(["llvm-dwarfdump", "--debug-info", str(path)], capture_output=True, text=True, check=True).stdout
    listed = functions(dump)
    assert len(listed) > 5
    reader = VariableReader(sections(path))
    wrong, compared = [], 0
    for low_pc, name, params in listed[:400]:
        scope = reader.variables_at(low_pc, Frame())
        if scope is None:
            wrong.append((name, hex(low_pc), "no scope"))
            continue
        ours = [(v.name, normal(v.type_name)) for v in scope.variables if v.kind == "parameter" and v.name != "this"]
        theirs = [(p, normal(t)) for p, t in params if p and p != "this"]
        compared += 1
        if [n for n, _ in ours] != [n for n, _ in theirs]:
            wrong.append((name, hex(low_pc), ours, theirs))
            continue
        for (n, our_type), (_, their_type) in zip(ours, theirs):
            if comparable(their_type, sample.startswith("panic")) and our_type != their_type:
                wrong.append((name, n, our_type, their_type))
    assert compared > 5
    assert wrong == []

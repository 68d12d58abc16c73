"""`wasmdbg symbolize`: formats, address forms, exit statuses, and llvm-symbolizer compatibility."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import SAMPLES, run_cli, sample_manifest, wat
from wasmdbg.wasm.module import read_module
from wasmdbg.wasm.sections import read_sections

BUILD = SAMPLES / "build"
MANIFEST = {str(e["module"]): e for e in sample_manifest()}


def trap_frames(module: str) -> list[dict[str, object]]:
    return [f for f in MANIFEST[module]["trap_frames"] if f["module_offset"] is not None]  # type: ignore[union-attr]


def test_json_is_one_object_per_address_in_input_order() -> None:
    frames = trap_frames("build/divzero.O2.wasm")
    given = [str(frames[0]["module_offset"]), hex(int(frames[1]["module_offset"])), "0x1"]  # type: ignore[arg-type]
    result = run_cli("symbolize", "--format", "json", str(BUILD / "divzero.O2.wasm"), *given)
    assert result.status == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["address"] for r in records] == given
    assert all(set(r) == {"address", "module_offset", "func_index", "frames", "warnings"} for r in records)
    first = records[0]
    assert first["module_offset"] == frames[0]["module_offset"] and first["func_index"] == frames[0]["func_index"]
    locations = frames[0]["locations"]
    assert [(f["function"], f["line"], f["column"]) for f in first["frames"]] == [
        (loc["function"], loc["line"], loc["column"]) for loc in locations  # type: ignore[index, union-attr]
    ]
    assert [f["inlined"] for f in first["frames"]] == [True, False]
    assert records[2]["frames"] == [] and "outside the code section" in records[2]["warnings"][0]
    assert records[2]["warnings"][0].endswith("is it a code-section offset? (--code-offsets)")  # the CLI's hint


def test_code_offsets_flag_takes_code_section_relative_addresses() -> None:
    frame = trap_frames("build/oob.O0.wasm")[0]
    by_module = run_cli("symbolize", "--format", "json", str(BUILD / "oob.O0.wasm"), str(frame["module_offset"]))
    by_code = run_cli(
        "symbolize", "--format", "json", "--code-offsets", str(BUILD / "oob.O0.wasm"), hex(int(frame["code_offset"]))  # type: ignore[arg-type]
    )
    a, b = json.loads(by_module.stdout), json.loads(by_code.stdout)
    assert a["frames"] == b["frames"] and a["module_offset"] == b["module_offset"]


def test_text_output_names_function_file_and_line() -> None:
    offset = str(trap_frames("build/divzero.O2.wasm")[0]["module_offset"])
    result = run_cli("symbolize", str(BUILD / "divzero.O2.wasm"), offset, width=160)
    assert result.status == 0
    assert "quotient" in result.stdout and "divzero.c:13:18" in result.stdout and "(inlined)" in result.stdout


@pytest.mark.skipif(shutil.which("llvm-symbolizer") is None, reason="llvm-symbolizer comes with Debian's llvm")
@pytest.mark.parametrize("sample", ["divzero", "oob", "abort", "badcall", "cpp_abort"])
def test_llvm_format_prints_what_llvm_symbolizer_prints(sample: str) -> None:
    """Line for line, except that where DWARF has no function wasmdbg names it from the name section
    (llvm-symbolizer prints `??` there)."""
    module = f"build/{sample}.O2.wasm"
    code_offsets = [hex(int(f["code_offset"])) for f in trap_frames(module)]  # type: ignore[arg-type]
    ours = run_cli("symbolize", "--format", "llvm", "--code-offsets", str(SAMPLES / module), *code_offsets)
    theirs = subprocess.run(
        ["llvm-symbolizer", f"--obj={SAMPLES / module}", *code_offsets], capture_output=True, text=True, timeout=60
    )
    records = run_cli("symbolize", "--format", "json", "--code-offsets", str(SAMPLES / module), *code_offsets)
    named_elsewhere = {
        f["function"] for line in records.stdout.splitlines() for f in json.loads(line)["frames"] if f["source"] != "dwarf"
    }
    ours_lines, their_lines = ours.stdout.splitlines(), theirs.stdout.splitlines()
    assert len(ours_lines) == len(their_lines)
    for mine, reference in zip(ours_lines, their_lines):
        assert mine == reference or (reference == "??" and mine in named_elsewhere), (mine, reference)
    assert any(mine == reference for mine, reference in zip(ours_lines, their_lines) if ":" in reference)


@pytest.mark.skipif(shutil.which("llvm-symbolizer") is None, reason="llvm-symbolizer comes with Debian's llvm")
def test_rust_names_differ_from_llvm_symbolizer_only_by_demangling() -> None:
    """llvm-symbolizer 14 keeps Rust legacy hashes and `$u7b$` escapes; wasmdbg prints rustc-demangle's form."""
    module = SAMPLES / "build/panic.O2.wasm"
    code_offsets = [hex(int(f["code_offset"])) for f in trap_frames("build/panic.O2.wasm")]  # type: ignore[arg-type]
    ours = run_cli("symbolize", "--format", "llvm", "--code-offsets", str(module), *code_offsets).stdout.splitlines()
    theirs = subprocess.run(
        ["llvm-symbolizer", f"--obj={module}", *code_offsets], capture_output=True, text=True, timeout=60
    ).stdout.splitlines()
    assert len(ours) == len(theirs)
    locations = [(o, t) for o, t in zip(ours, theirs) if ":" in t and "/" in t]
    assert locations and all(o == t for o, t in locations)
    names = [(o, t) for o, t in zip(ours, theirs) if (o, t) not in locations and t]
    assert any(t != o for o, t in names)  # the hashes really differ ...
    assert all(finish_rust_legacy(t) == o for o, t in names if t != "??")  # ... and nothing else does


_LEGACY_ESCAPES = {"$u7b$": "{", "$u7d$": "}", "$LT$": "<", "$GT$": ">", "$u20$": " ", "$RF$": "&", "$BP$": "*",
                   "$C$": ",", "$u27$": "'", "$u5b$": "[", "$u5d$": "]", "$u7e$": "~", "..": "::"}  # fmt: skip


def finish_rust_legacy(name: str) -> str:
    """What rustc-demangle's alternate form makes of llvm-symbolizer 14's half-demangled Rust legacy name."""
    import re

    name = re.sub(r"::h[0-9a-f]{16}$", "", name).replace("::_$", "::$")  # `_` guards a leading escape
    for escape, text in _LEGACY_ESCAPES.items():
        name = name.replace(escape, text)
    return name


@pytest.mark.parametrize(
    "argv",
    [
        ["symbolize", str(BUILD / "divzero.O2.wasm"), "zz"],
        ["symbolize", str(BUILD / "divzero.O2.wasm"), "-5"],
        ["symbolize", "--format", "yaml", str(BUILD / "divzero.O2.wasm"), "1"],
    ],
    ids=["junk-address", "negative", "bad-format"],
)
def test_usage_errors_exit_2(argv: list[str]) -> None:
    result = run_cli(*argv)
    assert result.status == 2 and result.stdout == "" and result.stderr


def test_unreadable_module_and_mismatched_debug_file_exit_1() -> None:
    missing = run_cli("symbolize", "/nonexistent.wasm", "1")
    assert missing.status == 1 and missing.stderr.count("\n") == 1
    mismatch = run_cli(
        "symbolize", "--debug-file", str(BUILD / "oob.debug.wasm"), str(BUILD / "divzero.stripped.wasm"), "500"
    )
    assert mismatch.status == 1 and "build ids differ" in mismatch.stderr and mismatch.stderr.count("\n") == 1


def test_wat_module_symbolizes_as_its_assembled_binary_when_given_text(tmp_path: Path) -> None:
    source = SAMPLES / "wat" / "table_oob.wat"
    binary = tmp_path / "table_oob.wasm"
    binary.write_bytes(wat(source.read_text()))
    code = read_module(binary.read_bytes()).code_section
    assert code is not None
    addresses = [str(code.offset + 1), hex(code.end - 1)]
    ours = run_cli("symbolize", "--format", "json", str(source), *addresses)
    theirs = run_cli("symbolize", "--format", "json", str(binary), *addresses)
    assert ours.status == theirs.status == 0, ours.stderr
    assert ours.stdout == theirs.stdout
    records = [json.loads(line) for line in ours.stdout.splitlines()]
    assert all(r["func_index"] is not None and r["frames"][0]["source"] == "name" for r in records)


def test_debug_file_in_text_format_supplies_names_when_given_with_debug_file(tmp_path: Path) -> None:
    source = SAMPLES / "wat" / "int_overflow.wat"
    data = wat(source.read_text())
    names = next(s for s in read_sections(data) if s.name == "name")
    stripped = tmp_path / "m.wasm"
    stripped.write_bytes(data[: names.header_offset] + data[names.end :])
    code = read_module(stripped.read_bytes()).code_section
    assert code is not None
    address = str(code.end - 1)
    alone = json.loads(run_cli("symbolize", "--format", "json", str(stripped), address).stdout)
    named = run_cli("symbolize", "--format", "json", "--debug-file", str(source), str(stripped), address)
    assert named.status == 0, named.stderr
    assert alone["frames"][0]["source"] != "name"
    assert json.loads(named.stdout)["frames"][0]["source"] == "name"

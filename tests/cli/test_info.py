"""`wasmdbg info`: JSON shape, text output, exit statuses and one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import CORPUS, SAMPLES, run_cli, sample_manifest, wasm_tools, wat
from wasmdbg.cli.status import ExitStatus

DIVZERO_O0 = SAMPLES / "build" / "divzero.O0.wasm"
DIVZERO_NAMES = SAMPLES / "build" / "divzero.names.wasm"
DIVZERO_STRIPPED = SAMPLES / "build" / "divzero.stripped.wasm"
DIVZERO_DEBUG = SAMPLES / "build" / "divzero.debug.wasm"
STRIPPED = sorted((SAMPLES / "build").glob("*.stripped.wasm"))
LEGACY_EXCEPTIONS = '(module (tag $e) (func (export "f") try throw $e catch $e end))'
CONTRACT_KEYS = {"path", "size", "sha256", "sections", "code_section", "functions", "imports", "exports",
                 "memories", "debug"}
DEBUG_KEYS = {"dwarf_sections", "dwarf_version", "name_section", "build_id", "external_debug_info",
              "source_mapping_url", "producers"}


def test_json_has_the_contracted_shape() -> None:
    result = run_cli("info", "--format", "json", str(DIVZERO_O0))
    assert result.status == ExitStatus.OK, result.stderr
    info = result.json()
    assert isinstance(info, dict)
    assert CONTRACT_KEYS <= info.keys()
    assert DEBUG_KEYS <= info["debug"].keys()
    assert all({"id", "name", "offset", "size"} <= s.keys() for s in info["sections"])
    assert {"imported", "defined"} == info["functions"].keys()
    assert all({"min_pages", "max_pages"} <= m.keys() for m in info["memories"])
    assert result.stderr == ""


def test_json_facts_agree_with_the_file_and_wasm_tools() -> None:
    import hashlib

    info = run_cli("info", "--format", "json", str(DIVZERO_O0)).json()
    assert isinstance(info, dict)
    data = DIVZERO_O0.read_bytes()
    assert info["size"] == len(data)
    assert info["sha256"] == hashlib.sha256(data).hexdigest()
    dump = wasm_tools("objdump", str(DIVZERO_O0))
    code_line = next(line for line in dump.splitlines() if line.strip().startswith("code "))
    assert f"0x{info['code_section']['offset']:x} -" in code_line
    assert info["debug"]["dwarf_version"] in (4, 5)
    assert ".debug_line" in info["debug"]["dwarf_sections"]
    assert info["symbolization"]["level"] == "source"


def test_verdicts_follow_the_debug_info_present() -> None:
    levels = {}
    for path in (DIVZERO_O0, DIVZERO_NAMES, DIVZERO_STRIPPED):
        info = run_cli("info", "--format", "json", str(path)).json()
        assert isinstance(info, dict)
        levels[path.name] = info["symbolization"]["level"]
    # The stripped module's debug file lies beside it, so its DWARF is used, as `symbolize` uses it.
    assert levels == {DIVZERO_O0.name: "source", DIVZERO_NAMES.name: "names", DIVZERO_STRIPPED.name: "source"}


def test_stripped_module_names_its_debug_file_and_build_id() -> None:
    stripped = run_cli("info", "--format", "json", str(DIVZERO_STRIPPED)).json()
    debug = run_cli("info", "--format", "json", str(DIVZERO_DEBUG)).json()
    assert isinstance(stripped, dict) and isinstance(debug, dict)
    assert stripped["debug"]["external_debug_info"] == "divzero.debug.wasm"
    assert stripped["debug"]["build_id"] and stripped["debug"]["build_id"] == debug["debug"]["build_id"]
    assert stripped["debug"]["dwarf_sections"] == [] and not stripped["debug"]["name_section"]
    assert "divzero.debug.wasm" in stripped["symbolization"]["summary"]


def test_text_output_shows_sections_and_verdict() -> None:
    result = run_cli("info", str(DIVZERO_O0), width=120)
    assert result.status == ExitStatus.OK
    assert "source lines" in result.stdout
    assert ".debug_info" in result.stdout
    assert "\x1b" not in result.stdout  # not a terminal: no colour codes


def test_hostile_names_cannot_inject_escapes_or_markup(tmp_module: Callable[..., Path]) -> None:
    path = tmp_module(wat(r'(module (func (export "\1b]0;pwned\07[bold]x[/bold][@click=quit]")))'))
    result = run_cli("info", str(path), width=200)
    assert result.status == ExitStatus.OK
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b]0;pwned\\x07[bold]x[/bold][@click=quit]" in result.stdout


def _file(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        (tmp / name).write_bytes(data)
        return tmp / name

    return make


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "missing.wasm", "No such file or directory"),
        (lambda tmp: tmp, "is a directory"),
        (_file("empty.wasm", b""), "magic header not detected"),
        (_file("t.wasm", DIVZERO_O0.read_bytes()[:5000]), "offset 0x"),
        (_file("x.wasm", b"hello world"), "not a WebAssembly module"),
    ],
    ids=["missing", "directory", "empty", "truncated", "text"],
)
def test_unusable_input_is_one_line_and_exit_1(tmp_path: Path, make: Callable[[Path], Path], message: str) -> None:
    result = run_cli("info", str(make(tmp_path)))
    assert result.status == ExitStatus.ERROR == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("wasmdbg: error: ")
    assert message in result.stderr


def test_fifo_is_refused_instead_of_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.wasm"
    os.mkfifo(fifo)
    result = run_cli("info", str(fifo))
    assert result.status == ExitStatus.ERROR
    assert "not a regular file" in result.stderr


def test_invalid_module_is_reported_with_wasmtimes_reason(tmp_module: Callable[..., Path]) -> None:
    # Well-formed, but the function leaves a value on the stack.
    path = tmp_module(bytes.fromhex("0061736d01000000010401600000030201000a06010400412a0b"))
    result = run_cli("info", str(path))
    assert result.status == ExitStatus.ERROR
    assert "invalid module" in result.stderr and "type mismatch" in result.stderr
    shown = run_cli("info", "--no-validate", "--format", "json", str(path))
    assert shown.status == ExitStatus.OK and isinstance(shown.json(), dict)


def _dwarf_address(module: Path) -> int:
    """A module offset of the sample's trap backtrace that DWARF maps to a source line."""
    entry = next(e for e in sample_manifest() if e["module"] == f"build/{module.name}")
    frames = entry["trap_frames"]
    assert isinstance(frames, list)
    return next(int(f["module_offset"]) for f in frames if f["module_offset"] is not None and f["locations"])


@pytest.mark.parametrize("module", STRIPPED, ids=lambda p: p.name)
def test_info_and_symbolize_agree_on_a_stripped_module_when_its_debug_file_is_beside_it(module: Path) -> None:
    info = run_cli("info", "--format", "json", "--no-validate", str(module)).json()
    assert isinstance(info, dict)
    expected = (module.parent / str(info["debug"]["external_debug_info"])).resolve()
    assert info["symbolization"]["level"] == "source"
    assert info["symbolization"]["debug_file"] == info["debug"]["debug_file"]["path"] == str(expected)
    assert info["symbolization"]["notes"] == []
    assert info["debug"]["dwarf_sections"] == []  # the module's own sections are still reported as they are
    assert ".debug_line" in info["debug"]["debug_file"]["dwarf_sections"]
    assert info["debug"]["debug_file"]["build_id"] == info["debug"]["build_id"]
    symbolized = run_cli("symbolize", "--format", "json", str(module), str(_dwarf_address(module)))
    assert symbolized.status == ExitStatus.OK, symbolized.stderr
    frames = json.loads(symbolized.stdout)["frames"]
    assert frames and frames[0]["source"] == "dwarf" and frames[0]["file"] and frames[0]["line"]


@pytest.mark.parametrize("module", STRIPPED, ids=lambda p: p.name)
def test_info_and_symbolize_agree_on_a_stripped_module_when_it_is_alone(module: Path, tmp_path: Path) -> None:
    alone = tmp_path / module.name
    shutil.copyfile(module, alone)
    info = run_cli("info", "--format", "json", "--no-validate", str(alone)).json()
    assert isinstance(info, dict)
    why = f"external_debug_info names {info['debug']['external_debug_info']}, which is not beside the module"
    assert info["symbolization"]["level"] in ("names", "indices")
    assert info["symbolization"]["debug_file"] is None and info["debug"]["debug_file"] is None
    assert info["symbolization"]["notes"] == [why] and why in info["symbolization"]["summary"]
    symbolized = run_cli("symbolize", "--format", "json", str(alone), str(_dwarf_address(module)))
    assert symbolized.status == ExitStatus.OK, symbolized.stderr
    record = json.loads(symbolized.stdout)
    assert why in record["warnings"]
    assert record["frames"] and all(f["file"] is None and f["source"] != "dwarf" for f in record["frames"])


def test_text_output_names_the_debug_file_when_the_dwarf_comes_from_it() -> None:
    result = run_cli("info", str(DIVZERO_STRIPPED), width=400)
    assert result.status == ExitStatus.OK, result.stderr
    lines = result.stdout.splitlines()
    debug_file = str(DIVZERO_DEBUG.resolve())
    assert any(line.startswith("DWARF from") and line.rstrip().endswith(debug_file) for line in lines)
    assert any(line.startswith("debug file") and line.rstrip().endswith(debug_file) for line in lines)
    assert "source lines" in result.stdout and "indices only" not in result.stdout


def test_refused_module_is_still_described_when_wasmtime_refuses_it(tmp_module: Callable[..., Path]) -> None:
    path = tmp_module(wat(LEGACY_EXCEPTIONS))
    text = run_cli("info", str(path), width=200)
    assert text.status == ExitStatus.ERROR == 1
    assert "wasmtime refuses this module: legacy_exceptions feature required" in text.stdout
    assert "Sections" in text.stdout and "Exports" in text.stdout
    assert text.stderr.count("\n") == 1 and text.stderr.startswith("wasmdbg: error: invalid module: ")
    shown = run_cli("info", "--format", "json", str(path))
    assert shown.status == ExitStatus.ERROR and shown.stderr == text.stderr
    info = shown.json()
    assert isinstance(info, dict) and CONTRACT_KEYS <= info.keys()
    assert info["validated"] is False
    assert info["validation"]["valid"] is False and "legacy_exceptions" in info["validation"]["error"]
    assert info["validation"]["offset"] == 0x23
    assert [e["name"] for e in info["exports"]] == ["f"]


def test_malformed_function_body_is_one_line_and_exit_1_when_wasmtime_refuses_it(
    tmp_module: Callable[..., Path],
) -> None:
    # The layout reads, but the body holds an illegal opcode: malformed, so not described.
    path = tmp_module(bytes.fromhex("0061736d01000000010401600000030201000a0601040001ff0b"))
    for argv in (["info"], ["info", "--format", "json"]):
        result = run_cli(*argv, str(path))
        assert result.status == ExitStatus.ERROR and result.stdout == ""
        assert result.stderr == "wasmdbg: error: invalid module: illegal opcode: 0xff (at offset 0x18) (wasmtime)\n"


@pytest.mark.corpus
@pytest.mark.skipif(not (CORPUS / "spec").exists(), reason="../shared/corpus is absent (present in CI)")
def test_every_spec_invalid_module_is_described_and_exits_1_when_refused() -> None:
    corpus = CORPUS / "spec"
    cases = [json.loads(line) for line in (corpus / "malformed.jsonl").read_text().splitlines() if line.strip()]
    invalid = [c for c in cases if c["assertion"] == "assert_invalid"]
    described = 0
    for case in invalid:
        result = run_cli("info", "--format", "json", str(corpus / case["file"]))
        assert result.status == ExitStatus.ERROR, case["file"]
        assert result.stderr.count("\n") == 1
        if result.stdout:  # the reader could read it: wasmtime's refusal is the finding
            info = result.json()
            assert isinstance(info, dict) and info["validation"]["valid"] is False
            assert "invalid module: " + info["validation"]["error"] in result.stderr
            described += 1
    assert described == len(invalid) == 11  # every assert_invalid module is well formed


def test_wat_module_gives_the_facts_of_its_assembled_binary(tmp_module: Callable[..., Path]) -> None:
    source = SAMPLES / "wat" / "multi.wat"
    ours = run_cli("info", "--format", "json", str(source))
    assert ours.status == ExitStatus.OK, ours.stderr
    binary = run_cli("info", "--format", "json", str(tmp_module(wat(source.read_text()))))
    a, b = ours.json(), binary.json()
    assert isinstance(a, dict) and isinstance(b, dict)
    assert (a.pop("path"), a.pop("format"), b.pop("format")) == (str(source), "text", "binary")
    b.pop("path")
    assert a == b
    text = run_cli("info", str(source), width=200)
    assert text.status == ExitStatus.OK and "text, assembled by wasmtime" in text.stdout


def test_broken_wat_is_one_line_and_exit_1(tmp_module: Callable[..., Path]) -> None:
    path = tmp_module(b";; broken\n(module (func (i32.add)) oops\n", "broken.wat")
    for argv in (["info"], ["info", "--format", "json"], ["symbolize"]):
        result = run_cli(*argv, str(path), *(["0x20"] if argv == ["symbolize"] else []))
        assert result.status == ExitStatus.ERROR, argv
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1 and "\x1b" not in result.stderr
        assert "broken.wat: invalid WebAssembly text at line 2, column 26: expected `(`" in result.stderr


@pytest.mark.parametrize(
    "argv",
    [["info"], ["info", "--format", "xml", "m.wasm"], ["info", "--bogus", "m.wasm"], ["frobnicate"], []],
    ids=["no-module", "bad-format", "unknown-flag", "unknown-command", "nothing"],
)
def test_usage_errors_exit_2(argv: list[str]) -> None:
    result = run_cli(*argv)
    assert result.status == ExitStatus.USAGE == 2
    assert result.stdout == ""
    assert result.stderr


def test_help_explains_the_command() -> None:
    result = run_cli("info", "--help")
    assert result.status == ExitStatus.OK
    assert "--format" in result.stdout and "symbolization" in result.stdout


def test_console_script_and_module_entry_points_work() -> None:
    for argv in ([sys.executable, "-m", "wasmdbg"], [str(Path(sys.executable).parent / "wasmdbg")]):
        proc = subprocess.run([*argv, "info", "--format", "json", str(DIVZERO_O0)],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["size"] == DIVZERO_O0.stat().st_size
        missing = subprocess.run([*argv, "info", "/nonexistent.wasm"], capture_output=True, text=True, timeout=60)
        assert missing.returncode == 1
        assert missing.stderr.count("\n") == 1 and "Traceback" not in missing.stderr

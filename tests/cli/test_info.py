"""`wasmdbg info`: JSON shape, text output, exit statuses and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import SAMPLES, run_cli, wasm_tools, wat
from wasmdbg.cli.status import ExitStatus

DIVZERO_O0 = SAMPLES / "build" / "divzero.O0.wasm"
DIVZERO_NAMES = SAMPLES / "build" / "divzero.names.wasm"
DIVZERO_STRIPPED = SAMPLES / "build" / "divzero.stripped.wasm"
DIVZERO_DEBUG = SAMPLES / "build" / "divzero.debug.wasm"
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
    assert levels == {DIVZERO_O0.name: "source", DIVZERO_NAMES.name: "names", DIVZERO_STRIPPED.name: "indices"}


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

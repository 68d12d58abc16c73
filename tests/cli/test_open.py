"""`wasmdbg open` headless (text and JSON) and `wasmdbg run --coredump`: what scripts get, and the errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import ROOT, SAMPLES, run_cli, wasm_tools
from wasmdbg.coredump.read import read_coredump

BUILD = SAMPLES / "build"
DUMPS = ROOT / "tests" / "fixtures" / "coredump"


def test_run_coredump_writes_a_dump_that_open_reads_back(tmp_path: Path) -> None:
    dump = tmp_path / "oob.coredump"
    ran = run_cli("run", "--format", "json", "--coredump", str(dump), str(BUILD / "oob.O0.wasm"))
    assert ran.status == 134, ran.stderr
    wasm_tools("validate", str(dump))
    opened = run_cli("open", "--format", "json", str(dump))
    assert opened.status == 0, opened.stderr
    live, post = json.loads(ran.stdout), json.loads(opened.stdout)
    assert post["postmortem"]["kind"] == "coredump"
    assert [(f["func_index"], f["module_offset"], f["function"], f["line"]) for f in post["frames"]] == [
        (f["func_index"], f["module_offset"], f["function"], f["line"]) for f in live["frames"]
    ]
    assert post["trap"] == live["trap"] and post["explanation"] == live["explanation"]
    assert post["postmortem"]["memory"]["size"] == live["memory"]["pages"] * live["memory"]["page_bytes"]


def test_open_text_prints_the_trap_the_notes_and_the_globals() -> None:
    result = run_cli("open", "--module", str(BUILD / "divzero.O0.wasm"), str(DUMPS / "divzero.O0.coredump"))
    assert result.status == 0, result.stderr
    assert "quotient" in result.stdout and "i32.div_s" in result.stdout
    assert "does not record the trap's reason" in result.stdout
    assert "__stack_pointer" in result.stdout


def test_open_a_report_written_by_run(tmp_path: Path) -> None:
    report = tmp_path / "run.json"
    assert run_cli("run", "--report", str(report), str(BUILD / "divzero.O0.wasm")).status == 134
    result = run_cli("open", "--format", "json", str(report))
    assert result.status == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["postmortem"]["kind"] == "report" and data["postmortem"]["notes"] == []
    assert data["trap"]["kind"] == "integer_division_by_zero" and data["frames"][0]["function"] == "quotient"
    assert data == {**json.loads(report.read_text()), "postmortem": data["postmortem"]}


def test_run_coredump_after_a_normal_exit_says_none_was_written(tmp_path: Path) -> None:
    dump = tmp_path / "none.coredump"
    result = run_cli("run", "--coredump", str(dump), str(BUILD / "hello.O0.wasm"))
    assert result.status == 0
    assert "no coredump written" in result.stderr and not dump.exists()


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["run", "--coredump", "/nonexistent-dir/x.core", str(BUILD / "divzero.O0.wasm")], "--coredump"),
        (["open"], "FILE"),
        (["open", "/nonexistent/file.json"], "No such file"),
    ],
)
def test_bad_paths_are_one_line_errors(argv: list[str], said: str) -> None:
    result = run_cli(*argv)
    assert result.status in (1, 2)
    assert said in result.stderr and "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("wasmdbg")]) == 1


def test_open_a_module_instead_of_a_dump_says_what_it_is() -> None:
    result = run_cli("open", str(BUILD / "divzero.O0.wasm"))
    assert result.status == 1 and "not a wasm coredump" in result.stderr


def test_a_truncated_real_dump_still_opens(tmp_path: Path) -> None:
    data = (DUMPS / "oob.O0.coredump").read_bytes()
    cut = tmp_path / "cut.coredump"
    cut.write_bytes(data[:-300])
    assert read_coredump(cut.read_bytes()).notes
    result = run_cli("open", "--format", "json", "--module", str(BUILD / "oob.O0.wasm"), str(cut))
    assert result.status == 0, result.stderr
    assert json.loads(result.stdout)["postmortem"]["notes"]

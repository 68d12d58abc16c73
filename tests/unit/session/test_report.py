"""RunReport: built once by the session from real runs, its JSON a contract, read back to the same report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import SAMPLES, sample_manifest
from wasmdbg.runner.limits import RunLimits
from wasmdbg.session.live import RunRequest
from wasmdbg.session.report import REPORT_FORMAT, ReportFormatError, RunReport
from wasmdbg.session.session import Session, SessionOptions
from wasmdbg.symbols.sources import SourceExcerpt, SourceMissing

BUILD = SAMPLES / "build"
MANIFEST = {str(e["module"]): e for e in sample_manifest()}
FORMAT_1_KEYS = {"outcome", "exit_code", "results", "trap", "explanation", "frames", "frames_truncated",
                 "fuel_consumed", "memory", "limits", "limits_hit", "samples", "stdout", "stderr",
                 "stdout_dropped", "stderr_dropped", "duration_s", "module", "notes", "message"}  # fmt: skip


def run(module: Path, request: RunRequest = RunRequest(), **options: object) -> RunReport:
    session = Session.open(str(module), SessionOptions(**options))  # type: ignore[arg-type]
    with session.start_run(request) as live:
        return session.finish(live)


@pytest.mark.parametrize(
    ("sample", "request_"),
    [
        ("divzero.O2.wasm", RunRequest()),
        ("panic.stripped.wasm", RunRequest()),
        ("stackoverflow.O0.wasm", RunRequest()),
        ("exitcode.O0.wasm", RunRequest()),
        ("spin.O2.wasm", RunRequest(limits=RunLimits(timeout_s=0.3))),
        ("leak.O0.wasm", RunRequest(limits=RunLimits(max_memory_bytes=8 << 20))),
    ],
)
def test_a_report_survives_its_json(sample: str, request_: RunRequest) -> None:
    report = run(BUILD / sample, request_, source_roots=(str(SAMPLES),))
    data = json.loads(json.dumps(report.to_json()))
    assert FORMAT_1_KEYS <= data.keys() and data["format"] == REPORT_FORMAT
    assert RunReport.from_json(data) == report


@pytest.mark.parametrize("sample", ["divzero", "oob", "abort", "panic", "cpp_abort"])
def test_the_report_carries_the_user_frame_and_its_source(sample: str) -> None:
    entry = MANIFEST[f"build/{sample}.O0.wasm"]
    user = entry["innermost_user_frame"]
    assert isinstance(user, dict)
    report = run(SAMPLES / str(entry["module"]), source_roots=(str(SAMPLES),))
    frame = report.user_source_frame
    assert frame is not None and frame.line == user["line"]
    assert isinstance(report.source, SourceExcerpt) and report.source.line == user["line"]
    source_file = (SAMPLES / str(user["file"]).lstrip("./").replace("../", "")).resolve()
    wanted = source_file.read_text().splitlines()[int(user["line"]) - 1]
    assert dict(report.source.lines)[int(user["line"])] == wanted
    data = report.to_json()
    assert data["frames"][data["user_frame"]]["line"] == user["line"]


def test_a_source_outside_the_roots_is_said_not_read(tmp_path: Path) -> None:
    report = run(BUILD / "divzero.O0.wasm", source_roots=(str(tmp_path),))
    assert isinstance(report.source, SourceMissing) and report.source.kind == "outside_roots"


def test_a_newer_or_damaged_report_is_refused() -> None:
    report = run(BUILD / "hello.O0.wasm").to_json()
    with pytest.raises(ReportFormatError, match="newer"):
        RunReport.from_json({**report, "format": REPORT_FORMAT + 1})
    for damaged in ({}, {"outcome": "trapped", "frames": "nope"}, {"outcome": "exited", "samples": [{"x": 1}]}):
        with pytest.raises(ReportFormatError):
            RunReport.from_json(damaged)


def test_a_session_disassembles_as_wasm_tools_prints() -> None:
    import re

    from tests.helpers import wasm_tools

    module = BUILD / "divzero.O2.wasm"
    printed = {
        int(m[1], 16): m[2]
        for m in re.finditer(r"^\(;@([0-9a-f]+)\s*;\)\s+([a-z0-9_.]+)", wasm_tools("print", "-p", str(module)), re.M)
    }
    session = Session.open(str(module))
    recorded = MANIFEST["build/divzero.O2.wasm"]["trap_frames"]
    assert isinstance(recorded, list)
    for frame in recorded[:3]:
        listing = session.disassemble(frame["func_index"])
        checked = [i for i in listing.instructions if i.mnemonic != "end"]
        assert checked and all(printed.get(i.offset) == i.mnemonic for i in checked)
        at = listing.index_of(frame["module_offset"])
        assert at is not None and listing.instructions[at].offset == frame["module_offset"]
    faulting = session.disassemble(recorded[0]["func_index"])
    assert faulting.instructions[faulting.index_of(recorded[0]["module_offset"]) or 0].mnemonic == "i32.div_s"

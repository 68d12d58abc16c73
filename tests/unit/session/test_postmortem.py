"""Post-mortem: saved reports and wasm coredumps (real wasmtime CLI dumps and our own) opened as reports.

Independent checks: wasmtime's own coredumps (tests/fixtures/coredump, written by the wasmtime CLI),
`wasm-tools addr2line` for the source line of each converted offset, `wasm-tools print
--print-offsets` for the faulting instruction, and the live run's memory for a dump's bytes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT, SAMPLES, wasm_tools, wasm_tools_path
from wasmdbg.coredump.read import read_coredump
from wasmdbg.errors import WasmdbgError
from wasmdbg.runner import protocol as p
from wasmdbg.session.coredump import coredump_bytes
from wasmdbg.session.live import RunRequest
from wasmdbg.session.postmortem import COREDUMP, REPORT, open_postmortem
from wasmdbg.session.session import Session, SessionOptions

BUILD = SAMPLES / "build"
DUMPS = ROOT / "tests" / "fixtures" / "coredump"
ROOTS = SessionOptions(source_roots=(str(SAMPLES),))


def _addr2line(module: Path, offset: int) -> tuple[str, int] | None:
    """(innermost function, line) for a module offset, as wasm-tools addr2line says; None without DWARF there."""
    result = subprocess.run([wasm_tools_path(), "addr2line", str(module), f"{offset:#x}"], capture_output=True, text=True)
    if "no dwarf frames" in result.stdout + result.stderr:
        return None
    out = result.stdout
    match = re.search(r"0x[0-9a-f]+: (\S+) \S*?:(\d+):\d+$", out.strip(), re.M)
    assert match, out
    return match.group(1), int(match.group(2))


def _instruction_at(module: Path, offset: int) -> str:
    """The instruction at a module offset, as `wasm-tools print --print-offsets` prints it."""
    for line in wasm_tools("print", "--print-offsets", str(module)).splitlines():
        match = re.match(r"\s*\(;@([0-9a-f]+)\s*;\)\s*(\S+)", line)
        if match and int(match.group(1), 16) == offset:
            return match.group(2)
    raise AssertionError(f"no instruction at {offset:#x}")


@pytest.mark.parametrize(("name", "innermost", "instruction"), [("divzero.O0", "quotient", "i32.div_s"),
                                                                 ("oob.O0", "store_field", "i32.store")])  # fmt: skip
def test_a_wasmtime_cli_coredump_opens_symbolized_against_its_module(name: str, innermost: str, instruction: str) -> None:
    module = BUILD / f"{name}.wasm"
    pm = open_postmortem(str(DUMPS / f"{name}.coredump"), module=str(module), options=ROOTS)
    assert pm.kind == COREDUMP and pm.session is not None
    stack = pm.report.stack
    dump = read_coredump((DUMPS / f"{name}.coredump").read_bytes())
    assert [f.func_index for f in stack] == [f.func_index for f in dump.frames]
    for frame in stack:
        assert frame.module_offset is not None
        found = _addr2line(module, frame.module_offset)
        if found is None:  # libc's start-up code has no DWARF: nor has our frame
            assert frame.sources[0].line is None
            continue
        function, line = found
        outer = frame.sources[-1]
        # addr2line names the innermost inlined function first; ours lists it first too.
        assert frame.sources[0].function == function or outer.function == function
        if frame.sources[0].line is not None:
            assert frame.sources[0].line == line
    assert stack[0].sources[0].function == innermost
    assert _instruction_at(module, stack[0].module_offset or 0) == instruction
    assert pm.memory is not None and pm.memory.size == dump.memories[0].size
    assert any(g.name == "__stack_pointer" and g.captured for g in pm.globals)


def test_the_module_a_wasmtime_coredump_names_is_found_from_the_repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # wasmtime records the path it was given (relative to where it ran: the repository root).
    monkeypatch.chdir(ROOT)
    pm = open_postmortem(str(DUMPS / "divzero.O0.coredump"))
    assert pm.session is not None and Path(pm.session.path).resolve() == (BUILD / "divzero.O0.wasm").resolve()
    assert not any("not found" in note for note in pm.notes)


def test_a_coredump_of_another_module_is_said_and_still_opens() -> None:
    pm = open_postmortem(str(DUMPS / "oob.O0.coredump"), module=str(BUILD / "divzero.O0.wasm"))
    assert pm.session is None
    assert any("does not come from" in note for note in pm.notes)
    assert [f.func_index for f in pm.report.stack] == [f.func_index for f in read_coredump((DUMPS / "oob.O0.coredump").read_bytes()).frames]
    assert pm.memory is not None  # the memory is the dump's, whatever the module


def test_a_coredump_whose_module_is_missing_opens_with_frames_by_index(tmp_path: Path) -> None:
    dump = tmp_path / "lonely.coredump"
    shutil.copy(DUMPS / "divzero.O0.coredump", dump)
    os.chdir(tmp_path)
    try:
        pm = open_postmortem(str(dump))
    finally:
        os.chdir(ROOT)
    assert pm.session is None and any("was not found" in n and "--module" in n for n in pm.notes)
    assert pm.report.stack and all((f.sources[0].function or "").startswith("<wasm function") for f in pm.report.stack)


def _stopped_run(module: Path) -> tuple[Session, bytes, object, bytes]:
    """Run a trap sample; return its session, the coredump we write, the live report, and its memory."""
    session = Session.open(str(module), ROOTS)
    with session.start_run(RunRequest()) as live:
        report = session.finish(live)
        size = live.memory_size()
        memory = b"".join(live.read_memory(a, min(1 << 20, size - a)) for a in range(0, size, 1 << 20))
        data = coredump_bytes(session.module, session.path, live, report)
    return session, data, report, memory


@pytest.mark.parametrize("sample", ["divzero.O0", "oob.O0", "panic.O0"])
def test_run_coredump_then_open_gives_the_live_frames_and_memory(sample: str, tmp_path: Path) -> None:
    session, data, live_report, live_memory = _stopped_run(BUILD / f"{sample}.wasm")
    wasm_tools("validate", "-", input=data)  # type: ignore[call-arg]
    path = tmp_path / "run.coredump"
    path.write_bytes(data)
    pm = open_postmortem(str(path), module=session.path, options=ROOTS)
    assert pm.session is not None
    assert live_report.stack == pm.report.stack  # type: ignore[attr-defined]
    assert pm.memory is not None and pm.memory.read(0, len(live_memory)) == live_memory
    assert pm.report.trap is not None and live_report.trap is not None  # type: ignore[attr-defined]
    assert pm.report.trap.kind == live_report.trap.kind  # type: ignore[attr-defined]
    assert pm.report.explanation == live_report.explanation  # type: ignore[attr-defined]


def test_a_report_reopens_as_it_was_written(tmp_path: Path) -> None:
    session = Session.open(str(BUILD / "divzero.O0.wasm"), ROOTS)
    with session.start_run(RunRequest()) as live:
        report = session.finish(live)
    path = tmp_path / "run.json"
    path.write_text(json.dumps(report.to_json()))
    pm = open_postmortem(str(path), options=ROOTS)
    assert pm.kind == REPORT and pm.session is not None and not pm.notes
    assert pm.report == report and pm.memory is None
    assert "coredump" in pm.memory_unavailable


def _saved_report(tmp_path: Path, **changes: object) -> Path:
    session = Session.open(str(BUILD / "divzero.O0.wasm"), ROOTS)
    with session.start_run(RunRequest()) as live:
        data = session.finish(live).to_json()
    for key, value in changes.items():
        if key == "sha256" or key == "path":
            data["module"][key] = value
        else:
            data[key] = value
    path = tmp_path / "run.json"
    path.write_text(json.dumps(data))
    return path


def test_a_report_of_another_build_says_so_and_shows_its_own_stack(tmp_path: Path) -> None:
    path = _saved_report(tmp_path, sha256="0" * 64)
    pm = open_postmortem(str(path))
    assert pm.session is None and any("not the module that ran" in n for n in pm.notes)
    assert pm.report.stack and pm.report.stack[0].sources[0].function == "quotient"


def test_a_report_whose_module_moved_opens_and_module_finds_it(tmp_path: Path) -> None:
    path = _saved_report(tmp_path, path=str(tmp_path / "gone.wasm"))
    assert any("was not found" in n for n in open_postmortem(str(path)).notes)
    found = open_postmortem(str(path), module=str(BUILD / "divzero.O0.wasm"))
    assert found.session is not None and not found.notes


def test_a_newer_report_is_read_as_far_as_it_is_understood(tmp_path: Path) -> None:
    pm = open_postmortem(str(_saved_report(tmp_path, format=99, some_new_key={"x": 1})))
    assert any("format 99" in n and "upgrade" in n for n in pm.notes)
    assert pm.report.outcome == p.TRAPPED and pm.report.stack


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"hello, not json", "neither a wasmdbg report"),
        (b'{"no": "outcome"}', "not a wasmdbg run report"),
        (b"\0asm\x01\0\0\0", "not a wasm coredump"),
        (b"\xff\xfe garbage", "neither a wasmdbg report"),
    ],
)
def test_a_file_of_neither_kind_is_one_clear_error(tmp_path: Path, content: bytes, said: str) -> None:
    path = tmp_path / "file"
    path.write_bytes(content)
    with pytest.raises(WasmdbgError) as caught:
        open_postmortem(str(path))
    assert said in caught.value.message and "\n" not in caught.value.message


def test_a_fifo_or_a_directory_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path):
        with pytest.raises(WasmdbgError) as caught:
            open_postmortem(str(path))
        assert "regular file" in caught.value.message or "directory" in caught.value.message.lower()


def test_a_truncated_coredump_opens_with_what_it_holds(tmp_path: Path) -> None:
    data = (DUMPS / "divzero.O0.coredump").read_bytes()
    cut = tmp_path / "cut.coredump"
    cut.write_bytes(data[: len(data) - 200])
    pm = open_postmortem(str(cut), module=str(BUILD / "divzero.O0.wasm"))
    assert pm.notes  # it says what is missing
    assert pm.report.outcome == p.TRAPPED


def test_a_memory_the_dump_has_no_bytes_of_is_not_shown_as_zeros(tmp_path: Path) -> None:
    from wasmdbg.coredump.write import MemoryImage, write_coredump

    module = BUILD / "divzero.O0.wasm"
    body = Session.open(str(module)).module.body(9)
    assert body is not None
    path = tmp_path / "no-memory.coredump"
    path.write_bytes(write_coredump(str(module), [(9, 0x29d - body.locals_offset)], [MemoryImage(2, None, 65536, b"")], []))
    pm = open_postmortem(str(path))
    assert pm.memory is None and "none of its bytes" in pm.memory_unavailable
    assert pm.report.stack[0].sources[0].function == "quotient"


def test_a_float_global_is_dumped_as_its_value_not_its_bits(tmp_path: Path) -> None:
    from tests.helpers import wat

    module = tmp_path / "floats.wasm"
    module.write_bytes(wat("""(module (memory (export "memory") 1)
      (global $ratio f64 (f64.const 1.5)) (global $scale f32 (f32.const -0.25))
      (func (export "_start") unreachable))"""))
    session = Session.open(str(module))
    with session.start_run(RunRequest()) as live:
        report = session.finish(live)
        data = coredump_bytes(session.module, session.path, live, report)
    dumped = read_coredump(data).globals
    assert [(g.type, g.value, g.captured) for g in dumped] == [("f64", 1.5, True), ("f32", -0.25, True)]

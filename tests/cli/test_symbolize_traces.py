"""`wasmdbg symbolize MODULE < trace`: real runtime output in, the same frames as address mode out."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import SAMPLES, run_cli, wasmtime_trace
from wasmdbg.backtrace.detect import parse_text
from wasmdbg.cli.environment import Environment
from wasmdbg.cli.main import main

BUILD = SAMPLES / "build"

def pasted(*argv: str, text: str) -> tuple[int, str, str]:
    env = Environment(stdin=io.StringIO(text), stdout=io.StringIO(), stderr=io.StringIO(), width=120)
    status = main(["symbolize", *argv], env)
    assert isinstance(env.stdout, io.StringIO) and isinstance(env.stderr, io.StringIO)
    return status, env.stdout.getvalue(), env.stderr.getvalue()


@pytest.mark.parametrize("module", ["divzero.O2.wasm", "cpp_abort.O2.wasm", "panic.O2.wasm", "oob.O0.wasm"])
def test_a_real_wasmtime_trace_gives_the_frames_of_address_mode(module: str) -> None:
    trace = wasmtime_trace(module)
    status, out, _ = pasted("--format", "json", str(BUILD / module), text=trace)
    assert status == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == len([line for line in trace.splitlines() if " - " in line and "0x" in line])
    for record in records:
        assert record["runtime"] == "wasmtime" and record["warnings"] == []
        direct = run_cli("symbolize", "--format", "json", str(BUILD / module), str(record["module_offset"]))
        assert record["frames"] == json.loads(direct.stdout)["frames"]
    assert records[0]["trap_reason"]


def test_a_details_trace_with_dwarf_names_and_inlined_lines_fits_its_binary() -> None:
    trace = wasmtime_trace("divzero.O2.wasm", details=True)
    assert "at ./../c/divzero.c:13:18" in trace  # wasmtime itself printed DWARF locations
    _, out, _ = pasted("--format", "json", str(BUILD / "divzero.O2.wasm"), text=trace)
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["func_name"] for r in records[:2]] == ["quotient", "compute_ratio"]
    assert [r["inlined"] for r in records[:2]] == [True, False]
    assert all(r["warnings"] == [] for r in records)
    _, text, _ = pasted(str(BUILD / "divzero.O2.wasm"), text=trace)
    assert text.count("↳ quotient at ./../c/divzero.c:13:18 (inlined)") == 1


def test_a_trace_from_another_binary_is_called_out() -> None:
    trace = wasmtime_trace("divzero.O2.wasm")
    _, out, _ = pasted("--format", "json", str(BUILD / "oob.O2.wasm"), text=trace)
    warnings = [w for line in out.splitlines() for w in json.loads(line)["warnings"]]
    assert any("does not come from this binary" in w for w in warnings)


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "backtraces"


@pytest.mark.parametrize(
    ("case", "module"),
    [
        ("wasmtime/python_print_divzero", "oob.O2.wasm"),  # a divzero.O2.wasm trace
        ("wasmtime/python_print_divzero", "panic.O2.wasm"),
        ("wasmtime/python_details_inlined", "oob.O2.wasm"),  # divzero.O2.wasm, with DWARF names and inlining
        ("wasmtime/python_oob_two_causes", "divzero.O2.wasm"),  # an oob.O0.wasm trace
        ("wasmtime/python_stack_overflow_20_frames", "divzero.O2.wasm"),  # stackoverflow.O2.wasm
    ],
)
def test_no_frame_of_a_trace_from_another_binary_is_symbolized_when_the_module_differs(case: str, module: str) -> None:
    trace = (FIXTURES / f"{case}.txt").read_text()
    _, out, _ = pasted("--format", "json", str(BUILD / module), text=trace)
    records = [json.loads(line) for line in out.splitlines()]
    assert records
    for record in records:
        assert record["frames"] == [], record  # no plausible wrong lines
        assert any("does not come from this binary" in w or "instruction" in w for w in record["warnings"]), record
    _, text, _ = pasted(str(BUILD / module), text=trace)
    added = [line.strip() for line in text.splitlines() if line.strip().startswith(("↳", "!"))]
    assert added and all(line.startswith("!") for line in added)  # the reasons, never a source line


def test_a_frame_that_fits_by_chance_is_not_symbolized_when_its_trace_does_not_fit() -> None:
    trace = (FIXTURES / "wasmtime" / "python_print_divzero.txt").read_text()
    _, out, _ = pasted("--format", "json", str(BUILD / "oob.O2.wasm"), text=trace)
    by_name = {r["func_name"]: r for r in (json.loads(line) for line in out.splitlines())}
    # __main_void is libc's, at the same offset with the same name in both builds: alone it would fit.
    assert by_name["__main_void"]["frames"] == []
    assert by_name["__main_void"]["warnings"] == [
        "another frame of this trace (line 2) does not fit this module: this trace does not come from this binary"
    ]


def test_a_trace_whose_offsets_fit_but_whose_names_contradict_the_module_is_not_symbolized() -> None:
    trace = (FIXTURES / "wasmtime" / "python_print_divzero.txt").read_text()
    renamed = trace.replace("!compute_ratio", "!render_invoice")  # divzero.O2.wasm's offsets, another name
    _, out, _ = pasted("--format", "json", str(BUILD / "divzero.O2.wasm"), text=renamed)
    records = [json.loads(line) for line in out.splitlines()]
    first = records[0]
    assert first["func_name"] == "render_invoice" and first["frames"] == []
    assert first["warnings"] == [
        "the trace names function 8 'render_invoice', this module 'compute_ratio': "
        "this trace does not come from this binary"
    ]  # the offset itself fits: only the name gives it away
    assert all(r["frames"] == [] for r in records)
    assert all(r["warnings"][-1].startswith("another frame of this trace (line 2)") for r in records[1:])
    _, text, _ = pasted(str(BUILD / "divzero.O2.wasm"), text=renamed)
    assert "↳" not in text and "! the trace names function 8 'render_invoice'" in text


def test_text_mode_is_a_filter_that_keeps_every_input_line() -> None:
    noise = "2024-05-01T12:00:00Z worker[7]: job 42 failed\n"
    trace = noise + wasmtime_trace("divzero.O2.wasm").replace("\n", "\r\n") + "after\n"
    status, out, _ = pasted(str(BUILD / "divzero.O2.wasm"), text=trace)
    assert status == 0
    output = out.split("\n")
    position = 0
    for line in trace.split("\n"):  # every input line, unchanged and in order
        position = output.index(line, position) + 1
    added = [line for line in output if line.lstrip().startswith("↳")]
    assert any("quotient at ./../c/divzero.c:13:18 (inlined)" in line for line in added)


def test_without_a_module_the_frames_are_parsed_and_shown() -> None:
    status, out, _ = pasted("--format", "json", text=wasmtime_trace("divzero.O2.wasm"))
    assert status == 0
    first = json.loads(out.splitlines()[0])
    assert (first["runtime"], first["func_name"], first["offset_kind"]) == ("wasmtime", "compute_ratio", "module")
    assert first["frames"] == [] and first["module_offset"] == first["offset"]


def test_wasmtimes_twenty_frame_cap_is_flagged() -> None:
    trace = wasmtime_trace("stackoverflow.O2.wasm")
    _, out, _ = pasted("--format", "json", str(BUILD / "stackoverflow.O2.wasm"), text=trace)
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 20
    assert all(any("truncated" in w for w in r["warnings"]) for r in records)


def test_input_file_and_stdin_agree(tmp_path: Path) -> None:
    trace = wasmtime_trace("divzero.O2.wasm")
    (tmp_path / "trace.log").write_text(trace)
    from_file = run_cli("symbolize", "--format", "json", "--input", str(tmp_path / "trace.log"), str(BUILD / "divzero.O2.wasm"))
    _, from_stdin, _ = pasted("--format", "json", str(BUILD / "divzero.O2.wasm"), text=trace)
    assert from_file.stdout == from_stdin


def test_garbage_input_gives_no_frames_and_exit_0() -> None:
    status, out, err = pasted("--format", "json", str(BUILD / "divzero.O2.wasm"), text="\x00\x1b[31m\xff" * 1000)
    assert (status, out, err) == (0, "", "")


@settings(max_examples=200, deadline=timedelta(seconds=5))  # a hang guard, not a speed claim
@given(st.text(max_size=3000))
def test_any_text_parses_without_error(text: str) -> None:
    parse_text(text)


_FRAME_LINES = st.sampled_from([
    "    0:    0x1f4 - <unknown>!compute_ratio",
    "    at divide (wasm://wasm/0012abcd:wasm-function[8]:0x1f4)",
    "divide@http://x/y.wasm:wasm-function[8]:0x1f4",
    "#00: 0x01f4 - $f8",
    "  at name (module[8]:0x1f4)",
    "error while executing at wasm backtrace:",
])  # fmt: skip


@settings(max_examples=300, deadline=timedelta(seconds=5))
@given(st.lists(st.tuples(_FRAME_LINES, st.integers(0, 60), st.characters()), max_size=40))
def test_near_miss_frame_lines_parse_without_error(edits: list[tuple[str, int, str]]) -> None:
    lines = []
    for line, position, char in edits:
        position = min(position, len(line))
        lines.append(line[:position] + char + line[position + 1 :])
    parse_text("\n".join(lines))


def test_pathological_lines_are_bounded() -> None:
    for line in ("0x" + "9" * 5000, "(" * 4096, "a@" * 3000, "    at " + ")" * 4000, "\t" * 10000, "#00: 0x" + "f" * 400):
        parse_text((line + "\n") * 50)


_NODE = """
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
const wasi = new WASI({ version: 'preview1', args: ['guest'], env: {} });
const inst = await WebAssembly.instantiate(await WebAssembly.compile(readFileSync(process.argv[1])), wasi.getImportObject());
try { wasi.start(inst); } catch (e) { console.log(e.stack); }
"""


@pytest.mark.skipif(__import__("shutil").which("node") is None, reason="Node.js ships with this machine image")
@pytest.mark.parametrize("module", ["divzero.O2.wasm", "cpp_abort.O2.wasm"])
def test_a_real_node_trace_gives_the_frames_of_address_mode(module: str) -> None:
    proc = subprocess.run(
        ["node", "--no-warnings", "--input-type=module", "-e", _NODE, str(BUILD / module)],
        capture_output=True, text=True, timeout=120,
    )
    assert "wasm-function[" in proc.stdout, proc.stdout + proc.stderr
    status, out, _ = pasted("--format", "json", str(BUILD / module), text=proc.stdout)
    records = [json.loads(line) for line in out.splitlines()]
    assert status == 0 and records and all(r["runtime"] == "v8" and r["warnings"] == [] for r in records)
    for record in records:
        direct = run_cli("symbolize", "--format", "json", str(BUILD / module), str(record["module_offset"]))
        assert record["frames"] == json.loads(direct.stdout)["frames"]


def _cut_trace(frames: int) -> str:
    """A wasmtime trace of `frames` real divzero.O0 frames (wasmtime prints at most 20: it was cut)."""
    real = ((0x29D, "quotient"), (0x22E, "compute_ratio"), (0x305, "average_per_bucket"), (0x3ED, "main"))
    lines = [f"  {n:>5}: {real[n % 4][0]:#x} - <unknown>!{real[n % 4][1]}" for n in range(frames)]
    return "Error: wasm trap: call stack exhausted\nwasm backtrace:\n" + "\n".join(lines) + "\nafter the trace\n"


@pytest.mark.parametrize("through", ["in-process", "pipe"])
def test_a_cut_trace_is_said_to_be_cut_once_under_its_last_frame_and_in_every_json_frame(
    through: str, tmp_path: Path
) -> None:
    paste = tmp_path / "trace.log"
    paste.write_text(_cut_trace(22))
    module = str(SAMPLES / "build" / "divzero.O0.wasm")
    if through == "pipe":  # the byte-for-byte path (stdout a pipe), not only the in-memory one
        out = subprocess.run([sys.executable, "-m", "wasmdbg", "symbolize", module, "--input", str(paste)],
                             capture_output=True, check=True).stdout.decode()  # fmt: skip
    else:
        out = run_cli("symbolize", module, "--input", str(paste)).stdout
    lines = out.splitlines()
    notes = [n for n, line in enumerate(lines) if "probably truncated" in line]
    last_frame = max(n for n, line in enumerate(lines) if line.lstrip().startswith("21:"))
    assert len(notes) == 1 and last_frame < notes[0] < lines.index("after the trace"), out
    assert out.count("↳ quotient") == 6  # every frame still symbolized
    frames = [json.loads(line) for line in run_cli("symbolize", "--format", "json", module, "--input", str(paste)).stdout.splitlines()]
    assert len(frames) == 22 and all(any("probably truncated" in w for w in f["warnings"]) for f in frames)

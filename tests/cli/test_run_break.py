"""`wasmdbg run --break`: a real run of a sample stops at the line and reports the frames' variables.

The expected values are the program's own: the sources (sample_modules/c/ledger.c, cpp/cpp_abort.cpp,
rust/panic.rs) fix what each parameter and local holds when the line is first reached.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import SAMPLES, run_cli, wat

BUILD = SAMPLES / "build"


def stop(*argv: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("run", "--format", "json", "--source-root", str(SAMPLES), *argv)
    assert result.stdout, result.stderr
    return result.status, json.loads(result.stdout)


def variables(frame: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert frame["variables"] is not None, frame
    return {v["name"]: v for v in frame["variables"]["variables"]}


def child(variable: dict[str, Any], name: str) -> dict[str, Any]:
    found = [c for c in variable["children"] if c["name"] == name]
    assert found, (name, [c["name"] for c in variable["children"]])
    return found[0]


def test_a_c_line_breakpoint_shows_parameters_locals_a_struct_through_a_pointer_and_strings() -> None:
    status, report = stop("--break", "ledger.c:22", str(BUILD / "ledger.O0.wasm"))
    assert status == 0 and report["outcome"] == "breakpoint" and report["exit_status"] == 0
    top = report["frames"][0]
    assert (top["function"], top["line"]) == ("post", 22) and top["file"].endswith("ledger.c")
    assert report["breakpoint"]["spec"] == "ledger.c:22" and report["breakpoint"]["hit"] == 1
    assert report["breakpoint"]["module_offset"] == top["module_offset"]
    names = variables(top)
    assert names["amount"]["value"] == "-40" and names["amount"]["kind"] == "parameter"
    assert names["before"]["value"] == "100" and names["before"]["kind"] == "local"  # line 21 ran, line 22 not yet
    assert names["kind"]["value"] == "WITHDRAWAL"
    assert '"entry 1"' in names["memo"]["value"]
    acct = names["acct"]
    assert acct["type"] == "struct account *" and acct["value"].startswith("0x")
    (pointee,) = acct["children"]
    assert child(pointee, "id")["value"] == "7"
    assert '"ada"' in child(pointee, "owner")["value"]
    assert child(pointee, "balance")["value"] == "100"  # the += on line 22 has not run
    assert child(pointee, "flags")["value"].startswith("3")
    # The caller's frame has its variables too (its locals were kept at the call site).
    caller = next(f for f in report["frames"][1:] if f["function"] == "main")
    outer = variables(caller)
    assert outer["posted"]["value"] == "0" and outer["i"]["value"] == "0"
    assert '"entry 1"' in outer["memo"]["value"]
    assert [c["value"] for c in outer["entries"]["children"]] == ["-40", "25", "-10", "5"]
    assert child(outer["acct"], "id")["value"] == "7"
    # The line runs: its output so far is what the program printed before the stop.
    assert report["stdout"] == ""
    assert report["source"]["line"] == 22


def test_a_function_breakpoint_and_a_later_line_see_the_programs_progress() -> None:
    status, report = stop("--break", "main", "--break", "ledger.c:36", str(BUILD / "ledger.O0.wasm"))
    assert status == 0 and report["frames"][0]["function"] == "main" and report["frames"][0]["line"] == 29
    status, report = stop("--break", "ledger.c:36", str(BUILD / "ledger.O0.wasm"))
    names = variables(report["frames"][0])
    assert names["posted"]["value"] == "0" and names["i"]["value"] == "0"
    assert child(names["acct"], "balance")["value"] == "60"  # post() applied the first entry
    # post() printed its line, but into wasi-libc's stdio buffer (stdout is not a terminal): only
    # what the guest has written out is output, and it has not flushed yet.
    assert report["stdout"] == ""


def test_a_cpp_breakpoint_shows_a_reference_parameter_and_the_class_type() -> None:
    status, report = stop("--break", "cpp_abort.cpp:28", str(BUILD / "cpp_abort.O0.wasm"))
    assert status == 0 and report["outcome"] == "breakpoint"
    top = report["frames"][0]
    assert top["function"].startswith("inventory::restock") and top["line"] == 28
    names = variables(top)
    assert names["slot"]["value"] == "0"
    assert "Shelf<int>" in names["shelf"]["type"] and names["shelf"]["type"].rstrip().endswith("&")
    (referent,) = names["shelf"]["children"]  # a reference shows what it refers to
    assert "Shelf<int>" in referent["type"] and child(referent, "items_")["type"].startswith("std::")
    # main's shelf{10, 20, 30}: the vector's first element, through its begin pointer.
    caller = next(f for f in report["frames"][1:] if f["line"] == 37)
    begin = child(child(variables(caller)["shelf"], "items_"), "__begin_")
    assert [c["value"] for c in begin["children"]] == ["10"]


def test_a_rust_breakpoint_shows_a_slice_and_an_index() -> None:
    status, report = stop("--break", "panic.rs:9", str(BUILD / "panic.O0.wasm"))
    assert status == 0 and report["outcome"] == "breakpoint"
    top = report["frames"][0]
    assert top["function"] == "panic::lookup" and top["line"] == 9
    names = variables(top)
    assert names["index"]["value"] == "0"
    assert names["table"]["type"] == "&[u32]"
    assert [c["value"] for c in names["table"]["children"] if c["name"] != "…"][:5] == ["3", "1", "4", "1", "5"]


def test_without_dwarf_a_breakpoint_shows_the_raw_wasm_locals(tmp_path: Path) -> None:
    names_only = tmp_path / "ledger.names.wasm"
    subprocess.run(
        [sys.executable, str(SAMPLES / "tools" / "wasmsections.py"), str(BUILD / "ledger.O0.wasm"), str(names_only), "--drop-debug"],
        check=True,
    )
    status, report = stop("--break", "post", str(names_only))
    assert status == 0 and report["outcome"] == "breakpoint" and report["frames"][0]["function"] == "post"
    frame = report["frames"][0]["variables"]
    assert frame["from_dwarf"] is False
    values = {v["name"]: v for v in frame["variables"]}
    # post(acct, memo, amount): at -O0 the parameters are wasm locals 0..2; amount is -40 on the first call.
    assert values["local 2"]["value"] == "-40" and values["local 2"]["kind"] == "parameter"
    assert values["local 0"]["type"] == "i32"


@pytest.mark.parametrize(
    ("spec", "words"),
    [("ledger.c:9", "has no code; the nearest lines with code are"), ("nosuch.c:1", "no source file"), ("zzz", "no function"),
     ("ledger.c:abc", "must be a number"), ("", "an empty breakpoint"), ("0x10", "not inside the code of a function")],
)
def test_a_breakpoint_that_names_no_code_is_a_usage_error_in_one_line(spec: str, words: str) -> None:
    result = run_cli("run", "--break", spec, str(BUILD / "ledger.O0.wasm"))
    assert result.status == 2 and words in result.stderr and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_a_breakpoint_never_reached_lets_the_run_end_as_it_would(tmp_path: Path) -> None:
    module = tmp_path / "never.wasm"
    module.write_bytes(wat("""(module
        (func $never (export "never") (param i32) (result i32) local.get 0)
        (func (export "_start")))"""))
    status, report = stop("--break", "never", str(module))
    assert status == 0 and report["outcome"] == "returned"
    assert any("no breakpoint was reached" in note for note in report["notes"])


def test_text_output_names_the_chosen_address_and_lists_variables() -> None:
    result = run_cli("run", "--source-root", str(SAMPLES), "--break", "ledger.c:22", str(BUILD / "ledger.O0.wasm"), width=120)
    assert result.status == 0
    assert "breakpoint ledger.c:22: line 22 of" in result.stderr and "in post" in result.stderr
    assert "variables:" in result.stderr and "amount: int = -40" in result.stderr

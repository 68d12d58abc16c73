"""Every toolchain's failure explained by name: Zig panics, UBSan from `zig cc`, libc++ 22 from `zig c++`, Go, AssemblyScript.

Real runs of the samples built by sample_modules/build.sh with Zig 0.17.1, Go 1.27.3 and
AssemblyScript 0.28.20. What the explanation must name is checked against sources independent of
wasmdbg: the message the program itself printed on stderr, the line `wasm-tools addr2line` gives
for the user frame's offset (and the text of that line in the source), Go's own traceback, and
the position AssemblyScript's compiler baked into the abort call (the source text there).
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from tests.helpers import SAMPLES, run_cli, wasm_tools
from wasmdbg.symbols.frames import SourceFrame
from wasmdbg.symbols.runtime import is_runtime_frame

BUILD = SAMPLES / "build"
ZIG_BUILT_IN = "/tmp/wasmdbg-samples"
"""Where build.sh compiles the Zig sample (its DWARF names files there)."""


def run(*argv: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("run", "--format", "json", "--source-root", str(SAMPLES), *argv)
    assert result.stdout, result.stderr
    return result.status, json.loads(result.stdout)


def source_line(relative: str, line: int) -> str:
    return (SAMPLES / relative).read_text().splitlines()[line - 1]


def printed(stderr: str, prefix: str) -> str:
    """The last line of the guest's stderr that starts with `prefix`, without it."""
    lines = [line[len(prefix) :] for line in stderr.splitlines() if line.startswith(prefix)]
    assert lines, stderr
    return lines[-1].strip()


def addr2line(module: str, offset: int) -> tuple[str, int]:
    """(file, line) of the innermost frame wasm-tools gives for a module offset."""
    out = wasm_tools("addr2line", str(BUILD / module), f"0x{offset:x}")
    m = re.search(r"\s(?P<file>\S+?):(?P<line>\d+)(?::\d+)?\s*$", out.splitlines()[0])
    assert m is not None, out
    return m["file"], int(m["line"])


def user_frame(report: dict[str, Any]) -> dict[str, Any]:
    """The report's user frame: one of its (flat, innermost first) source frames."""
    index = report["user_frame"]
    assert index is not None, report["explanation"]
    frame: dict[str, Any] = report["frames"][index]
    return frame


# -- Zig -----------------------------------------------------------------------------------------

ZIG_CASES = [
    # (argument, the user function, the comment on the line that fails)
    ("index", "zigpanic.pick", "// index out of bounds"),
    ("overflow", "zigpanic.total", "// integer overflow"),
    ("unwrap", "zigpanic.main", "orelse unreachable"),
    ("divide", "zigpanic.share", "// division by zero"),
]


@pytest.mark.parametrize(("kind", "function", "marker"), ZIG_CASES, ids=[c[0] for c in ZIG_CASES])
def test_a_zig_debug_panic_is_explained_by_its_message_the_user_function_and_line(kind: str, function: str, marker: str) -> None:
    status, report = run(str(BUILD / "zigpanic.Debug.wasm"), kind)
    assert status == 134 and report["trap"]["kind"] == "unreachable"
    message = printed(report["stderr"], "panic: ")
    frame = user_frame(report)
    file, line = addr2line("zigpanic.Debug.wasm", frame["module_offset"]) if not frame["inlined"] else (frame["file"], frame["line"])
    assert frame["function"] == function and frame["line"] == line and file.endswith("zigpanic.zig")
    assert marker in source_line("zig/zigpanic.zig", line)
    explanation = report["explanation"]
    assert explanation.startswith(f'The program panicked with "{message}" in {function} ({ZIG_BUILT_IN}/zig/zigpanic.zig:{line})')
    assert "Zig's safety check" in explanation or kind == "unwrap"
    assert "process.abort" not in explanation.split(".")[0]  # the first sentence names the user's code, not std


def test_a_zig_release_safe_panic_names_the_inlined_user_function() -> None:
    status, report = run(str(BUILD / "zigpanic.ReleaseSafe.wasm"), "index")
    assert status == 134
    frame = user_frame(report)
    assert frame["function"] == "zigpanic.pick" and frame["inlined"] and frame["line"] == 7
    assert "// index out of bounds" in source_line("zig/zigpanic.zig", 7)
    assert report["explanation"].startswith(
        f'The program panicked with "{printed(report["stderr"], "panic: ")}" in zigpanic.pick ({ZIG_BUILT_IN}/zig/zigpanic.zig:7)'
    )


def test_a_zig_release_safe_panic_whose_user_frame_has_no_line_still_names_the_user_function() -> None:
    # ReleaseSafe inlines total() into main, and its DWARF gives the inlined main no line of its own.
    _, report = run(str(BUILD / "zigpanic.ReleaseSafe.wasm"), "overflow")
    first = report["explanation"].split(". ")[0]
    assert first.startswith('The program panicked with "integer overflow" in zigpanic.main')
    assert "start." not in first and "debug." not in first


def test_an_error_returned_from_a_zig_main_is_named_and_the_missing_frames_explained() -> None:
    status, report = run(str(BUILD / "zigpanic.Debug.wasm"), "missing")
    assert status == 1 and report["outcome"] == "exited" and report["frames"] == []
    name = printed(report["stderr"], "error: ")
    assert report["explanation"].startswith(f'The program\'s main returned `error.{name}`: Zig printed "error: {name}"')
    assert "--break FUNCTION" in report["explanation"]


def test_a_breakpoint_on_the_zig_line_that_returns_the_error_shows_its_parameter() -> None:
    line = next(n for n, text in enumerate((SAMPLES / "zig/zigpanic.zig").read_text().splitlines(), 1) if "// error return" in text)
    status, report = run("--break", f"zigpanic.zig:{line}", str(BUILD / "zigpanic.Debug.wasm"), "missing")
    assert status == 0 and report["outcome"] == "breakpoint"
    frame = report["frames"][0]
    assert (frame["function"], frame["line"]) == ("zigpanic.account", line)
    values = {v["name"]: (v["type"], v["value"]) for v in frame["variables"]["variables"]}
    assert values["id"] == ("u32", str(len("missing")))  # main passes the argument's length


# -- C and C++ through zig cc / zig c++ ----------------------------------------------------------


def test_ubsan_from_zig_cc_is_explained_as_the_sanitizer_naming_the_user_line() -> None:
    status, report = run(str(BUILD / "divzero.zigcc.wasm"))
    assert status == 134 and report["trap"]["kind"] == "unreachable"  # not a division trap: UBSan's panic
    frame = user_frame(report)
    assert (frame["function"], frame["line"]) == ("quotient", addr2line("divzero.zigcc.wasm", frame["module_offset"])[1])
    assert "total / count" in source_line("c/divzero.c", frame["line"])
    explanation = report["explanation"]
    assert explanation.startswith(
        f'The undefined-behaviour sanitizer stopped the program, reporting "{printed(report["stderr"], "panic: ")}" '
        f"in quotient (../c/divzero.c:{frame['line']}), called from compute_ratio (../c/divzero.c:17)"
    )
    assert "Zig's ubsan_rt (ubsan_rt.divRemHandler" in explanation


def test_zig_cxx_libcxx_22_frames_are_runtime_and_the_user_method_is_named() -> None:
    status, report = run(str(BUILD / "cpp_abort.zigcxx.wasm"))
    assert status == 134
    sources = report["frames"]
    tagged = [s for s in sources if "[abi:" in (s["function"] or "")]
    assert tagged and all("/libcxx/" in s["file"] for s in tagged)
    assert all(is_runtime_frame(SourceFrame(s["function"], file=s["file"])) for s in tagged)
    frame = user_frame(report)
    assert frame["function"] == "inventory::Shelf<int>::pick(unsigned long) const"
    assert frame["line"] == addr2line("cpp_abort.zigcxx.wasm", frame["module_offset"])[1] == 20
    assert "reached from inventory::Shelf<int>::pick(unsigned long) const (../cpp/cpp_abort.cpp:20)" in report["explanation"]


# -- Go ------------------------------------------------------------------------------------------

_GO_FRAME = re.compile(r"^(?P<name>\S+)\([^()]*\)\n\t(?P<file>\S+):(?P<line>\d+)", re.MULTILINE)


def go_traceback(stderr: str) -> list[tuple[str, str, int]]:
    """The first goroutine's (function, file, line) frames, read from Go's output by a regex of this test's own."""
    block = stderr.split("goroutine 1 ", 1)[1].split("\n\n", 1)[0]
    return [(m["name"], m["file"], int(m["line"])) for m in _GO_FRAME.finditer(block)]


def test_a_go_panic_that_exits_2_is_explained_from_gos_own_traceback() -> None:
    status, report = run(str(BUILD / "gopanic.wasm"))
    assert status == 2 and report["outcome"] == "exited"
    frames = go_traceback(report["stderr"])
    assert [f[0] for f in frames] == ["main.(*inventory).pick", "main.restock", "main.main"]
    (pick, pick_file, pick_line), (restock, restock_file, restock_line) = frames[0], frames[1]
    assert "inv.slots[slot]" in source_line("go/gopanic.go", pick_line)
    message = printed(report["stderr"], "panic: ")
    explanation = report["explanation"]
    assert explanation.startswith(
        f'The program panicked with "{message}" in {pick} ({pick_file}:{pick_line}), '
        f"called from {restock} ({restock_file}:{restock_line}); Go's runtime printed the goroutine's traceback "
        "and exited with code 2."
    )
    assert "Every function the traceback names is in this module" in explanation
    # The run has no wasm frames (it exited): the frames are Go's traceback's, each found in the module.
    indices = _function_indices()
    assert [(f["function"], f["file"], f["line"], f["source"]) for f in report["frames"]] == [
        (name, file, line, "traceback") for name, file, line in frames
    ]
    assert [f["func_index"] for f in report["frames"]] == [
        indices["main.__inventory_.pick"], indices["main.restock"], indices["main.main"],
    ]  # fmt: skip
    assert report["frames"][report["user_frame"]]["function"] == pick


def test_the_go_source_is_shown_at_the_tracebacks_line_with_tabs_expanded() -> None:
    result = run_cli("run", "--source-root", str(SAMPLES / "go"), str(BUILD / "gopanic.wasm"))
    assert result.status == 2
    line = next(text for text in (result.stdout + result.stderr).splitlines() if text.lstrip().startswith("→"))
    assert line.split(None, 2)[1:] == ["15", "return inv.slots[slot] // index out of range"] and "\\x09" not in line


def test_a_go_panic_with_gotraceback_crash_names_the_user_frame_and_checks_the_traceback_against_the_frames() -> None:
    status, report = run("--env", "GOTRACEBACK=crash", str(BUILD / "gopanic.wasm"))
    assert status == 134 and report["trap"]["kind"] == "unreachable"
    wasm = [frame["linkage_name"] or frame["function"] for frame in report["frames"]]
    assert wasm[0] == "runtime.abort" and "main.__inventory_.pick" in wasm
    pick = go_traceback(report["stderr"])[2]  # panic, runtime.goPanicIndex, then the user's
    frame = user_frame(report)  # runtime.* is the runtime's; the wasm frame gets Go's file and line
    assert (frame["function"], frame["linkage_name"], frame["file"], frame["line"], frame["source"]) == (
        pick[0], "main.__inventory_.pick", pick[1], pick[2], "traceback",
    )  # fmt: skip
    assert frame["func_index"] == _function_indices()["main.__inventory_.pick"]
    explanation = report["explanation"]
    assert explanation.startswith(
        f'The program panicked with "{printed(report["stderr"], "panic: ")}" in {pick[0]} ({pick[1]}:{pick[2]})'
    )
    assert "runtime.abort" not in explanation.split(". ")[0]
    assert "Go's traceback agrees with the wasm frames" in explanation


def test_symbolize_reads_a_pasted_go_traceback_and_finds_each_function_in_the_module() -> None:
    text = (SAMPLES.parent / "tests/fixtures/backtraces/go/go_wasip1_index_panic.txt").read_text()
    result = run_cli("symbolize", "--format", "json", str(BUILD / "gopanic.wasm"), stdin=text)
    assert result.status == 0, result.stderr
    frames = [json.loads(line) for line in result.stdout.splitlines()]
    by_name = _function_indices()
    assert [f["func_name"] for f in frames] == ["main.(*inventory).pick", "main.restock", "main.main"]
    assert [f["func_index"] for f in frames] == [by_name["main.__inventory_.pick"], by_name["main.restock"], by_name["main.main"]]
    assert [(f["frames"][0]["file"], f["frames"][0]["line"]) for f in frames] == [
        ("./gopanic.go", 15), ("./gopanic.go", 21), ("./gopanic.go", 27),
    ]  # fmt: skip
    assert all(f["warnings"] == [] and f["trap_reason"] == "runtime error: index out of range [7] with length 3" for f in frames)


def test_a_go_traceback_pasted_against_another_module_does_not_fit() -> None:
    text = (SAMPLES.parent / "tests/fixtures/backtraces/go/go_wasip1_index_panic.txt").read_text()
    result = run_cli("symbolize", "--format", "json", str(BUILD / "divzero.O0.wasm"), stdin=text)
    frames = [json.loads(line) for line in result.stdout.splitlines()]
    assert frames and all(f["frames"] == [] for f in frames)
    assert all(any("does not come from this binary" in w for w in f["warnings"]) for f in frames)


def _function_indices() -> dict[str, int]:
    """The Go module's functions by name-section name, as wasm-objdump lists them."""
    out = subprocess.run(
        ["wasm-objdump", "-x", "-j", "name", str(BUILD / "gopanic.wasm")], capture_output=True, text=True, check=True
    ).stdout
    return {name: int(index) for index, name in re.findall(r"^ - func\[(\d+)\] <([^>]+)>$", out, re.MULTILINE)}


# -- AssemblyScript ------------------------------------------------------------------------------


def test_an_assemblyscript_abort_is_decoded_from_guest_memory_and_explained() -> None:
    status, report = run("--invoke", "main", str(BUILD / "aspanic.wasm"), "0")
    assert status == 134 and report["trap"]["kind"] == "unreachable"
    abort = report["abort"]
    assert abort == {"message": "people must be positive", "file": "aspanic.ts", "line": 4, "column": 3}
    assert source_line("assemblyscript/aspanic.ts", 4)[2:].startswith('assert(people > 0, "people must be positive")')
    inner = report["frames"][0]  # the abort's position put on the frame that called it (no DWARF has one)
    assert (inner["function"], inner["file"], inner["line"], inner["column"], inner["source"]) == (
        "aspanic/checkedShare", "aspanic.ts", 4, 3, "traceback",
    )  # fmt: skip
    assert report["explanation"].startswith(
        'The program aborted with "people must be positive" at aspanic.ts:4:3 in aspanic/checkedShare.'
    )


def test_an_assemblyscript_check_in_its_standard_library_names_the_user_caller() -> None:
    status, report = run("--invoke", "pick", str(BUILD / "aspanic.wasm"), "7")
    assert status == 134
    abort = report["abort"]
    assert abort["message"] == "Index out of range" and abort["file"] == "~lib/array.ts"
    inner, caller = report["frames"][0], report["frames"][1]
    assert inner["function"].startswith("~lib/array/Array<i32>#") and (inner["file"], inner["line"]) == ("~lib/array.ts", abort["line"])
    assert caller["function"] == "aspanic/pick" and report["user_frame"] == 1  # ~lib is AssemblyScript's runtime
    assert f'at ~lib/array.ts:{abort["line"]}:{abort["column"]} in {inner["function"]}, called from aspanic/pick.' in report["explanation"]


def test_an_assemblyscript_module_that_does_not_abort_returns_normally() -> None:
    status, report = run("--invoke", "main", str(BUILD / "aspanic.wasm"), "4")
    assert status == 0 and report["outcome"] == "returned" and report["results"] == [26]
    assert "abort" not in report


HOSTILE_ABORT = """
(module
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  ;; a message whose length header claims 4 GiB, a file pointer past the end of memory
  (data (i32.const 16) "\\ff\\ff\\ff\\ff\\1b\\00[\\002\\00J\\00")
  (func (export "main") (param $which i32)
    local.get $which
    if
      i32.const 20 i32.const 0xfffffff0 i32.const -1 i32.const 7 call $abort
    else
      i32.const 0 i32.const 3 i32.const 1 i32.const 1 call $abort
    end
    unreachable))
"""


@pytest.mark.parametrize(("which", "message"), [("1", "\x1b[2J"), ("0", None)])
def test_an_abort_with_hostile_pointers_reads_what_is_in_bounds_and_never_prints_raw_escapes(
    tmp_path: Any, which: str, message: str | None
) -> None:
    path = tmp_path / "abort.wat"
    path.write_text(HOSTILE_ABORT)
    status, report = run("--invoke", "main", str(path), which)
    assert status == 134 and report["trap"]["kind"] == "unreachable"
    # The length is capped at what the memory holds; a pointer out of bounds (or below 4) reads nothing.
    assert report["abort"]["file"] is None and report["abort"]["message"] is not None or message is None
    if message is not None:
        assert report["abort"]["message"].startswith(message) and report["abort"]["line"] == 0xFFFFFFFF
        assert "\x1b" not in report["explanation"] and "\\x1b" in report["explanation"]
    else:
        assert report["abort"] == {"message": None, "file": None, "line": 1, "column": 1}


def test_an_abort_called_in_a_loop_without_trapping_keeps_only_the_last_call(tmp_path: Any) -> None:
    path = tmp_path / "loop.wat"
    path.write_text("""
(module
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "main") (local $i i32)
    (loop $again
      i32.const 0 i32.const 0 local.get $i i32.const 0 call $abort
      local.get $i i32.const 1 i32.add local.tee $i
      i32.const 100000 i32.lt_u br_if $again)
    unreachable))
""")
    status, report = run("--invoke", "main", str(path))
    assert status == 134 and report["abort"]["line"] == 99_999  # the last of 100,000 calls, none kept before it

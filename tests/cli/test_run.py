"""`wasmdbg run`: outcomes, exit statuses, the JSON report, limits and grants, from real sample runs."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import SAMPLES, run_cli, sample_manifest, wat
from wasmdbg.cli.environment import Environment
from wasmdbg.cli.main import main

BUILD = SAMPLES / "build"
MANIFEST = {str(e["module"]): e for e in sample_manifest()}
REPORT_KEYS = {"outcome", "exit_code", "results", "trap", "explanation", "frames", "frames_truncated",
               "fuel_consumed", "memory", "limits", "limits_hit", "samples", "stdout", "stderr",
               "stdout_dropped", "duration_s", "module"}  # fmt: skip


def report(*argv: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("run", "--format", "json", *argv)
    assert result.stdout, result.stderr
    return result.status, json.loads(result.stdout)


@pytest.mark.parametrize("sample", ["divzero", "oob", "abort", "stackoverflow", "badcall", "cpp_abort", "panic"])
@pytest.mark.parametrize("variant", ["O0", "O2", "names", "stripped"])
def test_trap_samples_exit_134_with_their_kind_and_innermost_user_frame(sample: str, variant: str) -> None:
    entry = MANIFEST[f"build/{sample}.{variant}.wasm"]
    status, data = report(str(SAMPLES / str(entry["module"])))
    assert status == 134 and REPORT_KEYS <= data.keys()
    assert data["outcome"] == "trapped" and data["trap"]["kind"] == str(entry["expect"]["trap_code"]).lower()  # type: ignore[index]
    user = entry["innermost_user_frame"]
    assert isinstance(user, dict)
    if variant == "names":
        from wasmdbg.symbols.demangle import demangle

        # The name section holds the linkage name; the report shows it demangled.
        assert any(f["function"] == demangle(str(user["function"])) for f in data["frames"])
        assert all(f["file"] is None for f in data["frames"])
    else:
        located = [(f["file"], f["line"]) for f in data["frames"] if f["function"] in (user["function"], user.get("function_wasm_tools"))]
        assert any(file and file.endswith(str(user["file"]).lstrip("./")) and line == user["line"] for file, line in located)


def test_exit_codes_and_output_follow_the_guest() -> None:
    status, data = report(str(BUILD / "exitcode.O0.wasm"))
    assert (status, data["outcome"], data["exit_code"]) == (3, "exited", 3)
    status, data = report(str(BUILD / "hello.O0.wasm"))
    assert status == 0 and "Hello from wasmdbg sample" in data["stdout"]


def test_a_spinning_guest_times_out_within_the_limit_and_names_the_loop() -> None:
    began = time.monotonic()
    status, data = report("-W", "timeout=500ms", str(BUILD / "spin.O2.wasm"))
    assert time.monotonic() - began < 0.5 + 1.0 + 0.5  # the limit, a second, and start-up
    assert (status, data["outcome"], data["limits_hit"]) == (134, "timeout", ["timeout"])
    assert data["frames"][0]["function"] == "spin_forever"
    assert data["samples"] and data["limits"]["timeout"] == 0.5


def test_fuel_runs_out_as_a_trap() -> None:
    status, data = report("-W", "fuel=100_000", str(BUILD / "spin.O2.wasm"))
    assert (status, data["trap"]["kind"], data["limits_hit"]) == (134, "out_of_fuel", ["fuel"])
    assert (data["fuel_consumed"], data["fuel_exact"], data["fuel_metered"]) == (100_000, True, True)


def test_fuel_is_metered_only_with_a_budget_and_cpu_time_always_reported() -> None:
    # As wasmtime: metering slows the guest, so without -W fuel=N there is no figure, and the report says so.
    status, data = report(str(BUILD / "hello.O2.wasm"))
    assert status == 0 and (data["fuel_consumed"], data["fuel_exact"], data["fuel_metered"]) == (None, False, False)
    assert all(sample["fuel_consumed"] is None for sample in data["samples"])
    assert isinstance(data["cpu_time_s"], float) and data["cpu_time_s"] >= 0
    status, data = report("-W", "fuel=1_000_000_000", str(BUILD / "hello.O2.wasm"))
    assert status == 0 and data["fuel_metered"] and data["fuel_exact"] and data["fuel_consumed"] > 0
    assert isinstance(data["cpu_time_s"], float)
    text = run_cli("run", str(BUILD / "hello.O2.wasm"))
    assert "fuel: not metered (give -W fuel=N to meter it)" in text.stderr and "\ncpu: " in text.stderr
    text = run_cli("run", "-W", "fuel=1_000_000_000", str(BUILD / "hello.O2.wasm"))
    assert "consumed in" in text.stderr and "not metered" not in text.stderr and "\ncpu: " in text.stderr


def test_the_compile_cache_is_filled_unless_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMDBG_CACHE_DIR", str(tmp_path / "skipped"))
    assert run_cli("run", "--no-cache", str(BUILD / "hello.O2.wasm")).status == 0
    assert not (tmp_path / "skipped" / "wasmtime").exists()
    monkeypatch.setenv("WASMDBG_CACHE_DIR", str(tmp_path / "used"))
    assert run_cli("run", str(BUILD / "hello.O2.wasm")).status == 0
    assert any(f.is_file() for f in (tmp_path / "used" / "wasmtime").rglob("*"))


def test_a_leak_hits_a_small_memory_cap_and_the_report_says_so() -> None:
    status, data = report("-W", "max-memory-size=0x80_0000", str(BUILD / "leak.O0.wasm"))
    assert status == 134 and "memory" in data["limits_hit"]
    assert data["memory"]["limit_bytes"] == 8 << 20 and data["memory"]["peak_pages"] * 65536 <= 8 << 20


def test_invoke_prints_results_one_per_line(tmp_path: Path) -> None:
    module = tmp_path / "add.wasm"
    module.write_bytes(wat('(module (func (export "add") (param i32 i64) (result i32 i64) local.get 0 local.get 1))'))
    result = run_cli("run", "--invoke", "add", str(module), "0x10", "-5")
    assert result.status == 0 and result.stdout == "16\n-5\n"


def test_a_granted_directory_is_readable(tmp_path: Path) -> None:
    status, data = report("--dir", f"{SAMPLES / 'data'}::/data", str(BUILD / "readfile.O0.wasm"), "/data/input.txt")
    assert status == 0 and (SAMPLES / "data" / "input.txt").read_text() in data["stdout"]
    status, data = report(str(BUILD / "readfile.O0.wasm"), "/data/input.txt")
    assert status == 1 and data["exit_code"] == 1


@pytest.mark.parametrize(
    "argv",
    [["-W", "bogus=1"], ["-W", "fuel=lots"], ["--dir", "/nonexistent-dir"], ["--env", "SURELY_UNSET_VARIABLE_X"],
     ["-W", "fuel=18446744073709551616"], ["-W", "max-wasm-stack=0"], ["-W", "max-wasm-stack=0x80_0000"],
     ["--report", "/"]],
)
def test_usage_errors_exit_2(argv: list[str]) -> None:
    result = run_cli("run", *argv, str(BUILD / "hello.O0.wasm"))
    assert result.status == 2 and result.stderr.count("\n") == 1


def test_w_help_lists_the_limits() -> None:
    result = run_cli("run", "-W", "help", str(BUILD / "hello.O0.wasm"))
    assert result.status == 0 and "max-memory-size" in result.stdout


def test_a_malformed_module_is_one_line_and_exit_1(tmp_path: Path) -> None:
    (tmp_path / "bad.wasm").write_bytes(b"\0asm\x01\0\0\0\x01\x05")
    result = run_cli("run", str(tmp_path / "bad.wasm"))
    assert result.status == 1 and result.stderr.count("\n") == 1


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_guest_output_cannot_drive_the_terminal(tmp_path: Path) -> None:
    module = tmp_path / "esc.wasm"
    module.write_bytes(wat(r"""
      (module (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1) (data (i32.const 16) "\1b]0;pwned\07\1b[2J")
        (func (export "_start") (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 14))
          (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
    """))
    env = Environment(stdin=io.StringIO(""), stdout=_Terminal(), stderr=io.StringIO(), width=100)
    assert main(["run", str(module)], env) == 0
    assert isinstance(env.stdout, io.StringIO)
    shown = env.stdout.getvalue()
    assert "\x1b" not in shown and "\x07" not in shown and "\\x1b]0;pwned" in shown


def _one_spec_case_per_trap_kind() -> list[dict[str, Any]]:
    from tests.helpers import CORPUS

    listing = CORPUS / "spec" / "traps.jsonl"
    if not listing.exists():
        return []
    chosen: dict[str, dict[str, Any]] = {}
    for line in listing.read_text().splitlines():
        case = json.loads(line)
        if not case["imports"] and all(a["type"] in ("i32", "i64", "f32", "f64") for a in case["args"]):
            chosen.setdefault(case["wasmtime_trap_code"], case)
    return list(chosen.values())


def _cli_argument(arg: dict[str, str]) -> str:
    import struct

    if arg["type"] == "f32":
        return repr(struct.unpack("<f", struct.pack("<I", int(arg["value"])))[0])
    if arg["type"] == "f64":
        return repr(struct.unpack("<d", struct.pack("<Q", int(arg["value"])))[0])
    return str(int(arg["value"]) % (1 << (32 if arg["type"] == "i32" else 64)))


@pytest.mark.corpus
@pytest.mark.parametrize("case", _one_spec_case_per_trap_kind(), ids=lambda c: str(c["wasmtime_trap_code"]))
def test_spec_traps_through_invoke_give_wasmtimes_kind(case: dict[str, Any]) -> None:
    from tests.helpers import CORPUS

    status, data = report("--invoke", case["func"], str(CORPUS / "spec" / case["module"]), *map(_cli_argument, case["args"]))
    assert status == 134 and data["trap"]["kind"] == case["wasmtime_trap_code"].lower()


_THREE_MIB = r"""
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "_start") (local $n i32)
    ;; one iovec at 0: 64 KiB of zero bytes from 1024, written 48 times to stdout (3 MiB)
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 65536))
    (loop $more
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $more (i32.lt_u (local.get $n) (i32.const 48))))))
"""


def test_output_past_what_is_passed_through_is_said_in_the_text_report(tmp_path: Path) -> None:
    module = tmp_path / "three_mib.wasm"
    module.write_bytes(wat(_THREE_MIB))
    result = run_cli("run", str(module))
    assert result.status == 0, result.stderr
    assert len(result.stdout) == 1 << 20  # what was passed through
    assert "stdout: 2 MiB more not shown (the first 1 MiB of each stream is passed through)" in result.stderr
    assert "stderr:" not in result.stderr

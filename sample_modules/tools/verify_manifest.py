#!/usr/bin/env python3
"""Run every sample module for real and (re)write sample_modules/manifest.json.

NOT used by build.sh.  Needs the `wasmtime` Python bindings, `wasm-tools`
(for `addr2line`) and `llvm-symbolizer`; run it with the project venv:

    .venv/bin/python sample_modules/tools/verify_manifest.py          # rewrite manifest.json
    .venv/bin/python sample_modules/tools/verify_manifest.py --check  # compare, do not write

Every expected value in the manifest comes from an actual run under wasmtime
(exit code, trap code, trap frames) and from symbolizing the trap frames'
offsets with two independent DWARF readers, `llvm-symbolizer` (which takes
code-section-relative addresses for wasm) and `wasm-tools addr2line` (module
offsets); the script fails if the two disagree.

The DWARF-form variants (dwarf5, split, split-dwp, winpaths) have the O2
module's code section; besides the two readers, their frames are checked
against the O2 module's.  `wasm-tools addr2line` refuses addresses in split
units ("split-dwarf is not supported yet"), so for those frames llvm-symbolizer,
run from build/ so that it finds the .dwo, is the only reader.
"""

from __future__ import annotations

import argparse
import json
import ntpath
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

Json = dict[str, Any]

import wasmtime

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(HERE, "tools"))
import wasmsections  # noqa: E402

UNKNOWN_OFFSET = 2**64 - 1  # what wasmtime's bindings report for "no offset"
# Frames kept per trap.  wasmtime (50) itself captures at most 20 frames of a
# trap backtrace by default, so stackoverflow's thousands of walk_tree frames
# arrive as 20 and nothing is cut here in practice.
MAX_FRAMES = 64
SPIN_FUEL = 20_000_000
SPIN_EPOCH_SECONDS = 0.5

TRAP_VARIANTS = ["O0", "O2", "names", "stripped", "debug"]
PLAIN_VARIANTS = ["O0", "O2"]
# Same code section as SAMPLE.O2.wasm, other DWARF (for the symbolizer's tests):
#   dwarf5     -gdwarf-5 (our unit DWARF 5, the wasi-libc units DWARF 4)
#   split      -gsplit-dwarf; skeleton in the module, build/SAMPLE.split.dwo beside it
#   split-dwp  -gsplit-dwarf, the .dwo packaged by llvm-dwp into
#              build/SAMPLE.split2.wasm.dwp (module build/SAMPLE.split2.wasm)
#   winpaths   DWARF with Windows-style comp_dir and file names
DWARF_FORM_VARIANTS = ["dwarf5", "split", "split-dwp", "winpaths"]
SPLIT_VARIANTS = ("split", "split-dwp")
# Variants whose file name is not SAMPLE.VARIANT.wasm.
MODULE_SUFFIX = {"split-dwp": "split2"}

SAMPLES: list[dict[str, Any]] = [
    {
        "sample": "divzero",
        "language": "c",
        "source": "c/divzero.c",
        "variants": TRAP_VARIANTS + DWARF_FORM_VARIANTS,
        "description": "i32.div_s by zero in static inline quotient(), called "
        "main -> average_per_bucket -> compute_ratio -> quotient; at -O2 quotient "
        "is inlined into compute_ratio",
        "stdout_contains": "dividing 42 items into 0 buckets",
    },
    {
        "sample": "oob",
        "language": "c",
        "source": "c/oob.c",
        "variants": TRAP_VARIANTS,
        "description": "i32.store through the wild pointer 0x7ffffff0, "
        "main -> fill_record -> store_field",
        "stdout_contains": "writing record at 0x7ffffff0",
    },
    {
        "sample": "abort",
        "language": "c",
        "source": "c/abort.c",
        "variants": TRAP_VARIANTS,
        "description": "abort() (wasi-libc: `unreachable`) after a failed check, "
        "main -> validate_config -> check_range -> abort",
        "stdout_contains": "validating config with 42 workers",
        "stderr_contains": "exceeds limit 10, aborting",
    },
    {
        "sample": "stackoverflow",
        "language": "c",
        "source": "c/stackoverflow.c",
        "variants": TRAP_VARIANTS,
        "description": "unbounded recursion in walk_tree; 8 MiB shadow stack so the "
        "engine's stack limit is hit first. The innermost frame (function-entry "
        "stack check) has no module offset; the frames below it are recursive calls",
        "stdout_contains": "walking a tree with no leaves",
    },
    {
        "sample": "badcall",
        "language": "c",
        "source": "c/badcall.c",
        "variants": TRAP_VARIANTS,
        "description": "call_indirect with type (i32)->i32 to add_pair (i32,i32)->i32 "
        "loaded from a volatile table, in dispatch()",
        "stdout_contains": "handler 0 -> -5",
    },
    {
        "sample": "cpp_abort",
        "language": "cpp",
        "source": "cpp/cpp_abort.cpp",
        "variants": TRAP_VARIANTS + ["dwarf5"],
        "description": "std::vector<int>::at(7) out of range under -fno-exceptions "
        "(libc++ calls abort) inside inventory::Shelf<int>::pick; name section holds "
        "mangled Itanium names",
        "stdout_contains": "picking slot 7 from a shelf of 3",
    },
    {
        "sample": "panic",
        "language": "rust",
        "source": "rust/panic.rs",
        "variants": TRAP_VARIANTS,
        "description": "slice index out of bounds in panic::lookup "
        "(main -> sum_selected -> lookup); panic message on stderr, then the "
        "panic=abort runtime executes `unreachable`",
        "stdout_contains": "summing 3 picks from a table of 5",
        "stderr_contains": "index out of bounds: the len is 5 but the index is 7",
    },
    {
        "sample": "spin",
        "language": "c",
        "source": "c/spin.c",
        "variants": PLAIN_VARIANTS,
        "description": "infinite call-free loop in spin_forever(); never ends by itself "
        "(stop it with fuel or epoch interruption)",
        "stdout_contains": "spinning forever",
        "runs_forever": True,
    },
    {
        "sample": "leak",
        "language": "c",
        "source": "c/leak.c",
        "variants": PLAIN_VARIANTS,
        "description": "malloc+memset 1 MiB every 100 ms (nanosleep -> poll_oneoff) "
        "100 times, never freed; linear memory grows ~1 MiB per step for ~10 s, then "
        "exit 0. Optional argv[1] = number of steps. On malloc failure: message on "
        "stderr and abort()",
        "stdout_contains": "done, leaked 100 MiB",
        "alternate_runs": [
            {"args": ["3"], "stdout_contains": "done, leaked 3 MiB"},
        ],
    },
    {
        "sample": "hello",
        "language": "c",
        "source": "c/hello.c",
        "variants": PLAIN_VARIANTS,
        "description": "prints three lines to stdout and one to stderr, exit 0",
        "stdout_contains": "Hello from wasmdbg sample",
        "stderr_contains": "a note on stderr",
    },
    {
        "sample": "ledger",
        "language": "c",
        "source": "c/ledger.c",
        "variants": PLAIN_VARIANTS,
        "description": "posts four entries to a struct account through post(acct, memo, amount) "
        "and prints the balance, exit 0; the breakpoint and variables sample (struct through a "
        "pointer, C strings, an enum, an array)",
        "stdout_contains": "ada: 4 entries, balance 80",
    },
    {
        "sample": "exitcode",
        "language": "c",
        "source": "c/exitcode.c",
        "variants": PLAIN_VARIANTS,
        "description": "prints a line and calls exit(3)",
        "stdout_contains": "exiting with code 3",
    },
    {
        "sample": "readfile",
        "language": "c",
        "source": "c/readfile.c",
        "variants": PLAIN_VARIANTS,
        "description": "prints the file named by argv[1] from a preopened directory; "
        "on failure prints strerror(errno) to stderr and exits 1",
        "args": ["/data/input.txt"],
        "dirs": [{"host": "data", "guest": "/data"}],
        "stdout_contains": "hello from the data directory",
        "alternate_runs": [
            {
                "args": ["/data/missing.txt"],
                "dirs": [{"host": "data", "guest": "/data"}],
                "stderr_contains": "No such file or directory",
            },
            {"args": ["/data/input.txt"], "dirs": [], "stderr_contains": "readfile: /data/input.txt"},
        ],
    },
    {
        "sample": "indirect_null",
        "language": "wat",
        "source": "wat/indirect_null.wat",
        "variants": ["wat"],
        "description": "call_indirect to table slot 1, which is null; "
        "_start -> run_handlers -> dispatch",
        "stdout_contains": "dispatching to slot 1",
    },
    {
        "sample": "table_oob",
        "language": "wat",
        "source": "wat/table_oob.wat",
        "variants": ["wat"],
        "description": "call_indirect with index 5 into a 2-entry table; "
        "_start -> pick -> call_slot",
    },
    {
        "sample": "int_overflow",
        "language": "wat",
        "source": "wat/int_overflow.wat",
        "variants": ["wat"],
        "description": "i32.div_s INT_MIN / -1; _start -> scale -> signed_div",
    },
    {
        "sample": "bad_conversion",
        "language": "wat",
        "source": "wat/bad_conversion.wat",
        "variants": ["wat"],
        "description": "i32.trunc_f64_s of NaN; _start -> to_int",
    },
    {
        "sample": "multi",
        "language": "wat",
        "source": "wat/multi.wat",
        "variants": ["wat"],
        "description": "not a WASI program: needs host imports env.log/table/memory/base/"
        "counter; 3 memories (multi-memory), imports and exports of every kind, start "
        "function, active+passive data, active+passive+declarative elements, data count",
        "runnable": False,
    },
]


# ---------------------------------------------------------------- tools

def find_tool(*names: str) -> str:
    venv_bin = os.path.dirname(sys.executable)
    for name in names:
        for d in (venv_bin, "/usr/lib/llvm-14/bin"):
            cand = os.path.join(d, name)
            if os.access(cand, os.X_OK):
                return cand
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit(f"verify_manifest: none of {names} found")


WASM_TOOLS = find_tool("wasm-tools")
SYMBOLIZER = find_tool("llvm-symbolizer", "llvm-symbolizer-14")
CXXFILT = find_tool("llvm-cxxfilt", "llvm-cxxfilt-14")
DWARFDUMP = find_tool("llvm-dwarfdump", "llvm-dwarfdump-14")


def demangle(name: str) -> str:
    out: str = subprocess.run([CXXFILT, name], check=True, capture_output=True, text=True).stdout
    return out.strip()


def function_names(path: str) -> dict[int, str]:
    """Function names from the `name` custom section (subsection 1)."""
    with open(path, "rb") as f:
        module = f.read()
    names: dict[int, str] = {}
    for sec_id, cname, start, end, _raw in wasmsections.sections(module):
        if sec_id != wasmsections.CUSTOM or cname != "name":
            continue
        nlen, pos = wasmsections.read_uleb(module, start)
        pos += nlen
        while pos < end:
            sub = module[pos]
            size, pos = wasmsections.read_uleb(module, pos + 1)
            sub_end = pos + size
            if sub == 1:
                count, p = wasmsections.read_uleb(module, pos)
                for _ in range(count):
                    idx, p = wasmsections.read_uleb(module, p)
                    ln, p = wasmsections.read_uleb(module, p)
                    names[idx] = module[p : p + ln].decode("utf-8")
                    p += ln
            pos = sub_end
    return names


def code_section(path: str) -> bytes:
    with open(path, "rb") as f:
        module = f.read()
    for sec_id, _name, start, end, _raw in wasmsections.sections(module):
        if sec_id == wasmsections.CODE:
            return module[start:end]
    raise ValueError(f"{path}: no code section")


def code_payload_start(path: str) -> int:
    with open(path, "rb") as f:
        module = f.read()
    for sec_id, _name, start, _end, _raw in wasmsections.sections(module):
        if sec_id == wasmsections.CODE:
            return int(start)
    raise ValueError(f"{path}: no code section")


def custom_sections(path: str) -> list[str]:
    with open(path, "rb") as f:
        module = f.read()
    return [n for i, n, *_ in wasmsections.sections(module) if i == wasmsections.CUSTOM and n is not None]


_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")


def norm_file(name: str) -> str:
    # Both tools join DW_AT_comp_dir "." with the file name ("./../c/x.c").
    # A path with a drive letter (the winpaths variant) is normalized with
    # Windows rules: llvm-symbolizer joins "C:\build" and "..\c\x.c" with "/",
    # wasm-tools with "\", and both come out as "C:\c\x.c".
    if not name:
        return name
    if _WINDOWS_ABSOLUTE.match(name):
        return ntpath.normpath(name)
    return posixpath.normpath(name)


def llvm_symbolize(
    path: str,
    code_offsets: list[int],
    cwd: str | None = None,
    extra: tuple[str, ...] = (),
    warnings: list[str] | None = None,
) -> dict[int, list[Json]]:
    """code offset -> inline chain (innermost first) of {function, linkage_name, file, line, column,
    file_llvm_symbolizer (the file as printed, not normalized)}.

    cwd matters for split DWARF only: llvm-symbolizer looks for a .dwo at
    DW_AT_comp_dir/DW_AT_GNU_dwo_name, and with comp_dir "." that is relative
    to its working directory.  Lines it prints on stderr go to `warnings`.
    """
    if not code_offsets:
        return {}
    out: dict[int, list[Json]] = {}
    results = {}
    for demangle in (True, False):
        cmd = [SYMBOLIZER, f"--obj={path}", "--output-style=JSON", "--inlining", *extra]
        cmd.append("--demangle" if demangle else "--no-demangle")
        cmd += [hex(o) for o in code_offsets]
        proc = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=cwd)
        results[demangle] = json.loads(proc.stdout)
        if warnings is not None:
            for line in proc.stderr.splitlines():
                if line not in warnings:
                    warnings.append(line)
    for dem, raw, off in zip(results[True], results[False], code_offsets):
        chain = []
        for s, r in zip(dem["Symbol"], raw["Symbol"]):
            if not s.get("FunctionName") and not s.get("FileName"):
                continue
            chain.append(
                {
                    "function": s["FunctionName"],
                    "linkage_name": r["FunctionName"],
                    "file": norm_file(s["FileName"]),
                    "line": s["Line"],
                    "column": s["Column"],
                    "file_llvm_symbolizer": s["FileName"],
                }
            )
        out[off] = chain
    return out


def wasm_tools_addr2line(path: str, module_offsets: list[int]) -> dict[int, list[Json]]:
    if not module_offsets:
        return {}
    cmd = [WASM_TOOLS, "addr2line", path] + [str(o) for o in module_offsets]
    text = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    out: dict[int, list[Json]] = {}
    cur = -1
    for line in text.splitlines():
        if not line.startswith("\t"):
            addr, _, rest = line.partition(": ")
            cur = int(addr, 0)
            out[cur] = []
            if rest.startswith("no dwarf frames"):
                continue
        else:
            rest = line.strip()
        func, _, loc = rest.rpartition(" ")
        file_, line_no, col = loc.rsplit(":", 2)
        out[cur].append({"function": func, "file": norm_file(file_), "line": int(line_no), "column": int(col),
                         "file_raw": file_})
    return out


def wasm_tools_addr2line_each(path: str, module_offsets: list[int]) -> tuple[dict[int, list[Json]], dict[int, str]]:
    """`wasm-tools addr2line` one offset at a time: (frames of the offsets it resolves,
    error message of those it refuses).  For split DWARF: it refuses any address in a
    skeleton unit ("split-dwarf is not supported yet") and resolves the others."""
    ok: dict[int, list[Json]] = {}
    errors: dict[int, str] = {}
    for off in module_offsets:
        cmd = [WASM_TOOLS, "addr2line", path, str(off)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode == 0:
            ok.update(wasm_tools_addr2line(path, [off]))
        else:
            errors[off] = " ".join(proc.stderr.split())
    return ok, errors


def dwarf_units(path: str) -> list[Json]:
    """(version, unit type) of every unit in .debug_info, and the split-DWARF attributes of skeletons."""
    text = subprocess.run([DWARFDUMP, "--debug-info", path], check=True, capture_output=True, text=True).stdout
    units: list[Json] = []
    for line in text.splitlines():
        m = re.search(r"Compile Unit: .* version = 0x([0-9a-f]+)(?:, unit_type = (\w+))?", line)
        if m:
            units.append({"version": int(m.group(1), 16), "unit_type": m.group(2)})
            continue
        m = re.match(r"\s+(DW_AT_(?:GNU_)?dwo_name|DW_AT_(?:GNU_)?dwo_id|DW_AT_comp_dir|DW_AT_name)\s+\((.*)\)$", line)
        if m and units and m.group(1) not in units[-1]:
            value = m.group(2)
            if value.startswith('"'):
                value = json.loads(value)  # llvm-dwarfdump escapes like C/JSON ("C:\\build")
            units[-1][m.group(1)] = value
    return units


# ---------------------------------------------------------------- running

def run_module(
    path: str,
    args: list[str],
    dirs: list[Json],
    fuel: int | None = None,
    epoch_after: float | None = None,
) -> dict[str, Any]:
    cfg = wasmtime.Config()
    if fuel is not None:
        cfg.consume_fuel = True
    if epoch_after is not None:
        cfg.epoch_interruption = True
    engine = wasmtime.Engine(cfg)
    store = wasmtime.Store(engine)
    if fuel is not None:
        store.set_fuel(fuel)
    module = wasmtime.Module.from_file(engine, path)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    with tempfile.TemporaryDirectory() as tmp:
        wasi = wasmtime.WasiConfig()
        wasi.argv = [os.path.basename(path)] + list(args)
        wasi.stdout_file = os.path.join(tmp, "out")
        wasi.stderr_file = os.path.join(tmp, "err")
        for d in dirs:
            wasi.preopen_dir(os.path.join(HERE, d["host"]), d["guest"])
        store.set_wasi(wasi)
        instance = linker.instantiate(store, module)
        start = instance.exports(store)["_start"]
        assert isinstance(start, wasmtime.Func)
        timer = None
        if epoch_after is not None:
            store.set_epoch_deadline(1)
            timer = threading.Timer(epoch_after, engine.increment_epoch)
            timer.start()
        result: dict[str, Any] = {"outcome": None, "trap_code": None, "exit_code": None, "frames": []}
        t0 = time.monotonic()
        try:
            start(store)
            result.update(outcome="exited", exit_code=0)
        except wasmtime.ExitTrap as e:
            result.update(outcome="exited", exit_code=e.code)
        except wasmtime.Trap as e:
            result.update(outcome="trapped", trap_code=e.trap_code.name if e.trap_code else None)
            result["frames"] = [
                {
                    "func_index": f.func_index,
                    "func_name": f.func_name,
                    "module_offset": None if f.module_offset == UNKNOWN_OFFSET else f.module_offset,
                }
                for f in e.frames
            ]
        finally:
            if timer is not None:
                timer.cancel()
        result["seconds"] = round(time.monotonic() - t0, 2)
        mem = instance.exports(store).get("memory")
        if isinstance(mem, wasmtime.Memory):
            result["final_memory_pages"] = mem.size(store)
        with open(os.path.join(tmp, "out"), encoding="utf-8", errors="replace") as f:
            result["stdout"] = f.read()
        with open(os.path.join(tmp, "err"), encoding="utf-8", errors="replace") as f:
            result["stderr"] = f.read()
    return result


def run_multi(path: str) -> dict[str, Any]:
    """Instantiate multi.wasm with stub imports and check what its start function did."""
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    module = wasmtime.Module.from_file(engine, path)
    calls: list[tuple[int, int]] = []
    log = wasmtime.Func(
        store,
        wasmtime.FuncType([wasmtime.ValType.i32(), wasmtime.ValType.i32()], []),
        lambda a, b: calls.append((a, b)),
    )
    table = wasmtime.Table(store, wasmtime.TableType(wasmtime.ValType.funcref(), wasmtime.Limits(1, None)), None)
    memory = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(1, None)))
    base = wasmtime.Global(store, wasmtime.GlobalType(wasmtime.ValType.i32(), False), 1000)
    counter = wasmtime.Global(store, wasmtime.GlobalType(wasmtime.ValType.i32(), True), 5)
    linker = wasmtime.Linker(engine)
    linker.define(store, "env", "log", log)
    linker.define(store, "env", "table", table)
    linker.define(store, "env", "memory", memory)
    linker.define(store, "env", "base", base)
    linker.define(store, "env", "counter", counter)
    instance = linker.instantiate(store, module)
    ex = instance.exports(store)
    heap, call_slot, total_global = ex["heap"], ex["call_slot"], ex["total"]
    assert isinstance(heap, wasmtime.Memory)
    assert isinstance(call_slot, wasmtime.Func)
    assert isinstance(total_global, wasmtime.Global)
    assert calls == [(16, 19)], calls
    assert bytes(heap.read(store, 16, 35)) == b"hello, multi-memory"
    assert bytes(heap.read(store, 64, 77)) == b"passive bytes"
    assert counter.value(store) == 6
    assert memory.read(store, 0, 1) == bytearray([7])
    assert call_slot(store, 2, 10, 3) == 7  # funcs[2] = $sub via table.init
    total = total_global.value(store)
    assert total == 1000 + 0x04030201, total
    return {
        "imports": [f"{i.module}.{i.name}" for i in module.imports],
        "exports": sorted(e.name for e in module.exports),
        "start_called_log_with": list(calls[0]),
    }


# ---------------------------------------------------------------- frames

def describe_frames(module_path: str, dwarf_path: str | None, frames: list[Json], variant: str = "O2",
                    extra: Json | None = None) -> list[Json]:
    """Symbolize the frames.  For DWARF_FORM_VARIANTS, `extra` collects per-module facts
    (split DWARF: the wasm-tools error, llvm-symbolizer's warnings)."""
    kept = frames[:MAX_FRAMES]
    if dwarf_path is None:
        for f in kept:
            f["locations"] = []
        return kept
    base = code_payload_start(dwarf_path)
    if code_payload_start(module_path) != base:
        raise SystemExit(f"{module_path}: code section moved relative to {dwarf_path}")
    offs = sorted({f["module_offset"] for f in kept if f["module_offset"] is not None})
    code_offs = [o - base for o in offs]
    skeleton: dict[int, list[Json]] = {}
    if variant in SPLIT_VARIANTS:
        # The reference is llvm-symbolizer: wasm-tools addr2line refuses split DWARF.
        assert extra is not None
        mod_dir = os.path.dirname(module_path)
        warnings: list[str] = []
        # Run from the module's directory so comp_dir "." + the dwo name finds the .dwo;
        # the .dwp is found as <module>.dwp whatever the working directory.
        llvm = llvm_symbolize(dwarf_path, code_offs, cwd=mod_dir, warnings=warnings)
        if variant == "split-dwp":
            explicit = llvm_symbolize(dwarf_path, code_offs, cwd=tempfile.gettempdir(),
                                      extra=(f"--dwp={module_path}.dwp",), warnings=warnings)
            if explicit != llvm:
                raise SystemExit(f"{module_path}: --dwp gives {explicit}, default lookup {llvm}")
        # What is left with the module alone (no .dwo, no .dwp): the skeleton units.
        with tempfile.TemporaryDirectory() as tmp:
            lone = os.path.join(tmp, os.path.basename(module_path))
            shutil.copyfile(module_path, lone)
            skeleton = llvm_symbolize(lone, code_offs, cwd=tmp)
        extra["llvm_symbolizer_warnings"] = warnings
        wt, wt_errors = wasm_tools_addr2line_each(dwarf_path, offs)
        if not wt_errors:
            raise SystemExit(f"{module_path}: wasm-tools addr2line resolved every frame of a split-DWARF module")
        extra["wasm_tools_addr2line_errors"] = {str(o): e for o, e in sorted(wt_errors.items())}
    else:
        llvm = llvm_symbolize(dwarf_path, code_offs)
        wt = wasm_tools_addr2line(dwarf_path, offs)
    for f in kept:
        mo = f["module_offset"]
        f["code_offset"] = None if mo is None else mo - base
        if mo is None:
            f["locations"] = []
            if variant in SPLIT_VARIANTS:
                f["skeleton_only_locations"] = []
            continue
        a = [dict(x) for x in llvm[mo - base]]  # frames may share an offset (recursion)
        if variant in SPLIT_VARIANTS:
            f["skeleton_only_locations"] = [dict(x) for x in skeleton[mo - base]]
            if mo not in wt:  # wasm-tools refused it: llvm-symbolizer is the only reader
                for x in a:
                    x["function_wasm_tools"] = None
                    x["file_wasm_tools"] = None
                f["locations"] = a
                continue
        b = wt.get(mo, [])
        if [(x["file"], x["line"]) for x in a] != [(x["file"], x["line"]) for x in b]:
            raise SystemExit(f"{module_path}@{mo}: llvm-symbolizer {a} != wasm-tools {b}")
        for x, y in zip(a, b):
            x["function_wasm_tools"] = y["function"]
            if variant in DWARF_FORM_VARIANTS:
                x["file_wasm_tools"] = y["file_raw"]
            else:
                # The older entries record only the normalized file.
                del x["file_llvm_symbolizer"]
        f["locations"] = a
    return kept


def check_against_o2(module_path: str, frames: list[Json], o2_path: str, variant: str) -> None:
    """A DWARF_FORM_VARIANTS module has the O2 module's code, so its frames must symbolize as O2's do
    (the file name aside for winpaths).  For split DWARF this is the only check besides
    llvm-symbolizer itself."""
    if code_section(module_path) != code_section(o2_path):
        raise SystemExit(f"{module_path}: code section differs from {o2_path}")
    base = code_payload_start(o2_path)
    offs = sorted({f["module_offset"] - base for f in frames if f["module_offset"] is not None})
    o2 = llvm_symbolize(o2_path, offs)
    keys = ("function", "linkage_name", "line", "column") if variant == "winpaths" else (
        "function", "linkage_name", "file", "line", "column")
    for f in frames:
        if f["module_offset"] is None:
            continue
        ours = [tuple(x[k] for k in keys) for x in f["locations"]]
        theirs = [tuple(x[k] for k in keys) for x in o2[f["module_offset"] - base]]
        if ours != theirs:
            raise SystemExit(f"{module_path}@{f['module_offset']}: {ours} != O2's {theirs}")


def is_user_file(name: str) -> bool:
    # "../c/x.c"; in the winpaths variant "C:\c\x.c" (C:\build + ..\c\x.c; no
    # other file in any module has a drive letter)
    return name.startswith("../") or bool(_WINDOWS_ABSOLUTE.match(name))


def innermost_user(frames: list[Json]) -> tuple[Json | None, Json | None]:
    """(location, frame) of the innermost location in user source."""
    for f in frames:
        for loc in f.get("locations", []):
            if is_user_file(loc["file"]):
                return loc, f
    return None, None


# ---------------------------------------------------------------- main

def module_entry(spec: Json, variant: str) -> dict[str, Any]:
    sample = spec["sample"]
    name = f"{sample}.wasm" if variant == "wat" else f"{sample}.{MODULE_SUFFIX.get(variant, variant)}.wasm"
    rel = f"build/{name}"
    path = os.path.join(HERE, rel)
    args = spec.get("args", [])
    dirs = spec.get("dirs", [])
    entry: dict[str, Any] = {
        "module": rel,
        "sample": sample,
        "language": spec["language"],
        "variant": variant,
        "source": spec["source"],
        "description": spec["description"],
        "args": args,
        "dirs": dirs,
        "runnable": spec.get("runnable", True),
        "custom_sections": custom_sections(path),
    }
    debug_file = None
    build_id = None
    if variant in ("stripped", "debug"):
        if variant == "stripped":
            debug_file = f"build/{sample}.debug.wasm"
        with open(path, "rb") as fh:
            data = fh.read()
        for sec_id, cname, start, end, _raw in wasmsections.sections(data):
            if sec_id == 0 and cname == "build_id":
                payload = data[start:end]
                nlen, p = wasmsections.read_uleb(payload, 0)
                p += nlen
                idlen, p = wasmsections.read_uleb(payload, p)
                build_id = payload[p : p + idlen].hex()
    entry["debug_file"] = debug_file
    entry["build_id"] = build_id

    if not entry["runnable"]:
        entry["host_setup"] = run_multi(path)
        entry["expect"] = {
            "outcome": None,
            "trap_code": None,
            "exit_code": None,
            "runs_forever": False,
            "stdout_contains": None,
            "stderr_contains": None,
        }
        entry["innermost_user_frame"] = None
        entry["trap_module_offset"] = None
        return entry

    runs_forever = spec.get("runs_forever", False)
    if runs_forever:
        fuel_run = run_module(path, args, dirs, fuel=SPIN_FUEL)
        epoch_run = run_module(path, args, dirs, epoch_after=SPIN_EPOCH_SECONDS)
        assert fuel_run["trap_code"] == "OUT_OF_FUEL", fuel_run
        assert epoch_run["trap_code"] == "INTERRUPT", epoch_run
        result = fuel_run
        entry["interrupted_runs"] = {
            "fuel": {"fuel": SPIN_FUEL, "trap_code": fuel_run["trap_code"],
                     "innermost_module_offset": fuel_run["frames"][0]["module_offset"],
                     "innermost_function": fuel_run["frames"][0]["func_name"]},
            "epoch": {"deadline_ticks": 1, "increment_after_seconds": SPIN_EPOCH_SECONDS,
                      "trap_code": epoch_run["trap_code"],
                      "innermost_module_offset": epoch_run["frames"][0]["module_offset"],
                      "innermost_function": epoch_run["frames"][0]["func_name"]},
        }
    else:
        result = run_module(path, args, dirs)

    # Where the DWARF is: the module itself, or its debug file.
    if variant in ("O0", "O2", "debug") or variant in DWARF_FORM_VARIANTS:
        dwarf = path
    elif variant == "stripped":
        dwarf = os.path.join(HERE, f"build/{sample}.debug.wasm")
    elif variant == "names":
        dwarf = os.path.join(HERE, f"build/{sample}.debug.wasm")  # only to find the user frame
    else:
        dwarf = None
    form: Json = {}
    frames = describe_frames(path, dwarf, [dict(f) for f in result["frames"]], variant, form)
    if variant in DWARF_FORM_VARIANTS:
        o2_rel = f"build/{sample}.O2.wasm"
        check_against_o2(path, frames, os.path.join(HERE, o2_rel), variant)
        entry["same_code_as"] = o2_rel
        units = dwarf_units(path)
        versions: dict[str, int] = {}
        for u in units:
            versions[str(u["version"])] = versions.get(str(u["version"]), 0) + 1
        entry["dwarf_unit_versions"] = versions
        # Our own units (wasi-libc's are "./..." or "/..." and unchanged).
        entry["dwarf_user_units"] = [
            u for u in units if u.get("DW_AT_name", "").startswith(("../", "..\\"))
            or "DW_AT_GNU_dwo_name" in u or "DW_AT_dwo_name" in u
        ]
        if variant in SPLIT_VARIANTS:
            entry["reference_tool"] = "llvm-symbolizer"
            entry["llvm_symbolizer_cwd"] = "build"
            # The .dwo files the skeletons name that are shipped beside the module
            # (comp_dir "." = the module's directory), and <module>.dwp.
            named = [u.get("DW_AT_GNU_dwo_name") or u.get("DW_AT_dwo_name") for u in entry["dwarf_user_units"]]
            assert named and all(named), entry["dwarf_user_units"]
            assert all(u["DW_AT_comp_dir"] == "." for u in entry["dwarf_user_units"])
            entry["dwo_files"] = [f"build/{n}" for n in named if os.path.isfile(os.path.join(HERE, "build", n))]
            dwp = f"{rel}.dwp"
            entry["dwp"] = dwp if os.path.isfile(os.path.join(HERE, dwp)) else None
            if variant == "split":
                assert entry["dwo_files"] and entry["dwp"] is None, (entry["dwo_files"], entry["dwp"])
            else:  # split-dwp: only the .dwp, so llvm-symbolizer can only have used that
                assert not entry["dwo_files"] and entry["dwp"], (entry["dwo_files"], entry["dwp"])
            entry.update(form)
        else:
            entry["reference_tool"] = "llvm-symbolizer and wasm-tools addr2line"
    loc, frame = innermost_user(frames)
    if variant == "names":
        user = None if frame is None else {"function": frame["func_name"], "file": None, "line": None,
                                           "function_demangled": demangle(frame["func_name"]),
                                           "func_index": frame["func_index"]}
        for f in frames:  # names variant carries no DWARF: do not claim locations
            f["locations"] = []
            f.pop("code_offset", None)
    elif variant == "wat":
        # No DWARF; the innermost frame's name-section name is the user function.
        user = None if not frames else {"function": frames[0]["func_name"], "file": None, "line": None,
                                        "func_index": frames[0]["func_index"]}
    elif loc is None or frame is None or dwarf is None:
        user = None
    else:
        user = {
            "function": loc["function"],
            "file": loc["file"],
            "line": loc["line"],
            "column": loc["column"],
            "function_wasm_tools": loc["function_wasm_tools"],
            "linkage_name": loc["linkage_name"],
            **({"file_llvm_symbolizer": loc["file_llvm_symbolizer"], "file_wasm_tools": loc["file_wasm_tools"]}
               if variant in DWARF_FORM_VARIANTS else {}),
            "func_index": frame["func_index"],
            # name-section name of the wasm function holding it (for the
            # stripped variant: from the debug file's name section)
            "physical_function": function_names(dwarf).get(frame["func_index"]),
            "inlined": frame["locations"].index(loc) < len(frame["locations"]) - 1,
        }

    stdout_contains = spec.get("stdout_contains")
    stderr_contains = spec.get("stderr_contains")
    if stdout_contains is not None:
        assert stdout_contains in result["stdout"], (rel, result["stdout"])
    if stderr_contains is not None:
        assert stderr_contains in result["stderr"], (rel, result["stderr"])

    entry["expect"] = {
        "outcome": None if runs_forever else result["outcome"],
        "trap_code": None if runs_forever else result["trap_code"],
        "exit_code": result["exit_code"],
        "runs_forever": runs_forever,
        "stdout_contains": stdout_contains,
        "stderr_contains": stderr_contains,
    }
    entry["innermost_user_frame"] = user
    entry["trap_module_offset"] = frames[0]["module_offset"] if frames else None
    if result["frames"]:
        entry["trap_frame_count"] = len(result["frames"])
        if len(result["frames"]) > MAX_FRAMES:
            entry["trap_frames_truncated"] = True  # only the innermost MAX_FRAMES are listed
        entry["trap_frames"] = frames
    entry["observed"] = {
        "stdout": result["stdout"] if len(result["stdout"]) < 400 else result["stdout"][:200] + "...",
        "stderr": result["stderr"],
        "final_memory_pages": result.get("final_memory_pages"),
    }
    if sample == "leak":
        # 100 x nanosleep(100 ms): really sleeps under wasmtime (poll_oneoff)
        assert result["seconds"] >= 10.0, result["seconds"]
        entry["expect"]["min_seconds"] = 10

    alternates = []
    for alt in spec.get("alternate_runs", []):
        r = run_module(path, alt["args"], alt.get("dirs", dirs))
        if alt.get("stdout_contains"):
            assert alt["stdout_contains"] in r["stdout"], (rel, alt, r)
        if alt.get("stderr_contains"):
            assert alt["stderr_contains"] in r["stderr"], (rel, alt, r)
        alternates.append(
            {
                "args": alt["args"],
                "dirs": alt.get("dirs", dirs),
                "expect": {
                    "outcome": r["outcome"],
                    "trap_code": r["trap_code"],
                    "exit_code": r["exit_code"],
                    "runs_forever": False,
                    "stdout_contains": alt.get("stdout_contains"),
                    "stderr_contains": alt.get("stderr_contains"),
                },
            }
        )
    if alternates:
        entry["alternate_runs"] = alternates
    return entry


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true", help="compare with manifest.json instead of writing it")
    parser.add_argument("--only", help="comma-separated sample names: run only those and print their entries (writes nothing)")
    opts = parser.parse_args()
    only = set(opts.only.split(",")) if opts.only else None
    manifest = []
    for spec in SAMPLES:
        if only and spec["sample"] not in only:
            continue
        for variant in spec["variants"]:
            entry = module_entry(spec, variant)
            e = entry["expect"]
            u = entry["innermost_user_frame"]
            print(
                f"{entry['module']:36} "
                f"{e['outcome'] or ('runs-forever' if e['runs_forever'] else 'not-run'):8} "
                f"{e['trap_code'] or e['exit_code']!s:26} "
                f"{'' if not u else u['function']} "
                f"{'' if not u or not u['file'] else u['file'] + ':' + str(u['line'])}",
                flush=True,
            )
            manifest.append(entry)
    text = json.dumps(manifest, indent=1) + "\n"
    out = os.path.join(HERE, "manifest.json")
    if only:
        print(text if len(text) < 20000 else text[:20000])
        return 0
    if opts.check:
        with open(out, encoding="utf-8") as f:
            old = f.read()
        if old != text:
            print("verify_manifest: manifest.json differs from what the modules do", file=sys.stderr)
            return 1
        print("verify_manifest: manifest.json matches")
        return 0
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"verify_manifest: wrote {out} ({len(manifest)} modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

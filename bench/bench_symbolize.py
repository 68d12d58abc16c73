"""Benchmark symbolizing 5,000 random addresses, cold and warm, against `wasm-tools addr2line`.

Run:  .venv/bin/python bench/bench_symbolize.py [MODULE ...]

Default modules: bench/build/sqlbench.wasm (SQLite, C, 4 MB; build it with bench/build_modules.sh)
and sample_modules/build/panic.O0.wasm (Rust with std DWARF, 5.5 MB). For each module, 5,000
addresses are drawn (fixed seed) from the line-table rows inside the code section and given as
module offsets (code section offset + code offset, what runtimes print) on the command line. Every
figure is the median of 5 whole-command runs, the commands interleaved round by round so that load
on the machine hits them alike, and every ratio is against `wasm-tools addr2line` measured in the
same run:

- llvm-symbolizer --obj=MODULE (LLVM 14 reads wasm, but wants code offsets: it is given those), when
  its answers for 200 of the addresses agree with wasm-tools';
- cold: `wasmdbg symbolize --no-cache` (builds the DWARF index), text and `--format json`;
- warm: `wasmdbg symbolize` with the index cached in a fresh WASMDBG_CACHE_DIR, text and json;
- first frame: the time until the first line of output, for ONE address, cold and warm;
- peak RSS: of one more run of each 5,000-address command, from GNU time (bench/timing.py says why);
- lookups: the 5,000 `Symbolizer.symbolize` calls alone, in-process, index loaded.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import timing  # noqa: E402

from wasmdbg.symbols.symbolizer import SymbolizeOptions, Symbolizer  # noqa: E402

BIN = Path(sys.executable).parent
WASM_TOOLS = str(BIN / "wasm-tools")
WASMDBG = str(BIN / "wasmdbg")
LLVM_SYMBOLIZER = shutil.which("llvm-symbolizer") or "/usr/bin/llvm-symbolizer"
ADDRESSES = 5000
REPEATS = 5
SEED = 20261202
SANITY = 200
DEFAULT_MODULES = [ROOT / "bench" / "build" / "sqlbench.wasm", ROOT / "sample_modules" / "build" / "panic.O0.wasm"]


@dataclass(frozen=True)
class Sample:
    code_base: int
    code_offsets: list[int]
    rows: int

    @property
    def module_args(self) -> list[str]:
        return [hex(self.code_base + offset) for offset in self.code_offsets]

    @property
    def code_args(self) -> list[str]:
        return [hex(offset) for offset in self.code_offsets]


def sample_addresses(module: Path) -> tuple[Sample, Symbolizer]:
    """5,000 line-table addresses inside the code section and inside a sequence, seeded, that wasm-tools resolves."""
    symbolizer = Symbolizer.open(module, SymbolizeOptions(use_cache=False))
    index, code = symbolizer.index, symbolizer.module.code_section
    assert index is not None and code is not None, f"{module}: no DWARF line table or code section"
    rows: set[int] = set()
    for seq in range(len(index.seq_start)):
        start, end = index.seq_start[seq], index.seq_end[seq]
        for row in range(index.seq_row_lo[seq], index.seq_row_hi[seq]):
            address = index.row_addr[row]
            if start <= address < end and 0 < address < code.size:
                rows.add(address)
    offsets = random.Random(SEED).sample(sorted(rows), min(ADDRESSES, len(rows)))
    # wasm-tools stops at the first address it cannot place: drop those, so the reference does all the work.
    for _ in range(100):
        done = subprocess.run(
            [WASM_TOOLS, "addr2line", str(module), *[hex(code.offset + o) for o in offsets]],
            capture_output=True, text=True, check=False,
        )
        if done.returncode == 0:
            break
        missing = re.search(r"failed to find frames for `(0x[0-9a-f]+)`", done.stderr)
        assert missing, done.stderr
        offsets.remove(int(missing.group(1), 16) - code.offset)
    else:
        raise SystemExit(f"{module}: wasm-tools addr2line refuses too many sampled addresses")
    return Sample(code.offset, offsets, len(rows)), symbolizer


def innermost_locations_wasm_tools(text: str) -> list[str]:
    """The innermost frame's file:line:column of each address in wasm-tools addr2line's output."""
    return [line.split()[-1] for line in text.splitlines() if line and not line[0].isspace()]


def innermost_locations_llvm(text: str) -> list[str]:
    """The innermost frame's file:line:column of each address in llvm-symbolizer's output (blank-line blocks).

    Line 0 (no line) is printed `file:0:column` by llvm-symbolizer and `file` by wasm-tools: made `file`.
    """
    locations = []
    for block in text.strip("\n").split("\n\n"):
        if block.strip():
            location = block.splitlines()[1].strip()
            file, _, line_column = location.partition(":0:")
            locations.append(file if line_column.isdigit() else location)
    return locations


def llvm_symbolizer_verdict(module: Path, sample: Sample) -> str | None:
    """None when llvm-symbolizer's answers agree with wasm-tools' for SANITY addresses, else why not."""
    if not os.access(LLVM_SYMBOLIZER, os.X_OK):
        return "llvm-symbolizer not found"
    ours = subprocess.run([LLVM_SYMBOLIZER, f"--obj={module}", *sample.code_args[:SANITY]],
                          capture_output=True, text=True, check=False)
    if ours.returncode != 0:
        return f"llvm-symbolizer failed: {ours.stderr.strip()[:120]}"
    theirs = subprocess.run([WASM_TOOLS, "addr2line", str(module), *sample.module_args[:SANITY]],
                            capture_output=True, text=True, check=True)
    got, want = innermost_locations_llvm(ours.stdout), innermost_locations_wasm_tools(theirs.stdout)
    if len(got) != len(want):
        return f"llvm-symbolizer answered {len(got)} of {len(want)} addresses"
    agree = sum(g == w for g, w in zip(got, want))
    if agree < 0.95 * len(want):
        return f"llvm-symbolizer agrees with wasm-tools on {agree} of {len(want)} addresses"
    return None


def bench_module(module: Path, cache_dir: Path) -> None:
    env = dict(os.environ, WASMDBG_CACHE_DIR=str(cache_dir))
    sample, symbolizer = sample_addresses(module)
    addrs, code_addrs = sample.module_args, sample.code_args
    arg_bytes = sum(len(a) + 1 for a in addrs) + len(str(module))
    assert arg_bytes < os.sysconf("SC_ARG_MAX") // 4, "addresses do not fit on a command line"
    one = addrs[len(addrs) // 2]
    verdict = llvm_symbolizer_verdict(module, sample)

    # (argv, the output line to time: 0 for the whole command). wasmdbg's text prints a header line first.
    commands: dict[str, tuple[list[str], int]] = {
        "wasm-tools addr2line (reference)": ([WASM_TOOLS, "addr2line", str(module), *addrs], 0),
    }
    if verdict is None:
        commands["llvm-symbolizer (code offsets)"] = ([LLVM_SYMBOLIZER, f"--obj={module}", *code_addrs], 0)
    commands.update({
        "wasmdbg symbolize, cold, text": ([WASMDBG, "symbolize", "--no-cache", str(module), *addrs], 0),
        "wasmdbg symbolize, cold, json": ([WASMDBG, "symbolize", "--no-cache", "--format", "json", str(module),
                                           *addrs], 0),
        "wasmdbg symbolize, warm, text": ([WASMDBG, "symbolize", str(module), *addrs], 0),
        "wasmdbg symbolize, warm, json": ([WASMDBG, "symbolize", "--format", "json", str(module), *addrs], 0),
        "first frame, 1 addr: wasm-tools": ([WASM_TOOLS, "addr2line", str(module), one], 1),
        "first frame, 1 addr: wasmdbg cold": ([WASMDBG, "symbolize", "--no-cache", str(module), one], 2),
        "first frame, 1 addr: wasmdbg warm": ([WASMDBG, "symbolize", str(module), one], 2),
    })
    # Warm the cache (unmeasured), then interleave the commands round by round.
    timing.measure([WASMDBG, "symbolize", str(module), one], env)
    runs: dict[str, list[timing.Run]] = {name: [] for name in commands}
    for _ in range(REPEATS):
        for name, (argv, first_line) in commands.items():
            runs[name].append(timing.measure(argv, env, first_line=first_line))

    rss = {name: timing.peak_rss_kib(argv, env) for name, (argv, first_line) in commands.items() if not first_line}
    lookups = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for offset in sample.code_offsets:
            symbolizer.symbolize(sample.code_base + offset)
        lookups.append(time.perf_counter() - start)

    def seconds(name: str) -> float:
        got = runs[name]
        return statistics.median(r.first_line_s if r.first_line_s is not None else r.seconds for r in got)

    reference = seconds("wasm-tools addr2line (reference)")
    first_reference = seconds("first frame, 1 addr: wasm-tools")
    print(f"module {module.relative_to(ROOT) if module.is_relative_to(ROOT) else module}: "
          f"{module.stat().st_size:,} bytes, {sample.rows:,} line-table addresses, {len(addrs):,} sampled (seed {SEED})")
    if verdict is not None:
        print(f"llvm-symbolizer left out: {verdict}")
    print(f"{'run (median of ' + str(REPEATS) + ')':38} {'median s':>9} {'ratio':>7} {'peak RSS MiB':>13}")
    for name in commands:
        base = first_reference if name.startswith("first frame") else reference
        kib = rss.get(name)
        shown = f"{kib / 1024:13.1f}" if kib is not None else f"{'':>13}"
        print(f"{name:38} {seconds(name):9.3f} {seconds(name) / base:7.2f} {shown}")
    lookup = statistics.median(lookups)
    print(f"{'lookups alone, in-process':38} {lookup:9.3f} {lookup / reference:7.2f} {'':>13}")
    print("ratios: 5,000-address rows vs wasm-tools addr2line on the same addresses; first-frame rows vs\n"
          "wasm-tools' first line for the same one address. Targets: warm <= 1.0x, cold <= 10x.")
    print()


def main(modules: list[Path]) -> None:
    timing.begin()
    with tempfile.TemporaryDirectory(prefix="wasmdbg-bench-cache-") as cache_dir:
        for module in modules:
            if not module.exists():
                print(f"{module}: missing (run bench/build_modules.sh)\n")
                continue
            bench_module(module, Path(cache_dir))


if __name__ == "__main__":
    main([Path(p).resolve() for p in sys.argv[1:]] or DEFAULT_MODULES)

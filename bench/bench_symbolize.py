"""Benchmark symbolizing 5,000 addresses of a large module, cold and warm, against wasm-tools addr2line.

Run:  .venv/bin/python bench/bench_symbolize.py [MODULE]

Default module: sample_modules/build/panic.O0.wasm (5.5 MB, Rust std DWARF from rustc). The
addresses are 5,000 line-table addresses spread evenly over the code. Every figure is a median of
whole command runs, as a user would run them, and the ratios are against `wasm-tools addr2line`
given the same addresses in the same run:

- cold: `wasmdbg symbolize --no-cache` (builds the DWARF index in its child process);
- warm: `wasmdbg symbolize` with the index already cached;
- lookups: the 5,000 `Symbolizer.symbolize` calls alone, in-process, index loaded.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import timing  # noqa: E402

from wasmdbg.symbols.symbolizer import SymbolizeOptions, Symbolizer  # noqa: E402

BIN = Path(sys.executable).parent
ADDRESSES = 5000


def median_s(argv: list[str], repeats: int, env: dict[str, str]) -> float:
    return timing.median_s(timing.command(argv, env, check=True), repeats)


def main(module: Path) -> None:
    env = dict(os.environ, WASMDBG_CACHE_DIR=tempfile.mkdtemp(prefix="wasmdbg-bench-cache-"))
    os.environ.update(env)
    symbolizer = Symbolizer.open(module, SymbolizeOptions(use_cache=False))
    assert symbolizer.index is not None and symbolizer.module.code_section is not None
    rows = sorted({a for a in symbolizer.index.row_addr if 0 <= a < symbolizer.module.code_section.size})
    step = max(1, len(rows) // ADDRESSES)
    code_offsets = rows[::step][:ADDRESSES]
    base = symbolizer.module.code_section.offset
    args = [str(base + offset) for offset in code_offsets]

    reference = median_s([str(BIN / "wasm-tools"), "addr2line", str(module), *args], 5, env)
    cold = median_s([str(BIN / "wasmdbg"), "symbolize", "--no-cache", "--format", "json", str(module), *args], 3, env)
    subprocess.run([str(BIN / "wasmdbg"), "symbolize", str(module), "1"], env=env, capture_output=True, check=False)
    warm = median_s([str(BIN / "wasmdbg"), "symbolize", "--format", "json", str(module), *args], 5, env)
    lookups = []
    for _ in range(5):
        start = time.perf_counter()
        for offset in code_offsets:
            symbolizer.symbolize(base + offset)
        lookups.append(time.perf_counter() - start)
    lookup = statistics.median(lookups)

    print(f"module {module.name}: {module.stat().st_size:,} bytes, {len(rows):,} line rows, {len(args):,} addresses")
    print(f"{'run':34} {'median s':>9} {'vs wasm-tools':>14}")
    print(f"{'wasm-tools addr2line (reference)':34} {reference:9.3f} {1.0:14.1f}")
    print(f"{'wasmdbg symbolize, cold (no cache)':34} {cold:9.3f} {cold / reference:14.1f}")
    print(f"{'wasmdbg symbolize, warm (cached)':34} {warm:9.3f} {warm / reference:14.1f}")
    print(f"{'  of which lookups, in-process':34} {lookup:9.3f} {lookup / reference:14.1f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "sample_modules" / "build" / "panic.O0.wasm")

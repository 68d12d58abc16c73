"""Benchmark the binary reader and `wasmdbg info` against wasm-tools on the same modules.

Run:  .venv/bin/python bench/bench_reader.py [MODULE ...]

Each measurement is repeated and the median quoted; the figures that matter are the ratios against
the reference measured in the same run (wasm-tools, the Bytecode Alliance's native reader):

- `info` (whole command, as a user runs it) against `wasm-tools objdump` (whole command);
- decoding every instruction in-process against `wasm-tools print` (whole command, which decodes
  every instruction too and also prints them);
- the worst time `info` takes to refuse a module of the spec suite's malformed set.

Default modules: samples, bench/build/sqlbench.wasm when built, and two of the reference corpus
(../shared/corpus) when it is present.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timing import command as _command  # noqa: E402
from timing import machine  # noqa: E402
from timing import median_s as _median_s  # noqa: E402

from wasmdbg.errors import WasmdbgError  # noqa: E402
from wasmdbg.inspection.module_info import inspect_module  # noqa: E402
from wasmdbg.wasm.module import read_module  # noqa: E402

WASM_TOOLS = str(Path(sys.executable).parent / "wasm-tools")
WASMDBG = str(Path(sys.executable).parent / "wasmdbg")
CORPUS = ROOT.parent / "shared" / "corpus"
REPEATS = 7


def median_s(run: Callable[[], object], repeats: int = REPEATS) -> float:
    return _median_s(run, repeats)


def command(*argv: str) -> Callable[[], object]:
    return _command(list(argv))


def decode_all(path: Path) -> int:
    module = read_module(path.read_bytes())
    return module.check_code()


def main(paths: list[Path]) -> None:
    print(machine())
    print(f"{'module':28} {'size':>9} {'instrs':>8} | {'info':>7} {'objdump':>7} {'ratio':>6} | "
          f"{'decode':>7} {'print':>7} {'ratio':>6} {'Minstr/s':>8}")
    for path in paths:
        instructions = decode_all(path)
        info_s = median_s(command(WASMDBG, "info", "--format", "json", str(path)))
        objdump_s = median_s(command(WASM_TOOLS, "objdump", str(path)))
        decode_s = median_s(lambda: decode_all(path))
        print_s = median_s(command(WASM_TOOLS, "print", str(path)))
        print(
            f"{path.name:28} {path.stat().st_size:>9,} {instructions:>8,} | {info_s:7.3f} {objdump_s:7.3f} "
            f"{info_s / objdump_s:6.1f} | {decode_s:7.3f} {print_s:7.3f} {decode_s / print_s:6.2f} "
            f"{instructions / decode_s / 1e6:8.2f}"
        )
    malformed = sorted((CORPUS / "spec" / "malformed").glob("*.wasm"))
    if malformed:
        worst, worst_path = 0.0, malformed[0]
        for path in malformed:
            start = time.perf_counter()
            try:
                inspect_module(path)
            except WasmdbgError:
                pass
            elapsed = time.perf_counter() - start
            if elapsed > worst:
                worst, worst_path = elapsed, path
        print(f"\nrefusing {len(malformed)} spec-malformed modules in-process: worst {worst * 1000:.1f} ms "
              f"({worst_path.name})")


if __name__ == "__main__":
    given = [Path(p) for p in sys.argv[1:]]
    default = [
        ROOT / "sample_modules" / "build" / "divzero.O0.wasm",
        ROOT / "sample_modules" / "build" / "panic.O2.wasm",
        ROOT / "sample_modules" / "build" / "panic.O0.wasm",
        ROOT / "bench" / "build" / "sqlbench.wasm",
        CORPUS / "dwarf-binaryen" / "cubescript.wasm",
        CORPUS / "dwarf-binaryen" / "zlib.wasm",
    ]
    main(given or [p for p in default if p.exists()])

"""The reference embedder for the runner and app benchmarks: exactly what a plain wasmtime-py script does.

Run:  .venv/bin/python bench/bare_run.py MODULE [ARGS...]

Engine() with the defaults, a Store, Linker.define_wasi(), a WasiConfig whose argv is the program
name then ARGS and which inherits stdout/stderr, Module.from_file (no compile cache), call `_start`.
A WASI exit exits with its code; a trap prints wasmtime's message and exits 134, as the wasmtime
CLI does after a trap.
"""

from __future__ import annotations

import sys
from pathlib import Path

import wasmtime


def main(module: Path, args: list[str]) -> int:
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    wasi = wasmtime.WasiConfig()
    wasi.argv = [module.stem, *args]
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    store.set_wasi(wasi)
    instance = linker.instantiate(store, wasmtime.Module.from_file(engine, str(module)))
    start = instance.exports(store)["_start"]
    assert isinstance(start, wasmtime.Func)
    try:
        start(store)
    except wasmtime.ExitTrap as exit_trap:
        return exit_trap.code
    except wasmtime.Trap as trap:
        print(trap, file=sys.stderr)
        return 134
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2:]))

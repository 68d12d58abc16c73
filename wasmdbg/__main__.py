"""`python -m wasmdbg`: the same entry point as the `wasmdbg` script."""

from __future__ import annotations

from wasmdbg.cli.launch import run

if __name__ == "__main__":
    run()

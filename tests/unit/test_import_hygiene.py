"""The layering promises, proved at run time (deferred imports are invisible to import-linter)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, SAMPLES

HEAVY = ("rich", "textual", "wasmtime", "elftools")


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


@pytest.mark.parametrize(
    "code",
    [
        "import wasmdbg",
        "import wasmdbg.wasm.module",
        f"from wasmdbg.wasm.module import read_module; read_module(open({str(SAMPLES / 'build' / 'divzero.O2.wasm')!r}, 'rb').read()).check_code()",
        f"from wasmdbg.inspection.module_info import inspect_module; inspect_module({str(SAMPLES / 'build' / 'multi.wasm')!r}, validate=False)",
        f"from wasmdbg.symbols.symbolizer import Symbolizer, SymbolizeOptions; "
        f"Symbolizer.open({str(SAMPLES / 'build' / 'divzero.O2.wasm')!r}, SymbolizeOptions(use_cache=False)).symbolize(500)",
    ],
    ids=["package", "reader", "reading-a-module", "inspecting-without-validation", "symbolizing"],
)
def test_core_loads_no_ui_and_no_engine(code: str) -> None:
    # elftools among them: pyelftools runs only in the index builder's child process.
    assert loaded_after(code).isdisjoint(HEAVY)


def test_import_contracts_hold() -> None:
    """The contracts in pyproject.toml ([tool.importlinter]), checked by import-linter."""
    lint = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(lint)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout

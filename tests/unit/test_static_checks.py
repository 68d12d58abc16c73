"""Static checks run as tests: mypy --strict over the package, pyflakes-level lint over everything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT


def test_package_passes_mypy_strict() -> None:
    proc = subprocess.run([sys.executable, "-m", "mypy"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_unused_imports_undefined_names_or_syntax_errors() -> None:
    ruff = Path(sys.executable).parent / "ruff"
    proc = subprocess.run(
        [str(ruff), "check", "--select", "F,E9", "--output-format", "concise", "wasmdbg", "tests", "bench"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

"""mypy --strict over the package (configured in pyproject.toml): type annotations are checked, not decorative."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT


def test_package_passes_mypy_strict() -> None:
    proc = subprocess.run([sys.executable, "-m", "mypy"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr

"""Fixtures shared by every test directory; plain helpers live in tests/helpers.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def tmp_module(tmp_path: Path) -> Callable[..., Path]:
    """Write bytes to a .wasm file in a temporary directory and return its path."""

    def write(data: bytes, name: str = "m.wasm") -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write

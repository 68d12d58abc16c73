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


@pytest.fixture(autouse=True, scope="session")
def _private_index_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read or write the user's DWARF index cache."""
    import os

    os.environ["WASMDBG_CACHE_DIR"] = str(tmp_path_factory.mktemp("dwarf-index-cache"))

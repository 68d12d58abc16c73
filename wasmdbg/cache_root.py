"""wasmdbg's cache directory, for every layer that keeps something there (DWARF indexes, compiled code).

Standard library only (platformdirs is imported when it is needed), so the agent and the index
child can find it without importing each other's packages.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "WASMDBG_CACHE_DIR"
"""Overrides the cache directory (the user cache dir from platformdirs by default)."""


def overridden() -> bool:
    """Whether `$WASMDBG_CACHE_DIR` names the cache directory."""
    return bool(os.environ.get(CACHE_ENV))


def cache_root() -> Path:
    """wasmdbg's cache directory: `$WASMDBG_CACHE_DIR`, else the platform's user cache directory."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("wasmdbg"))

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


def private_directory(path: Path) -> bool:
    """Make `path` (mode 0700 where it is created) and say whether it and its parent are private.

    Private: owned by this user and writable by nobody else. wasmtime loads *compiled machine code*
    from its cache, so a cache directory another user can write to would let them run code as this
    user; such a directory is not used (the run compiles instead). A symlink is followed: what
    counts is the directory that would be written.
    """
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        for folder in (path, path.parent):
            status = folder.stat()
            if status.st_uid != os.geteuid() or status.st_mode & 0o022:
                return False
    except OSError:
        return False
    return True

"""On-disk cache of built DWARF indexes (and of failures), keyed by the DWARF's content.

A missing, stale, foreign or corrupt cache file is a miss, never an error; failing to write the
cache only costs the next run a rebuild.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from wasmdbg.cache_root import CACHE_ENV, cache_root, overridden
from wasmdbg.dwarf.index import INDEX_FORMAT, DwarfIndex, IndexFormatError
from wasmdbg.dwarf.split import split_dependencies
from wasmdbg.wasm.files import write_whole

__all__ = ["CACHE_ENV", "cache_dir", "cache_key", "load", "store", "store_failure", "store_file"]

def cache_dir() -> Path:
    """Where indexes are kept: `$WASMDBG_CACHE_DIR` itself, else `dwarf-index` in the user cache directory."""
    return cache_root() if overridden() else cache_root() / "dwarf-index"


def cache_key(
    sections: Mapping[str, bytes], extra: bytes = b"", *, split_dir: str | os.PathLike[str] | None = None
) -> str:
    """Content hash of the DWARF sections (plus e.g. a .dwp), the split units found, and the index format.

    Args:
        sections: the module's `.debug_*` section payloads.
        extra: more bytes the build reads, e.g. the `.dwp` package.
        split_dir: where the build will look for skeleton units' `.dwo` files.

    A skeleton unit's answer depends on whether its `.dwo` is found, so the key covers each `.dwo`
    the skeletons name: its file name and the sha256 of the file in `split_dir`, or that it is
    missing. A module without split units keys on its sections alone. `load` re-hashes the files
    a cached index was built from as well, for a `.dwo` that changed during the build.
    """
    digest = hashlib.sha256(f"wasmdbg-dwarf-index-{INDEX_FORMAT}\n".encode())
    digest.update(hashlib.sha256(extra).digest())
    for name in sorted(sections):
        payload = sections[name]
        digest.update(f"{name}\0{len(payload)}\0".encode())
        digest.update(payload)
    found = split_dependencies(sections, Path(split_dir) if split_dir is not None else None)
    if found is None:
        # Unreadable unit headers: the child will most likely reject them too. Keyed apart, and
        # the failure (or index) is still remembered, so hostile DWARF is not rebuilt every run.
        digest.update(b"split units: not scanned\0")
    for dwo_name, sha256 in found or ():
        digest.update(f"dwo\0{dwo_name}\0{sha256 or 'missing'}\0".encode())
    return digest.hexdigest()


def load(key: str) -> DwarfIndex | str | None:
    """The cached index, the cached reason its build failed, or None on a miss."""
    base = cache_dir() / key
    try:
        index = DwarfIndex.from_bytes(base.with_suffix(".idx").read_bytes(), key)
        if all(_sha256(path) == digest for path, digest in index.deps):
            return index
    except (OSError, IndexFormatError):
        pass
    try:
        reason = base.with_suffix(".failed").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return reason.splitlines()[0] if reason else None


def _sha256(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def store_file(path: Path, data: bytes) -> None:
    """Write a cache file whole (atomically); failing only costs the next run a rebuild."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_whole(path, data, prefix=".tmp-")
    except OSError:
        pass  # a read-only or full cache directory only costs a rebuild next time


def store(key: str, index_bytes: bytes) -> None:
    """Keep a built index."""
    store_file(cache_dir() / f"{key}.idx", index_bytes)


def store_failure(key: str, reason: str) -> None:
    """Remember why this DWARF could not be indexed, so the next run does not wait for it again."""
    store_file(cache_dir() / f"{key}.failed", reason.encode())

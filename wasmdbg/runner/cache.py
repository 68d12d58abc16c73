"""wasmtime's compile cache, kept in wasmdbg's cache directory.

Compiling a large module takes most of a short run (half a second for a 4 MB SQLite build), and
every run compiles the same bytes with the same engine settings; wasmtime can keep the compiled
code on disk, keyed by both. Its Config takes a TOML file naming the directory, so wasmdbg writes
one beside the cache, in wasmdbg's cache directory (`wasmdbg.cache_root`). A cache that cannot be
set up never fails a run: it runs uncached; so does one that is not private to the user, since
wasmtime runs the machine code it finds there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wasmdbg.cache_root import CACHE_ENV, cache_root, private_directory
from wasmdbg.wasm.files import write_whole

__all__ = ["CACHE_ENV", "compile_cache_dir", "config_text", "enable", "write_config"]


def compile_cache_dir() -> Path:
    """Where wasmtime keeps compiled modules."""
    return cache_root() / "wasmtime"


def config_text(directory: Path) -> str:
    """The cache configuration wasmtime 50 reads.

    Since wasmtime 33 the `[cache]` table has no `enabled` key (loading a file enables the cache,
    and an unknown key is an error). A JSON string is a valid TOML basic string, quotes and
    backslashes in the path included.
    """
    return f"[cache]\ndirectory = {json.dumps(str(directory))}\n"


def write_config() -> str | None:
    """Write the configuration file (when it differs) and return its path; None when it cannot be."""
    directory = compile_cache_dir()
    path = directory.parent / "wasmtime-cache.toml"
    text = config_text(directory)
    if not private_directory(directory):
        return None  # compiled code others could have written is never loaded: run uncached
    try:
        try:
            if path.read_text(encoding="utf-8") == text:
                return str(path)
        except (OSError, UnicodeDecodeError):
            pass
        write_whole(path, text.encode("utf-8"), prefix=".wasmtime-cache.")  # a concurrent run never reads half a file
    except OSError:
        return None
    return str(path)


def enable(config: Any) -> bool:
    """Turn on the compile cache in a `wasmtime.Config`; False (and the config unchanged) when it cannot be."""
    import wasmtime

    path = write_config()
    if path is None:
        return False
    try:
        config.cache = path
    except wasmtime.WasmtimeError:  # the directory cannot be created, or the file was replaced meanwhile
        return False
    return True

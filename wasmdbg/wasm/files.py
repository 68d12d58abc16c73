"""Reading a module file from disk with one-line errors instead of OSError tracebacks."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from wasmdbg.errors import WasmdbgError
from wasmdbg.text import printable

MAX_MODULE_BYTES = 1 << 30
"""Refuse files above 1 GiB: no real module is that big, and reading one would exhaust memory."""


def read_module_file(path: str | os.PathLike[str]) -> bytes:
    """Read a module's bytes.

    Raises:
        WasmdbgError: the path is missing, not a regular file (a FIFO or device would block or
            never end), unreadable, or too large.
    """
    shown = printable(os.fspath(path))
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise WasmdbgError(f"{shown}: is a directory, not a module file")
        if not stat.S_ISREG(info.st_mode):
            raise WasmdbgError(f"{shown}: not a regular file")
        if info.st_size > MAX_MODULE_BYTES:
            raise WasmdbgError(f"{shown}: {info.st_size} bytes is larger than the 1 GiB wasmdbg reads")
        return Path(path).read_bytes()
    except OSError as error:
        raise WasmdbgError(f"{shown}: {error.strerror or error}") from None

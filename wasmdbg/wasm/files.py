"""Files: a module (or any regular file) read with one-line errors instead of OSError tracebacks, and written whole."""

from __future__ import annotations

import os
import stat
import tempfile

from wasmdbg.errors import WasmdbgError
from wasmdbg.text import describe_bytes, printable

MAX_MODULE_BYTES = 1 << 30
"""Refuse files above 1 GiB: no real module is that big, and reading one would exhaust memory."""


def read_module_file(path: str | os.PathLike[str]) -> bytes:
    """Read a module's bytes.

    Raises:
        WasmdbgError: the path is missing, not a regular file (a FIFO or device would block or
            never end), unreadable, or too large.
    """
    return read_regular_file(path, what="module file", limit=MAX_MODULE_BYTES)


def read_regular_file(path: str | os.PathLike[str], *, what: str, limit: int) -> bytes:
    """Read a whole regular file of at most `limit` bytes (`what` names the kind in the errors).

    It is opened without blocking and checked once open, so a FIFO (or a file swapped for one)
    is refused instead of waited on.

    Raises:
        WasmdbgError: the path is missing, a directory or not a regular file, unreadable, or too large.
    """
    shown = printable(os.fspath(path))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except IsADirectoryError:
        raise WasmdbgError(f"{shown}: is a directory, not a {what}") from None
    except OSError as error:
        raise WasmdbgError(f"{shown}: {error.strerror or error}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise WasmdbgError(f"{shown}: is a directory, not a {what}")
        if not stat.S_ISREG(info.st_mode):
            raise WasmdbgError(f"{shown}: not a regular file")
        if info.st_size > limit:
            raise WasmdbgError(f"{shown}: {info.st_size:,} bytes is larger than the {describe_bytes(limit)} wasmdbg reads")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as error:
        raise WasmdbgError(f"{shown}: {error.strerror or error}") from None
    finally:
        os.close(fd)


def write_whole(path: str | os.PathLike[str], data: bytes, *, prefix: str = ".wasmdbg-") -> None:
    """Write `data` to `path` whole or not at all: a temporary file beside it, then renamed over it.

    Raises:
        OSError: the directory cannot be written; nothing is left behind.
    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=prefix, dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise

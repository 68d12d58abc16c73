"""Modules in the WebAssembly text format (`.wat`), assembled to the binary format by wasmtime.

wasmtime runs text-format modules, so wasmdbg takes them wherever it takes a module. Binary modules
pass through untouched and never load wasmtime: only text is handed to `wasmtime.wat2wasm`, which is
imported when it is needed.
"""

from __future__ import annotations

import os

from wasmdbg.errors import WasmdbgError
from wasmdbg.text import printable
from wasmdbg.wasm.files import read_module_file

WASM_MAGIC = b"\0asm"
"""The first four bytes of every binary module."""


def read_module_source(path: str | os.PathLike[str]) -> tuple[bytes, bool]:
    """A module file's binary-format bytes, and whether the file was the text format.

    Raises:
        WasmdbgError: as `module_bytes`.
    """
    data = read_module_file(path)
    if not is_text_format(data):
        return data, False
    return assemble(data, os.fspath(path)), True


def module_bytes(path: str | os.PathLike[str]) -> bytes:
    """A module file's binary-format bytes: the file itself, or its text format assembled.

    Args:
        path: a binary (`.wasm`) or text-format (`.wat`) module file.

    Returns:
        The bytes as read when they are not text (binary modules, and anything else, which the
        reader then refuses with its own message), else the assembled binary module.

    Raises:
        WasmdbgError: the path is missing, not a regular file, unreadable or too large (see
            `read_module_file`), or it holds text that is not a valid module.
    """
    return read_module_source(path)[0]


def is_text_format(data: bytes) -> bool:
    """Whether `data` looks like the text format: not the wasm magic, and `(` after whitespace and `;;` comments.

    A block comment `(; … ;)` starts with `(` too, so it counts as text.
    """
    if data.startswith(WASM_MAGIC):
        return False
    at, end = 0, len(data)
    while at < end:
        byte = data[at]
        if byte in b" \t\r\n":
            at += 1
        elif data.startswith(b";;", at):
            newline = data.find(b"\n", at)
            if newline < 0:
                return False
            at = newline + 1
        else:
            return byte == ord("(")
    return False


def assemble(text: bytes, name: str) -> bytes:
    """Assemble text-format module source with `wasmtime.wat2wasm`.

    Args:
        text: the module's text format (UTF-8).
        name: the file it came from, for the error message.

    Raises:
        WasmdbgError: the text is not a valid module; one printable line naming the file, the
            line and column when wasmtime gives them, and wasmtime's reason.
    """
    import wasmtime  # deferred: binary modules never load the engine

    try:
        return bytes(wasmtime.wat2wasm(text))
    except wasmtime.WasmtimeError as error:
        message = str(error)
        where, reason = _where(message), _reason(message)
        raise WasmdbgError(f"{printable(name)}: invalid WebAssembly text{where}: {reason}") from None


def _reason(message: str) -> str:
    lines = message.strip().splitlines()
    return printable(lines[0].strip()) if lines and lines[0].strip() else "cannot be assembled"


def _where(message: str) -> str:
    """` at line L, column C` from wat2wasm's `--> <anon>:L:C` line, else empty."""
    for line in message.splitlines()[1:3]:
        line = line.strip()
        if line.startswith("-->"):
            parts = line.rsplit(":", 2)
            if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
                return f" at line {parts[1]}, column {parts[2]}"
    return ""

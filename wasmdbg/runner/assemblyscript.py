"""AssemblyScript's `env.abort` import, defined as its own loader defines it: read the message, end the run.

An AssemblyScript module imports `abort(message: usize, fileName: usize, lineNumber: u32,
columnNumber: u32)` from `env` unless built with `--use abort=...`; `assert`, `abort()` and the
runtime's own checks (an index out of range, a failed allocation) call it. Its loader reads the
two strings from the guest's memory and throws. wasmtime has no such import, so such a module could
not even be instantiated. Here the strings are read (each is UTF-16LE, its byte length in the u32
of the object header just before it) and recorded, and the call returns: the compiler puts an
`unreachable` after every call of abort (its type is `never`), so the run ends with a trap at the
code that aborted and wasmtime's frames of it (a trap raised from the host function would lose
them: the bindings re-raise the Python exception).

The guest is untrusted: pointers are checked against the memory's size, lengths are capped, and
bad UTF-16 becomes U+FFFD. Nothing is written to the guest's output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import wasmtime

from wasmdbg.runner.protocol import AbortCall

MODULE, NAME = "env", "abort"
MAX_STRING_BYTES = 4096
"""At most this much of each string is read; a longer one is cut (an abort message is a line)."""

_I32 = wasmtime.ValType.i32()


def imports_abort(module: wasmtime.Module) -> bool:
    """Whether `module` imports `env.abort` with AssemblyScript's signature (i32, i32, i32, i32) -> ()."""
    for imported in module.imports:
        if imported.module == MODULE and imported.name == NAME:
            kind = imported.type
            return (
                isinstance(kind, wasmtime.FuncType)
                and [str(t) for t in kind.params] == ["i32"] * 4
                and not list(kind.results)
            )
    return False


def define_abort(linker: wasmtime.Linker, store: wasmtime.Store, record: Callable[[AbortCall], None]) -> None:
    """Define `env.abort`: decode its arguments from the caller's exported memory and `record` them."""

    def abort(caller: wasmtime.Caller, message: int, file: int, line: int, column: int) -> None:
        memory = caller.get("memory")
        read: Callable[[int], str | None] = lambda _: None  # noqa: E731 (no exported memory: no strings)
        if isinstance(memory, wasmtime.Memory):
            read = lambda ptr: read_string(memory, caller, ptr)  # noqa: E731
        record(AbortCall(read(message), read(file), line & 0xFFFFFFFF, column & 0xFFFFFFFF))

    func_type = wasmtime.FuncType([_I32, _I32, _I32, _I32], [])
    linker.define(store, MODULE, NAME, wasmtime.Func(store, func_type, abort, access_caller=True))


def read_string(memory: wasmtime.Memory, store: Any, ptr: int) -> str | None:
    """The AssemblyScript string at `ptr` (UTF-16LE, its byte length at `ptr - 4`), None if null or out of bounds."""
    ptr &= 0xFFFFFFFF
    size = memory.data_len(store)
    if ptr < 4 or ptr > size:
        return None
    length = int.from_bytes(memory.read(store, ptr - 4, ptr), "little")
    length = min(length, MAX_STRING_BYTES, size - ptr) & ~1
    return memory.read(store, ptr, ptr + length).decode("utf-16-le", "replace")

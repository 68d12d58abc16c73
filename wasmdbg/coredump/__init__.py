"""WebAssembly coredumps (tool-conventions `Coredump.md`): read them, write them, map their offsets.

Standard library and `wasmdbg.wasm` only, like the binary reader it builds on.
"""

from __future__ import annotations

from wasmdbg.coredump.model import (
    CoreDump,
    CoreFrame,
    CoreGlobal,
    CoreInstance,
    CoreMemory,
    CoreThread,
    CoreValue,
)
from wasmdbg.coredump.offsets import code_offset, module_offset
from wasmdbg.coredump.read import CoredumpError, read_coredump
from wasmdbg.coredump.write import MemoryImage, write_coredump

__all__ = [
    "CoreDump",
    "CoreFrame",
    "CoreGlobal",
    "CoreInstance",
    "CoreMemory",
    "CoreThread",
    "CoreValue",
    "CoredumpError",
    "MemoryImage",
    "code_offset",
    "module_offset",
    "read_coredump",
    "write_coredump",
]

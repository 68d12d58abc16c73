"""What symbolization produces: source frames for one address, innermost first."""

from __future__ import annotations

from dataclasses import dataclass, field

from wasmdbg.findings import Finding
from wasmdbg.addresses import CodeOffset, ModuleOffset

DWARF, NAME, EXPORT, IMPORT, INDEX = "dwarf", "name", "export", "import", "index"
"""Where a frame's function name came from, best first."""
TRACEBACK = "traceback"
"""A frame whose name and place the guest's own runtime printed (Go's traceback), the module having no DWARF for it."""


@dataclass(frozen=True, slots=True)
class SourceFrame:
    """One frame of a symbolized address: a function and, when DWARF knows it, a source location."""

    function: str | None
    """Demangled function name, or None when nothing names it."""
    linkage_name: str | None = None
    """The mangled name the function name was demangled from, if it was."""
    file: str | None = None
    line: int | None = None
    column: int | None = None
    inlined: bool = False
    """True for a frame inlined into the next one (its caller)."""
    source: str = INDEX
    """"dwarf", "name", "export", "import", "index" or "traceback"."""

    def to_json(self) -> dict[str, object]:
        """The frame as `symbolize --format json` prints it."""
        return {
            "function": self.function,
            "linkage_name": self.linkage_name,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "inlined": self.inlined,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class SymbolizedAddress:
    """Everything known about one address of a module."""

    module_offset: ModuleOffset
    code_offset: CodeOffset | None
    """Offset from the code section's contents (DWARF's origin); None without a code section."""
    func_index: int | None
    """The function whose body holds the address, or None when no body does."""
    frames: tuple[SourceFrame, ...]
    """Innermost first; empty only when the address lies in no function at all."""
    warnings: tuple[Finding, ...] = field(default=())
    """Why the address may not be what it seems (outside code, not on an instruction, ...)."""

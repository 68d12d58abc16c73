"""The address spaces of a wasm module, named in the types, and the one conversion between them."""

from __future__ import annotations

from typing import NewType

ModuleOffset = NewType("ModuleOffset", int)
"""Byte offset from the start of the module file: what wasmtime, wasmer and browsers print."""

CodeOffset = NewType("CodeOffset", int)
"""Byte offset from the start of the code section's contents: what DWARF addresses mean in wasm."""

FuncIndex = NewType("FuncIndex", int)
"""Index in the function index space, imported functions first."""


def to_code_offset(offset: ModuleOffset, code_section_offset: ModuleOffset) -> CodeOffset:
    """Convert a module offset to a code-section-relative one (negative when before the code section)."""
    return CodeOffset(offset - code_section_offset)


def to_module_offset(offset: CodeOffset, code_section_offset: ModuleOffset) -> ModuleOffset:
    """Convert a code-section-relative offset back to a module offset."""
    return ModuleOffset(offset + code_section_offset)

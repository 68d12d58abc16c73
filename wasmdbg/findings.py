"""Findings: the core's warnings and notes as typed records, worded without any front end's flags.

The core says what it found (`Finding.message`) and what kind of thing it is (`Finding.kind`, one of
the constants below). A front end decides what to suggest for a kind: the CLI adds its flags
(wasmdbg/cli/hints.py), a screen may offer a key instead. Code that needs to know whether a frame
fits its module tests kinds, never the wording.
"""

from __future__ import annotations

from dataclasses import dataclass

# -- an address against its module (symbols.symbolizer) ------------------------------------------
NO_CODE_SECTION = "no-code-section"
"""The module has no code section, so no address is in code."""
OUTSIDE_CODE = "outside-code"
"""The address lies outside the code section (perhaps it is a code-section offset)."""
NOT_IN_BODY = "not-in-body"
"""The address is in the code section but in no function body."""
IN_HEADER = "in-header"
"""The address is in a function body's header (size, locals), not on an instruction."""
NOT_BOUNDARY = "not-boundary"
"""The address is inside an instruction rather than at its first byte."""
UNCHECKED_BODY = "unchecked-body"
"""The function body could not be decoded, so the instruction boundary was not checked."""

# -- a pasted trace against the module (backtrace.matching, session.pasted) ----------------------
MISMATCH = "mismatch"
"""A frame contradicts the module (index out of range, offset in another or no function, another
name): the trace does not come from this binary."""
NO_OFFSET = "no-offset"
"""The runtime printed a function but no offset: only the function is known."""
TRUNCATED = "truncated"
"""The runtime cut the trace short (wasmtime keeps 20 frames)."""

# -- the module's debug information (symbols.debug_files, symbols.symbolizer) --------------------
DEBUG_FILE_URL = "debug-file-url"
"""external_debug_info names a URL, which is never fetched."""
DEBUG_FILE_ABSOLUTE = "debug-file-absolute"
"""external_debug_info names an absolute path, which is not followed."""
DEBUG_FILE_OUTSIDE = "debug-file-outside"
"""external_debug_info leads outside the module's directory, which is not followed."""
DEBUG_FILE_MISSING = "debug-file-missing"
"""external_debug_info names a file that is not beside the module."""
DEBUG_FILE_UNUSABLE = "debug-file-unusable"
"""The file external_debug_info names cannot be read or belongs to another build."""
DWARF_UNUSED = "dwarf-unused"
"""The DWARF index could not be built or loaded: frames come from the name section."""
REMEMBERED_FAILURE = "remembered-failure"
"""The DWARF index failed to build in an earlier run, and the cache remembers that."""
DWARF_NOTE = "dwarf-note"
"""Something the DWARF index build noted (e.g. a split DWARF `.dwo` that was not found)."""

# -- breakpoints (session.stops) -----------------------------------------------------------------
NO_BREAKPOINT_HIT = "no-breakpoint-hit"
"""A run with breakpoints ended without reaching any of them."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One warning or note: what kind of thing was found, and a one-line message naming no flag."""

    kind: str
    """One of this module's constants (`OUTSIDE_CODE`, `MISMATCH`, ...)."""
    message: str
    """One line for a person, without any front end's advice (no CLI flags)."""

    def __str__(self) -> str:
        return self.message

"""Exit statuses: part of the contract with scripts, so they mirror the wasmtime CLI's."""

from __future__ import annotations

from enum import IntEnum, unique


@unique
class ExitStatus(IntEnum):
    """What a wasmdbg process exit code means."""

    OK = 0
    ERROR = 1
    """The input could not be used: missing, unreadable, malformed or invalid file (wasmtime's code for non-trap errors)."""
    USAGE = 2
    """Bad command-line arguments."""
    TRAP = 134
    """The guest trapped (wasmtime exits with 134, as after abort())."""
    INTERRUPTED = 130
    """Ctrl-C."""

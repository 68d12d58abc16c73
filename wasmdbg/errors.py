"""The one error hierarchy of wasmdbg: every failure the user can cause ends in a WasmdbgError."""

from __future__ import annotations


class WasmdbgError(Exception):
    """Base of all errors that wasmdbg reports as one line instead of a traceback."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        """What went wrong, one line."""
        self.hint = hint
        """What the user might do about it, or None."""


class WasmFormatError(WasmdbgError):
    """A module's bytes do not follow the WebAssembly binary format."""

    def __init__(self, offset: int, expected: str) -> None:
        super().__init__(f"malformed module at offset 0x{offset:x}: {expected}")
        self.offset = offset
        """Module offset at which reading failed."""
        self.expected = expected
        """What the reader expected to find there."""


class InvalidModuleError(WasmFormatError):
    """A well-formed module that fails validation, so no runtime would instantiate it."""

    def __init__(self, offset: int, reason: str) -> None:
        WasmdbgError.__init__(self, f"invalid module: {reason}")
        self.offset = offset
        self.expected = reason

"""What the CLI suggests for a core finding: the flag that helps, added to the core's message.

The core words its warnings and notes without flags (wasmdbg/findings.py); this is the one place
that knows which `wasmdbg` option answers which kind. The results read exactly as the messages
did when the core still named the flags, so scripts reading `--format json` see the same text.
"""

from __future__ import annotations

from collections.abc import Callable

from wasmdbg.findings import (
    DEBUG_FILE_ABSOLUTE,
    DEBUG_FILE_OUTSIDE,
    DEBUG_FILE_URL,
    OUTSIDE_CODE,
    REMEMBERED_FAILURE,
    Finding,
)


def _after(hint: str) -> Callable[[str], str]:
    return lambda message: message + hint


def _inside_closing_parenthesis(hint: str) -> Callable[[str], str]:
    """`... (remembered)` -> `... (remembered; hint)`; appended in parentheses when there are none."""
    return lambda message: message[:-1] + f"; {hint})" if message.endswith(")") else f"{message} ({hint})"


HINTS: dict[str, Callable[[str], str]] = {
    # Not reachable from a pasted trace: a frame outside every function body is a MISMATCH first.
    OUTSIDE_CODE: _after(" (--code-offsets)"),
    DEBUG_FILE_URL: _after(": pass the file with --debug-file"),
    DEBUG_FILE_ABSOLUTE: _after("; pass it with --debug-file to use it"),
    DEBUG_FILE_OUTSIDE: _after("; pass it with --debug-file"),
    REMEMBERED_FAILURE: _inside_closing_parenthesis("--no-cache retries"),
}
"""Finding kind -> how the CLI words a finding of that kind (its message plus the flag to use)."""


def describe(finding: Finding) -> str:
    """The finding's message with the CLI's hint for its kind, if it has one."""
    hint = HINTS.get(finding.kind)
    return hint(finding.message) if hint is not None else finding.message

"""Text every layer shows: untrusted text (names, paths, guest output) made safe for a terminal, byte sizes."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls, bidi overrides that reorder what is shown, and
# lone surrogates: Python decodes a file name's undecodable bytes to them (surrogateescape), and a
# stream writes them back as the raw bytes (0x9b is a C1 CSI) or fails to encode them.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, one_line: bool = True) -> str:
    """Escape control characters (ESC above all) so `text` cannot drive the terminal.

    Args:
        text: untrusted text: a name from a module, a path, guest output.
        one_line: also escape tab and newline, for values shown inside one line.
    """
    return (_UNSAFE_ONE_LINE if one_line else _UNSAFE).sub(_escape, text)


def describe_bytes(size: int) -> str:
    """A byte count in the largest binary unit it reaches: `128 KiB`, `7.1 MiB`, `100 bytes`."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"

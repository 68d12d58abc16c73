"""Encoding the binary format: LEB128, names, vectors and sections (the rewriter and the coredump writer)."""

from __future__ import annotations

from collections.abc import Iterable


U32_MAX = 0xFFFFFFFF


def uleb(value: int) -> bytes:
    """Unsigned LEB128."""
    if value < 0:
        raise ValueError(f"{value} is negative: no unsigned LEB128")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sleb(value: int) -> bytes:
    """Signed LEB128."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7  # arithmetic shift: negative numbers stay negative
        if (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def u32(value: int) -> bytes:
    """A u32 as the format writes it (unsigned LEB128), refusing what does not fit."""
    if not 0 <= value <= U32_MAX:
        raise ValueError(f"{value} does not fit in a u32")
    return uleb(value)


def name(text: str) -> bytes:
    """A length-prefixed UTF-8 name (a path's undecodable bytes, held as surrogates, are replaced)."""
    raw = text.encode("utf-8", "replace")
    return uleb(len(raw)) + raw


def vector(items: Iterable[bytes]) -> bytes:
    """A count followed by the items."""
    parts = list(items)
    return uleb(len(parts)) + b"".join(parts)


def section(section_id: int, payload: bytes) -> bytes:
    """A section: id, size, payload."""
    return bytes([section_id]) + uleb(len(payload)) + payload


def custom_section(section_name: str, payload: bytes) -> bytes:
    """A custom section (id 0) with its name."""
    return section(0, name(section_name) + payload)

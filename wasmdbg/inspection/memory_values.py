"""The value of the bytes at an address, read every way a wasm load can: little-endian ints and floats."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

WIDEST = 8
"""Bytes needed for every field to have a value."""


@dataclass(frozen=True, slots=True)
class ValuesAt:
    """The bytes at `address` as each load would see them; None where memory ran out first."""

    address: int
    u8: int | None
    i8: int | None
    i16: int | None
    u16: int | None
    i32: int | None
    u32: int | None
    i64: int | None
    u64: int | None
    f32: float | None
    f64: float | None


def values_at(data: bytes, address: int, base: int) -> ValuesAt:
    """Decode the bytes at `address` as i8 … f64, little-endian.

    Args:
        data: a copy of memory starting at address `base`.
        address: the address to decode at.
        base: the address of `data[0]`.

    Returns:
        Every value the available bytes allow: a field is None when fewer bytes than its width
        lie between `address` and the end of `data` (all are None outside `data`).
    """
    at = address - base
    window = data[at : at + WIDEST] if 0 <= at < len(data) else b""

    def load(fmt: str) -> Any:
        """One value in struct format `fmt` (little-endian, as wasm memory is), or None."""
        if len(window) < struct.calcsize(fmt):
            return None
        return struct.unpack_from(fmt, window)[0]

    return ValuesAt(
        address,
        u8=load("<B"),
        i8=load("<b"),
        i16=load("<h"),
        u16=load("<H"),
        i32=load("<i"),
        u32=load("<I"),
        i64=load("<q"),
        u64=load("<Q"),
        f32=load("<f"),
        f64=load("<d"),
    )

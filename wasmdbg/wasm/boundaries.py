"""Every instruction boundary of a module's code, decoded once, as a bitmap over the code section.

Checking that an address from a trace sits on an instruction boundary needs the instructions of
the function it falls in. Decoding a body per lookup made warm symbolization spend ~70 % of its
time re-decoding large bodies (SQLite's interpreter loop is 100 KB). The bitmap is built once per
module (while the DWARF index builds, on the other core), stored beside the index, and each
check is then one bit test; a one-bit-per-byte map of a 4 MB code section is 512 KB.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from wasmdbg.errors import WasmFormatError
from wasmdbg.wasm.code import FunctionBody
from wasmdbg.wasm.instructions import instruction_offsets

FORMAT = 1
"""Bump when the layout changes: stored bitmaps of other formats are misses."""

_MAGIC = b"WASMDBG-BOUNDARIES\n"
_HEADER = struct.Struct("<IQQI")  # format, base, bitmap bytes, undecodable count


class BoundariesFormatError(Exception):
    """Stored bytes that are not a boundary map of this format (a cache miss, never shown to users)."""


@dataclass(frozen=True, slots=True)
class CodeBoundaries:
    """Instruction starts of every decodable body, one bit per byte from module offset `base`."""

    base: int
    bits: bytes
    undecodable: frozenset[int]
    """Module offsets of the first instruction of bodies that could not be decoded."""

    def decoded(self, body: FunctionBody) -> bool:
        """Whether the body's instructions are in the map (False: its bytes are malformed)."""
        return body.code_offset not in self.undecodable

    def is_boundary(self, offset: int) -> bool:
        """True when an instruction starts exactly at module offset `offset`."""
        i = offset - self.base
        return 0 <= i < 8 * len(self.bits) and bool(self.bits[i >> 3] >> (i & 7) & 1)

    def instruction_start(self, offset: int, body: FunctionBody) -> int | None:
        """Where the instruction holding `offset` begins, searching back no further than the body's code."""
        i = offset - self.base
        low = body.code_offset - self.base
        bits = self.bits
        while i >= low and i >= 0:
            byte = bits[i >> 3] & ((2 << (i & 7)) - 1)  # this byte's bits at or below i
            if byte:
                found = (i & ~7) + byte.bit_length() - 1
                return self.base + found if found >= low else None
            i = (i & ~7) - 1
        return None

    # -- storage ---------------------------------------------------------------------------------

    def to_bytes(self, key: str) -> bytes:
        """A self-describing binary form, tagged with the key (`boundaries_key`) it answers."""
        undecodable = sorted(self.undecodable)
        return b"".join(
            (
                _MAGIC,
                key.encode(),
                b"\n",
                _HEADER.pack(FORMAT, self.base, len(self.bits), len(undecodable)),
                struct.pack(f"<{len(undecodable)}Q", *undecodable),
                self.bits,
            )
        )

    @classmethod
    def from_bytes(cls, data: bytes, key: str) -> CodeBoundaries:
        """Load a stored map; BoundariesFormatError for anything that is not the map of `key`."""
        head = _MAGIC + key.encode() + b"\n"
        if not data.startswith(head):
            raise BoundariesFormatError("not the boundary map of this code")
        try:
            fmt, base, size, count = _HEADER.unpack_from(data, len(head))
        except struct.error:
            raise BoundariesFormatError("truncated") from None
        start = len(head) + _HEADER.size
        if fmt != FORMAT or start + 8 * count + size != len(data):
            raise BoundariesFormatError("other format or wrong size")
        undecodable = struct.unpack_from(f"<{count}Q", data, start)
        return cls(base, data[start + 8 * count :], frozenset(undecodable))


def boundaries_key(code: bytes) -> str:
    """Content key of a code section's payload (the map depends on nothing else)."""
    return hashlib.sha256(b"wasmdbg-boundaries-%d\n" % FORMAT + code).hexdigest()


def build_boundaries(data: bytes, base: int, end: int, bodies: Iterable[FunctionBody]) -> CodeBoundaries:
    """Decode every body in the code section `data[base:end]` and mark where each instruction starts."""
    bits = bytearray((end - base + 7) >> 3)
    undecodable = set()
    for body in bodies:
        try:
            offsets = instruction_offsets(data, body.code_offset, body.end)
        except WasmFormatError:
            undecodable.add(body.code_offset)
            continue
        for offset in offsets:
            i = offset - base
            bits[i >> 3] |= 1 << (i & 7)
    return CodeBoundaries(base, bytes(bits), frozenset(undecodable))

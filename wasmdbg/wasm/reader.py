"""Bounded cursor over a module's bytes: the only place that decodes LEB128 and raw scalars.

Every read checks the bytes that remain before it looks at them, so malformed input fails with a
`WasmFormatError` naming the offset instead of an IndexError, and no count read from the input can
size an allocation: counts are checked against the bytes left before anything is built from them.
"""

from __future__ import annotations

from wasmdbg.errors import WasmFormatError


class Reader:
    """A position inside `data[start:end]`; positions are module offsets (indices into `data`)."""

    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        self.data = data
        """The whole module, so that `pos` is always a module offset."""
        self.pos = start
        """Offset of the next byte to read."""
        self.end = len(data) if end is None else end
        """Offset one past the last byte this reader may read."""

    # -- bounds -------------------------------------------------------------------------------

    @property
    def remaining(self) -> int:
        """Bytes left before `end`."""
        return self.end - self.pos

    def at_end(self) -> bool:
        """True when every byte has been read."""
        return self.pos >= self.end

    def error(self, expected: str, offset: int | None = None) -> WasmFormatError:
        """Build the error for a failed read at `offset` (default: the current position)."""
        return WasmFormatError(self.pos if offset is None else offset, expected)

    def expect_end(self, what: str) -> None:
        """Raise unless the reader consumed exactly its range."""
        if self.pos != self.end:
            raise self.error(f"{what} size mismatch: {self.end - self.pos} unread bytes")

    def sub(self, size: int, what: str) -> Reader:
        """A reader over the next `size` bytes; this reader skips past them."""
        if size > self.end - self.pos:
            raise self.error(f"{what} of {size} bytes runs past the end ({self.remaining} left)")
        sub = Reader(self.data, self.pos, self.pos + size)
        self.pos += size
        return sub

    def count(self, what: str, min_item_size: int = 1) -> int:
        """Read a vector length and check that that many items could fit in the bytes left."""
        start = self.pos
        n = self.u32()
        if n * min_item_size > self.end - self.pos:
            raise self.error(
                f"{what} count {n} exceeds the {self.end - self.pos} bytes left", start
            )
        return n

    # -- raw bytes ----------------------------------------------------------------------------

    def u8(self) -> int:
        """One byte."""
        pos = self.pos
        if pos >= self.end:
            raise self.error("unexpected end: expected a byte")
        self.pos = pos + 1
        return self.data[pos]

    def peek(self) -> int:
        """The next byte without consuming it."""
        if self.pos >= self.end:
            raise self.error("unexpected end: expected a byte")
        return self.data[self.pos]

    def bytes(self, n: int, what: str = "bytes") -> bytes:
        """`n` raw bytes."""
        if n > self.end - self.pos:
            raise self.error(f"unexpected end: {what} of {n} bytes ({self.remaining} left)")
        pos = self.pos
        self.pos = pos + n
        return self.data[pos : pos + n]

    def skip(self, n: int, what: str = "bytes") -> None:
        """Skip `n` bytes."""
        if n > self.end - self.pos:
            raise self.error(f"unexpected end: {what} of {n} bytes ({self.remaining} left)")
        self.pos += n

    def fixed_uint(self, n: int) -> int:
        """A little-endian unsigned integer of `n` bytes (raw f32/f64 bits, lane indices)."""
        return int.from_bytes(self.bytes(n, f"{n}-byte value"), "little")

    # -- LEB128 -------------------------------------------------------------------------------

    def u32(self) -> int:
        """An unsigned LEB128 of at most 32 bits."""
        pos = self.pos
        if pos < self.end:
            b = self.data[pos]
            if b < 0x80:
                self.pos = pos + 1
                return b
        return self._uleb(32)

    def u64(self) -> int:
        """An unsigned LEB128 of at most 64 bits."""
        return self._uleb(64)

    def s32(self) -> int:
        """A signed LEB128 of at most 32 bits."""
        return self._sleb(32)

    def s33(self) -> int:
        """A signed LEB128 of at most 33 bits (block types, heap types)."""
        return self._sleb(33)

    def s64(self) -> int:
        """A signed LEB128 of at most 64 bits."""
        return self._sleb(64)

    def _uleb(self, bits: int) -> int:
        data, pos, end = self.data, self.pos, self.end
        start = pos
        result = shift = 0
        last = (bits - 1) // 7  # index of the last byte the encoding may use
        for i in range(last + 1):
            if pos >= end:
                raise self.error(f"unexpected end: unterminated u{bits} LEB128", start)
            b = data[pos]
            pos += 1
            if i == last:
                if b & 0x80:
                    raise self.error(f"integer representation too long (u{bits})", start)
                if b >> (bits - 7 * i):
                    raise self.error(f"integer too large (u{bits})", start)
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                break
            shift += 7
        self.pos = pos
        return result

    def _sleb(self, bits: int) -> int:
        data, pos, end = self.data, self.pos, self.end
        start = pos
        result = shift = 0
        last = (bits - 1) // 7
        for i in range(last + 1):
            if pos >= end:
                raise self.error(f"unexpected end: unterminated s{bits} LEB128", start)
            b = data[pos]
            pos += 1
            if i == last:
                if b & 0x80:
                    raise self.error(f"integer representation too long (s{bits})", start)
                # The unused high bits must repeat the sign bit.
                used = bits - 7 * i
                high = (b & 0x7F) >> (used - 1)
                if high not in (0, 0x7F >> (used - 1)):
                    raise self.error(f"integer too large (s{bits})", start)
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                if b & 0x40:
                    result -= 1 << shift
                break
        self.pos = pos
        return result

    # -- names --------------------------------------------------------------------------------

    def name(self) -> str:
        """A length-prefixed UTF-8 string; invalid UTF-8 is malformed (imports, exports)."""
        start = self.pos
        raw = self.bytes(self.u32(), "name")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.error("malformed UTF-8 encoding in name", start) from None

    def lossy_name(self) -> str:
        """A length-prefixed string with invalid UTF-8 replaced (the `name` section, producers)."""
        return self.bytes(self.u32(), "name").decode("utf-8", "replace")

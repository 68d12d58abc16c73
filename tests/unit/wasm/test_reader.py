"""LEB128 and bounds checks of the Reader, against the spec's encoding rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wasmdbg.errors import WasmFormatError
from wasmdbg.wasm.reader import Reader


def uleb(value: int, pad_to: int = 0) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | 0x80)
        if value == 0:
            break
    while len(out) < pad_to:
        out.append(0x80)
    out[-1] &= 0x7F
    return bytes(out)


def sleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        done = (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40)
        out.append(byte if done else byte | 0x80)
        if done:
            return bytes(out)


@given(st.integers(0, 2**32 - 1))
def test_u32_round_trips(value: int) -> None:
    r = Reader(uleb(value))
    assert r.u32() == value
    assert r.at_end()


@given(st.integers(-(2**63), 2**63 - 1))
def test_s64_round_trips(value: int) -> None:
    r = Reader(sleb(value))
    assert r.s64() == value
    assert r.at_end()


@given(st.integers(-(2**32), 2**32 - 1))
def test_s33_round_trips(value: int) -> None:
    assert Reader(sleb(value)).s33() == value


def test_padded_u32_is_accepted_up_to_five_bytes() -> None:
    assert Reader(uleb(3, pad_to=5)).u32() == 3


def test_u32_longer_than_five_bytes_is_rejected() -> None:
    with pytest.raises(WasmFormatError, match="integer representation too long") as error:
        Reader(b"\x83\x80\x80\x80\x80\x00").u32()
    assert error.value.offset == 0


def test_u32_with_bits_beyond_32_is_rejected() -> None:
    # Fifth byte may use 4 bits only; 0x10 sets bit 32.
    with pytest.raises(WasmFormatError, match="integer too large"):
        Reader(b"\xff\xff\xff\xff\x1f").u32()
    assert Reader(b"\xff\xff\xff\xff\x0f").u32() == 2**32 - 1


def test_s32_high_bits_must_extend_the_sign() -> None:
    assert Reader(b"\xff\xff\xff\xff\x07").s32() == 2**31 - 1
    assert Reader(b"\x80\x80\x80\x80\x78").s32() == -(2**31)
    with pytest.raises(WasmFormatError, match="integer too large"):
        Reader(b"\xff\xff\xff\xff\x0f").s32()
    with pytest.raises(WasmFormatError, match="integer too large"):
        Reader(b"\x80\x80\x80\x80\x70").s32()


def test_s64_tenth_byte_must_be_sign_only() -> None:
    assert Reader(b"\xff" * 9 + b"\x7f").s64() == -1
    with pytest.raises(WasmFormatError, match="integer too large"):
        Reader(b"\xff" * 9 + b"\x3f").s64()


def test_truncated_leb_reports_where_it_started() -> None:
    with pytest.raises(WasmFormatError, match="unexpected end") as error:
        Reader(b"\x00\x00\x80\x80", start=2).u32()
    assert error.value.offset == 2


def test_reads_stop_at_the_readers_end_not_the_buffers() -> None:
    r = Reader(b"\x01\x02\x03\x04", start=1, end=2)
    assert r.u8() == 2
    with pytest.raises(WasmFormatError):
        r.u8()


def test_count_larger_than_remaining_bytes_is_rejected_before_allocation() -> None:
    r = Reader(uleb(2**32 - 1) + b"\x00" * 10)
    with pytest.raises(WasmFormatError, match="count 4294967295 exceeds"):
        r.count("export", 3)


def test_sub_reader_cannot_extend_past_parent() -> None:
    r = Reader(b"\x00" * 8, end=4)
    with pytest.raises(WasmFormatError, match="runs past the end"):
        r.sub(5, "section")


def test_strict_name_rejects_invalid_utf8_and_lossy_replaces_it() -> None:
    data = b"\x03a\xffb"
    with pytest.raises(WasmFormatError, match="malformed UTF-8"):
        Reader(data).name()
    assert Reader(data).lossy_name() == "a\ufffdb"

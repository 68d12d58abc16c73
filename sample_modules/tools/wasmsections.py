#!/usr/bin/env python3
"""Drop and append custom sections of a WebAssembly module (standard library only).

All sections that are kept are copied byte for byte, so dropping custom
sections that come after the code section (as wasm-ld places `.debug_*`,
`name` and `producers`) does not move the code section, and appending new
custom sections at the end never does.

Usage:
  wasmsections.py IN OUT [--drop-debug] [--drop-name] [--build-id]
                         [--external-debug-info PATH]
  wasmsections.py --print-build-id IN

--drop-debug               remove every custom section named `.debug_*`
--drop-name                remove the `name` custom section
--build-id                 append a `build_id` custom section (tool-conventions:
                           payload is vec(byte)); the id is the first 16 bytes of
                           the SHA-256 of the code section's contents
--external-debug-info PATH append an `external_debug_info` custom section whose
                           payload is the UTF-8 string PATH (tool-conventions)
--print-build-id IN        print the id --build-id would compute for IN (hex)
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Iterator

MAGIC = b"\x00asm\x01\x00\x00\x00"
CUSTOM = 0
CODE = 10


def read_uleb(buf: bytes, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 35:
            raise ValueError("LEB128 too long")


def write_uleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sections(module: bytes) -> Iterator[tuple[int, str | None, int, int, int]]:
    """Yield (id, custom_name_or_None, payload_start, payload_end, raw_start)."""
    if module[:8] != MAGIC:
        raise ValueError("not a core WebAssembly module (bad magic/version)")
    pos = 8
    while pos < len(module):
        raw_start = pos
        sec_id = module[pos]
        size, pos = read_uleb(module, pos + 1)
        end = pos + size
        if end > len(module):
            raise ValueError(f"section {sec_id} at {raw_start} runs past end of file")
        name = None
        if sec_id == CUSTOM:
            name_len, npos = read_uleb(module, pos)
            name = module[npos : npos + name_len].decode("utf-8")
        yield sec_id, name, pos, end, raw_start
        pos = end


def custom_section(name: str, payload: bytes) -> bytes:
    encoded = name.encode("utf-8")
    body = write_uleb(len(encoded)) + encoded + payload
    return bytes([CUSTOM]) + write_uleb(len(body)) + body


def build_id_of(module: bytes) -> bytes:
    for sec_id, _name, start, end, _raw in sections(module):
        if sec_id == CODE:
            return hashlib.sha256(module[start:end]).digest()[:16]
    raise ValueError("module has no code section")


def transform(
    module: bytes,
    drop_debug: bool,
    drop_name: bool,
    build_id: bool,
    external_debug_info: str | None,
) -> bytes:
    out = bytearray(MAGIC)
    for sec_id, name, _start, end, raw in sections(module):
        if sec_id == CUSTOM:
            if drop_debug and name is not None and name.startswith(".debug_"):
                continue
            if drop_name and name == "name":
                continue
            if build_id and name == "build_id":
                continue
            if external_debug_info is not None and name == "external_debug_info":
                continue
        out += module[raw:end]
    if build_id:
        ident = build_id_of(module)
        out += custom_section("build_id", write_uleb(len(ident)) + ident)
    if external_debug_info is not None:
        path = external_debug_info.encode("utf-8")
        out += custom_section("external_debug_info", write_uleb(len(path)) + path)
    return bytes(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print-build-id", metavar="IN")
    parser.add_argument("input", nargs="?")
    parser.add_argument("output", nargs="?")
    parser.add_argument("--drop-debug", action="store_true")
    parser.add_argument("--drop-name", action="store_true")
    parser.add_argument("--build-id", action="store_true")
    parser.add_argument("--external-debug-info", metavar="PATH")
    args = parser.parse_args(argv)

    if args.print_build_id:
        with open(args.print_build_id, "rb") as f:
            print(build_id_of(f.read()).hex())
        return 0
    if not args.input or not args.output:
        parser.error("IN and OUT are required")
    with open(args.input, "rb") as f:
        module = f.read()
    result = transform(
        module, args.drop_debug, args.drop_name, args.build_id, args.external_debug_info
    )
    with open(args.output, "wb") as f:
        f.write(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Building the DWARF index in a child process, bounded in time and memory.

pyelftools can loop forever or recurse without bound on hostile DWARF, and a debugger must not
hang on the input it is asked to explain: the index is built by `python -m wasmdbg.dwarf.isolate`
with an address-space limit, killed when its wall-clock budget runs out, and any failure comes back
as one line of explanation.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from collections.abc import Mapping

from wasmdbg.errors import WasmdbgError

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MEMORY_BYTES = 4 << 30
_RECURSION_LIMIT = 20_000


class DwarfBuildError(WasmdbgError):
    """The DWARF could not be indexed; the message says why in one line."""


def encode_sections(sections: Mapping[str, bytes]) -> bytes:
    """Frame section payloads for the child's stdin: name length, name, size, payload."""
    out = bytearray()
    for name, payload in sections.items():
        raw = name.encode()
        out += struct.pack("<H", len(raw)) + raw + struct.pack("<Q", len(payload)) + payload
    return bytes(out)


def decode_sections(data: bytes) -> dict[str, bytes]:
    """The inverse of `encode_sections`."""
    sections: dict[str, bytes] = {}
    pos = 0
    while pos < len(data):
        (size,) = struct.unpack_from("<H", data, pos)
        name = data[pos + 2 : pos + 2 + size].decode()
        pos += 2 + size
        (length,) = struct.unpack_from("<Q", data, pos)
        sections[name] = data[pos + 8 : pos + 8 + length]
        pos += 8 + length
    return sections


def build_index_bytes(
    sections: Mapping[str, bytes],
    key: str = "",
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    split_dir: str | None = None,
    dwp: str | None = None,
) -> bytes:
    """Build the serialized DwarfIndex of these sections in a bounded child process.

    Split units are read from `dwp`, else from `.dwo` files named by their skeletons in `split_dir`.

    Raises:
        DwarfBuildError: the child ran out of time or memory, or pyelftools rejected the DWARF.
    """
    env = dict(os.environ, WASMDBG_INDEX_MEMORY=str(memory_bytes), WASMDBG_INDEX_KEY=key)
    env["WASMDBG_SPLIT_DIR"] = split_dir or ""
    env["WASMDBG_DWP"] = dwp or ""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "wasmdbg.dwarf.isolate"],
            input=encode_sections(sections),
            capture_output=True,
            timeout=timeout_s,
            env=env,
        )
    except subprocess.TimeoutExpired:
        raise DwarfBuildError(
            f"reading the DWARF took longer than {timeout_s:g} s (malformed DWARF can make the reader loop)"
        ) from None
    except OSError as error:
        raise DwarfBuildError(f"could not start the DWARF reader: {error}") from None
    if proc.returncode != 0:
        reason = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        if proc.returncode < 0:
            raise DwarfBuildError(f"the DWARF reader was killed by signal {-proc.returncode}")
        raise DwarfBuildError(reason[-1] if reason else f"the DWARF reader failed (exit {proc.returncode})")
    return proc.stdout


def _child() -> int:
    """Child side: sections on stdin, index bytes on stdout, one line on stderr on failure."""
    import resource

    limit = int(os.environ.get("WASMDBG_INDEX_MEMORY", DEFAULT_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.setrecursionlimit(_RECURSION_LIMIT)
    from wasmdbg.dwarf.build import build_tables
    from wasmdbg.dwarf.index import DwarfIndex
    from wasmdbg.dwarf.loader import load_dwarf
    from wasmdbg.dwarf.split import SplitFiles

    try:
        sections = decode_sections(sys.stdin.buffer.read())
        index = DwarfIndex.from_tables(build_tables(load_dwarf(sections), sections, SplitFiles.from_env()))
        sys.stdout.buffer.write(index.to_bytes(os.environ.get("WASMDBG_INDEX_KEY", "")))
    except MemoryError:
        sys.stderr.write(f"reading the DWARF needed more than {limit >> 20} MiB of memory\n")
        return 1
    except RecursionError:
        sys.stderr.write("the DWARF nests too deeply to read\n")
        return 1
    except Exception as error:  # pyelftools raises many types on malformed input; all mean the same here
        detail = " ".join(str(error).split())[:200] or type(error).__name__
        sys.stderr.write(f"malformed DWARF: {detail}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_child())

"""Facts about WebAssembly and wasmtime that several layers need, each written once."""

from __future__ import annotations

WASM_PAGE_BYTES = 65536
"""The default page size of a linear memory; the custom-page-sizes proposal allows others (see `page_bytes`)."""

WASMTIME_FRAME_LIMIT = 20
"""wasmtime's backtraces stop at this many frames: a trace this long may have lost its outermost frames."""

WASMTIME_UNKNOWN_OFFSET = 2**64 - 1
"""What wasmtime reports as the module offset of a frame it cannot place (e.g. a stack-overflow probe)."""


def page_bytes(page_size_log2: int | None) -> int:
    """Bytes per page of a memory whose type gives `page_size_log2` (None: the default 64 KiB)."""
    return WASM_PAGE_BYTES if page_size_log2 is None else 1 << page_size_log2

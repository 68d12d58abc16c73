"""What a WebAssembly coredump holds, as frozen dataclasses (tool-conventions `Coredump.md`)."""

from __future__ import annotations

import heapq
import itertools
from bisect import bisect_right
from dataclasses import dataclass, field

VALUE_TYPES = ("i32", "i64", "f32", "f64", "missing")
"""The value kinds a `corestack` frame can hold; "missing" is the spec's 0x01 (optimized out)."""


@dataclass(frozen=True, slots=True)
class CoreValue:
    """One local or operand-stack value of a frame."""

    type: str
    """"i32", "i64", "f32", "f64" or "missing"."""
    value: int | float | None
    """Signed for i32/i64 (as the file's sLEB128 says), a float for f32/f64, None when missing."""


@dataclass(frozen=True, slots=True)
class CoreFrame:
    """One stack frame of a thread."""

    instance: int
    """Index into `CoreDump.instances`."""
    func_index: int
    """Index in the function index space of the instance's module (imported functions first)."""
    code_offset: int
    """Exactly as in the file: bytes from the start of the function's body, the first byte after its
    size LEB128 (see `wasmdbg.coredump.offsets`). 0 also means "unknown" (wasmtime writes 0 then)."""
    locals: tuple[CoreValue, ...] = ()
    """Parameters then declared locals; wasmtime writes none (it cannot recover them)."""
    stack: tuple[CoreValue, ...] = ()
    """The operand stack; wasmtime writes none."""


@dataclass(frozen=True, slots=True)
class CoreThread:
    """One `corestack` section: a named thread and its frames."""

    name: str
    frames: tuple[CoreFrame, ...]
    """Innermost (youngest, the trapping one) first. That is the order the spec prescribes ("listed from
    youngest to oldest") and the order wasmtime writes (`WasmCoreDump::frames`, callee to caller), so the
    reader keeps the file's order."""


@dataclass(frozen=True, slots=True)
class CoreInstance:
    """One `coreinstances` entry: which module, memories and globals make up an instance."""

    module_index: int
    """Index into `CoreDump.modules`."""
    memories: tuple[int, ...]
    """The instance's i-th memory is dump memory `memories[i]`; wasmtime writes 2**32-1 for a memory it
    did not capture (a shared one)."""
    globals: tuple[int, ...]
    """The instance's i-th global is dump global `globals[i]` (2**32-1: not captured by wasmtime)."""


@dataclass(frozen=True, slots=True)
class CoreGlobal:
    """One global of the dump's global section."""

    index: int
    """Position in the dump's global section (the index `CoreInstance.globals` refers to)."""
    type: str
    """The value type as `wasm-tools print` spells it: "i32", "i64", "f32", "f64", "v128", "funcref", ..."""
    mutable: bool
    value: int | float | None
    """Signed for i32/i64, a float for f32/f64, the 128-bit integer for v128, None for references and
    for initializers that are not a single constant."""
    captured: bool = True
    """False means the writer could not read it: `value` is the module's initial value, or None."""


@dataclass(frozen=True, slots=True)
class CoreMemory:
    """One linear memory: its limits and the bytes the dump captured, without materializing the memory.

    `segments` are (address, bytes) pairs as written, in file order; construction resolves overlaps the
    way instantiation would (a later segment overwrites an earlier one), drops empty pieces and clips
    at `size`, so the stored pieces are sorted and disjoint. Bytes not covered by a piece read as zero.
    """

    index: int
    min_pages: int
    max_pages: int | None
    page_bytes: int
    """Bytes per page: 65536 unless the memory declares a custom page size."""
    segments: tuple[tuple[int, bytes], ...]
    _starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pieces = _disjoint(self.segments, self.size)
        object.__setattr__(self, "segments", pieces)
        object.__setattr__(self, "_starts", tuple(start for start, _ in pieces))

    @property
    def size(self) -> int:
        """The memory's size in bytes (`min_pages * page_bytes`); wasmtime writes the current size as the minimum."""
        return self.min_pages * self.page_bytes

    @property
    def captured_bytes(self) -> int:
        """How many bytes the segments cover; the rest of the memory reads as zeros."""
        return sum(len(data) for _, data in self.segments)

    def read(self, address: int, length: int) -> bytes:
        """The bytes at `address`, zero-filled where no segment covers them.

        Args:
            address: the first address to read.
            length: how many bytes; the result is cut short at `size`, so it may be shorter.

        Returns:
            `min(length, size - address)` bytes (empty past the end). Only that many are allocated,
            whatever the memory's size.

        Raises:
            ValueError: a negative address or length.
        """
        if address < 0 or length < 0:
            raise ValueError(f"cannot read {length} bytes at address {address}")
        end = min(address + length, self.size)
        if end <= address:
            return b""
        out = bytearray(end - address)
        # Pieces are disjoint and sorted, so the one that may overlap `address` is the last to start at or before it.
        i = max(bisect_right(self._starts, address) - 1, 0)
        while i < len(self.segments):
            start, data = self.segments[i]
            if start >= end:
                break
            lo, hi = max(start, address), min(start + len(data), end)
            if lo < hi:
                out[lo - address : hi - address] = data[lo - start : hi - start]
            i += 1
        return bytes(out)


def _disjoint(segments: tuple[tuple[int, bytes], ...], size: int) -> tuple[tuple[int, bytes], ...]:
    """Sorted, disjoint, non-empty pieces, clipped to [0, size), later segments winning where they overlap.

    Overlap is resolved by a sweep over the segments' boundaries with a heap of the segments covering
    the current interval, latest on top: O(n log n) however the segments overlap, so a hostile dump of
    many small overlapping segments cannot make reading slow.
    """
    items: list[tuple[int, int, int, bytes]] = []  # (start, end, file position, data)
    for position, (start, data) in enumerate(segments):
        if start < 0:
            data, start = data[-start:], 0
        data = data[: max(size - start, 0)]
        if data:
            items.append((start, start + len(data), position, data))
    items.sort(key=lambda item: item[0])
    if all(a[1] <= b[0] for a, b in itertools.pairwise(items)):  # the usual case: nothing overlaps
        return tuple((start, data) for start, _, _, data in items)
    bounds = sorted({item[0] for item in items} | {item[1] for item in items})
    covering: list[tuple[int, int]] = []  # (-file position, index into items): the latest segment on top
    runs: list[list[int]] = []  # [lo, hi, index into items] of the pieces, merged while one segment wins
    next_item = 0
    for lo, hi in itertools.pairwise(bounds):
        while next_item < len(items) and items[next_item][0] <= lo:
            heapq.heappush(covering, (-items[next_item][2], next_item))
            next_item += 1
        while covering and items[covering[0][1]][1] <= lo:  # drop segments that ended (lazily, from the top)
            heapq.heappop(covering)
        if not covering:
            continue
        winner = covering[0][1]
        if runs and runs[-1][1] == lo and runs[-1][2] == winner:
            runs[-1][1] = hi
        else:
            runs.append([lo, hi, winner])
    return tuple((lo, items[i][3][lo - items[i][0] : hi - items[i][0]]) for lo, hi, i in runs)


@dataclass(frozen=True, slots=True)
class CoreDump:
    """A whole coredump: process, modules, instances, threads, memories and globals."""

    executable: str
    """The `core` section's executable name (wasmtime writes the module path it was given)."""
    modules: tuple[str, ...]
    """`coremodules`: module names (wasmtime writes "<anonymous-module-N>" for modules without a name)."""
    instances: tuple[CoreInstance, ...]
    threads: tuple[CoreThread, ...]
    """One per `corestack` section, in file order."""
    memories: tuple[CoreMemory, ...]
    globals: tuple[CoreGlobal, ...]
    notes: tuple[str, ...] = ()
    """One-line statements of what was damaged, missing or guessed while reading, after any notes the
    writer stored (wasmdbg's `wasmdbg-notes` section)."""
    other_sections: tuple[tuple[str, bytes], ...] = ()
    """(name, payload) of every other custom section, in file order (a writer's own, such as `wasmdbg-run`)."""

    @property
    def frames(self) -> tuple[CoreFrame, ...]:
        """The first thread's frames, innermost first, or () when the dump has no thread."""
        return self.threads[0].frames if self.threads else ()

"""Linear memory read in aligned 4 KiB chunks by one thread worker, newest request first, into a bounded LRU.

The memory view asks for the chunks under its visible rows (`cached`); a `ChunkReader` queues
the missing ones, reads them on a thread worker of the view (sources block: a paused run's
agent, a file), and posts each back as a `ChunkRead`, which the view hands to `received`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Protocol

from textual.message import Message
from textual.widget import Widget
from textual.worker import Worker, get_current_worker

from wasmdbg.errors import WasmdbgError

CHUNK_BYTES = 4096
"""Reads are of aligned 4 KiB chunks: 256 rows, a few screens."""
CACHE_CHUNKS = 64
"""At most this many chunks (256 KiB) are kept; the least recently drawn goes first."""
READ_GROUP = "memory-read"


class MemorySource(Protocol):
    """Where the view reads memory from (a paused run, a core dump)."""

    def read(self, address: int, length: int) -> bytes:
        """`length` bytes from `address`; fewer at the end of memory.

        Called only from a worker thread, one call at a time; it may block.

        Raises:
            WasmdbgError: the memory cannot be read; the view shows the message.
        """
        ...


@dataclass
class ChunkRead(Message, bubble=False):
    """A chunk has been read (or failed to be), posted by the reader thread."""

    generation: int
    index: int
    data: bytes | None
    error: str | None


class ChunkReader:
    """The chunks of one memory as shown: cached, pending, failed, and the reads still queued.

    Args:
        widget: whose thread workers read, and who receives the `ChunkRead` messages.
        source: where the bytes come from.
        size: the memory's size in bytes (nothing is asked for past it).
        generation: which `show()` of the widget this is for; replies of earlier ones are dropped.
        lock: held around every `source.read`, across readers (sources need not be thread-safe).
    """

    def __init__(self, widget: Widget, source: MemorySource, size: int, generation: int, lock: threading.Lock) -> None:
        self.widget = widget
        self.source = source
        self.size = size
        self.generation = generation
        self.error: str | None = None
        """The first read failure, for the status line."""
        self._source_lock = lock
        self._chunks: OrderedDict[int, bytes] = OrderedDict()
        self._pending: set[int] = set()
        self._failed: set[int] = set()
        self._lock = threading.Lock()
        self._queue: deque[tuple[int, int]] = deque()
        """(chunk index, length) still to read (guarded by `_lock`)."""
        self._running = False
        """A reader worker is taking from `_queue` (guarded by `_lock`)."""
        self._worker: Worker[None] | None = None
        """The latest reader worker (one runs at a time)."""

    def failed(self, index: int) -> bool:
        """Whether the read of chunk `index` failed (it is not retried)."""
        return index in self._failed

    def cached(self, index: int) -> bytes | None:
        """A cached chunk (now the most recent), else None after asking for it."""
        chunk = self._chunks.get(index)
        if chunk is not None:
            self._chunks.move_to_end(index)
            return chunk
        self.want(index)
        return None

    def loaded_at(self, address: int, length: int) -> bytes:
        """The loaded bytes from `address`, up to `length`, stopping at the first gap."""
        end = min(address + length, self.size)
        if end > address and (address + length - 1) // CHUNK_BYTES != address // CHUNK_BYTES:
            self.want((address + length - 1) // CHUNK_BYTES)  # the values run on
        out = bytearray()
        for at in range(address, end):
            chunk = self._chunks.get(at // CHUNK_BYTES)
            if chunk is None or at % CHUNK_BYTES >= len(chunk):
                break
            out.append(chunk[at % CHUNK_BYTES])
        return bytes(out)

    def want(self, index: int) -> None:
        """Queue chunk `index` for reading, unless it is past the end, cached, pending or failed."""
        start = index * CHUNK_BYTES
        if start >= self.size or index in self._pending or index in self._failed or index in self._chunks:
            return
        self._pending.add(index)
        with self._lock:
            self._queue.append((index, min(CHUNK_BYTES, self.size - start)))
            if self._running:
                return
            self._running = True
        self._worker = self.widget.run_worker(
            self._read_chunks, name="memory-reader", group=READ_GROUP, thread=True, exit_on_error=False
        )

    def _read_chunks(self) -> None:
        """The worker: read queued chunks, newest first, until none are left (worker thread)."""
        worker = get_current_worker()
        while not worker.is_cancelled:
            with self._lock:
                if not self._queue:
                    self._running = False
                    return
                index, length = self._queue.pop()
            data: bytes | None = None
            error: str | None = None
            try:
                with self._source_lock:
                    data = bytes(self.source.read(index * CHUNK_BYTES, length)[:length])
            except WasmdbgError as failure:
                error = f"read failed at 0x{index * CHUNK_BYTES:x}: {failure.message}"
            self.widget.post_message(ChunkRead(self.generation, index, data, error))

    def received(self, message: ChunkRead) -> bool:
        """Take a chunk the worker read; False if it belongs to another memory (a `show()` before)."""
        if message.generation != self.generation:
            return False
        self._pending.discard(message.index)
        if message.data is None:
            self._failed.add(message.index)
            self.error = self.error or message.error
        else:
            self._chunks[message.index] = message.data
            while len(self._chunks) > CACHE_CHUNKS:
                self._chunks.popitem(last=False)
        return True

    def reader_died(self, worker: Worker[object], reason: str) -> bool:
        """A reader died of something other than WasmdbgError: stop waiting. False if not ours."""
        if worker is not self._worker:
            return False
        with self._lock:
            self._queue.clear()
            self._running = False
        self._failed |= self._pending
        self._pending.clear()
        self.error = self.error or f"read failed: {reason}"
        return True

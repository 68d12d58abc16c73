"""Building the DWARF index in a child process, bounded in time and memory.

pyelftools can loop forever or recurse without bound on hostile DWARF, and a debugger must not
hang on the input it is asked to explain: the index is built by `python -m wasmdbg.dwarf.isolate`
with an address-space limit, killed when its wall-clock budget runs out, and any failure comes back
as one line of explanation.

Three channels connect the two sides: the sections go in on stdin and the index bytes come back on
stdout; stderr carries the one-line failure; a pipe of its own (its descriptor in
WASMDBG_INDEX_PROGRESS_FD) carries progress lines, `<units done> <units total or -> <phase>`. The
parent polls all of them in the calling thread, so it can kill the child as soon as the build is
cancelled, and watches the child's address space (see `_AtTheCap`).
"""

from __future__ import annotations

import gc
import os
import selectors
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping

from wasmdbg.dwarf.progress import IndexProgress
from wasmdbg.errors import WasmdbgError

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MEMORY_BYTES = 4 << 30
_RECURSION_LIMIT = 20_000
_POLL_S = 0.05
"""How often the parent looks at the cancel event, the budget and the progress pipe."""
_PROGRESS_FD_ENV = "WASMDBG_INDEX_PROGRESS_FD"
_PROGRESS_INTERVAL_S = 0.05
"""The child reports at most this often within a phase (and always on a phase change or the last unit)."""
_MAX_PROGRESS_LINE = 4096
_CAP_MARGIN = 1 << 20
"""An address space this close to the cap has no room left for the allocator's next 1 MiB arena."""
_CAP_PINNED_S = 1.0
"""How long the child may sit at its cap before the parent takes it as out of memory."""


class DwarfBuildError(WasmdbgError):
    """The DWARF could not be indexed; the message says why in one line."""


class DwarfBuildCancelled(WasmdbgError):
    """The build was cancelled through its `cancel` event: nothing was built, and nothing is to be remembered.

    Not a `DwarfBuildError`, so that no handler of failed builds records a cancellation as one.
    """


def encode_progress(progress: IndexProgress) -> bytes:
    """One progress line as the child writes it: `<done> <total or -> <phase>`."""
    total = "-" if progress.units_total is None else str(progress.units_total)
    phase = " ".join(progress.phase.split())
    return f"{progress.units_done} {total} {phase}\n".encode()


def decode_progress(line: bytes) -> IndexProgress | None:
    """The inverse of `encode_progress`; None for a line that is not one."""
    parts = line.decode("utf-8", "replace").strip().split(" ", 2)
    if len(parts) != 3 or not parts[0].isdigit() or not (parts[1] == "-" or parts[1].isdigit()):
        return None
    return IndexProgress(int(parts[0]), None if parts[1] == "-" else int(parts[1]), parts[2])


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
    cancel: threading.Event | None = None,
    on_progress: Callable[[IndexProgress], None] | None = None,
) -> bytes:
    """Build the serialized DwarfIndex of these sections in a bounded child process.

    Split units are read from `dwp`, else from `.dwo` files named by their skeletons in `split_dir`.

    Args:
        sections: the module's `.debug_*` section payloads.
        key: the cache key the index is stamped with.
        timeout_s: the wall-clock budget; the child is killed when it runs out.
        memory_bytes: the child's address-space limit.
        split_dir: where skeleton units' `.dwo` files are looked for.
        dwp: a DWARF package to read split units from first.
        cancel: when set (from any thread), the child is killed within about `_POLL_S` and the
            build raises `DwarfBuildCancelled`.
        on_progress: called in the calling thread, between polls, with each progress report of the
            child, in order; units_done never decreases. An exception it raises ends the build
            (the child is killed) and propagates.

    Raises:
        DwarfBuildError: the child ran out of time or memory, or pyelftools rejected the DWARF.
        DwarfBuildCancelled: `cancel` was set before the build finished.
    """
    if cancel is not None and cancel.is_set():
        raise DwarfBuildCancelled("the DWARF index build was cancelled")
    env = dict(os.environ, WASMDBG_INDEX_MEMORY=str(memory_bytes), WASMDBG_INDEX_KEY=key)
    env["WASMDBG_SPLIT_DIR"] = split_dir or ""
    env["WASMDBG_DWP"] = dwp or ""
    progress_read, progress_write = os.pipe()
    env[_PROGRESS_FD_ENV] = str(progress_write)
    try:
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "wasmdbg.dwarf.isolate"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                pass_fds=(progress_write,),
            )
        finally:
            os.close(progress_write)  # the child holds its own copy; EOF comes when it exits
    except OSError as error:
        os.close(progress_read)
        raise DwarfBuildError(f"could not start the DWARF reader: {error}") from None
    with proc:  # on the way out: closes the pipes and reaps the child
        try:
            os.set_blocking(progress_read, False)
            stdout, stderr = _exchange(
                proc, encode_sections(sections), _Budget(timeout_s, cancel, _AtTheCap(proc.pid, memory_bytes)),
                _ProgressLines(progress_read, on_progress),
            )
        finally:
            if proc.poll() is None:  # cancelled, out of time, or on_progress raised: no child outlives the call
                proc.kill()
            os.close(progress_read)
    if proc.returncode != 0:
        reason = stderr.decode("utf-8", "replace").strip().splitlines()
        if proc.returncode < 0:
            raise DwarfBuildError(f"the DWARF reader was killed by signal {-proc.returncode}")
        raise DwarfBuildError(reason[-1] if reason else f"the DWARF reader failed (exit {proc.returncode})")
    return stdout


class _ProgressLines:
    """Parent side of the progress pipe: non-blocking reads, whole lines handed to `on_progress`."""

    def __init__(self, fd: int, on_progress: Callable[[IndexProgress], None] | None) -> None:
        self.fd = fd
        """The read end of the pipe (non-blocking)."""
        self._on_progress = on_progress
        self._pending = b""
        self._done = 0

    def drain(self) -> bool:
        """Report every whole line the child has written so far; False once the pipe is at its end."""
        open_ = True
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except (BlockingIOError, InterruptedError):
                break
            if not chunk:
                open_ = False
                break
            self._pending += chunk
        *lines, self._pending = self._pending.split(b"\n")
        if len(self._pending) > _MAX_PROGRESS_LINE:
            self._pending = b""  # not a line the child wrote: drop it rather than grow
        for line in lines:
            progress = decode_progress(line)
            if progress is None or progress.units_done < self._done or self._on_progress is None:
                continue
            self._done = progress.units_done
            self._on_progress(progress)
        return open_


class _AtTheCap:
    """Whether the child has sat at its address-space cap for `_CAP_PINNED_S`: then it is out of memory.

    The child's own MemoryError handler is not enough. When the allocation that fails is the int
    CPython pushes while unwinding to an exception handler, CPython before 3.13 retries the unwind
    for ever (python/cpython#132508, #134163): the child spins at 100 % CPU, its address space a few
    KiB under the cap, and never raises. Seen here in about 1 build in 70 at limits of 50-62 MiB;
    without this watch the wall-clock budget ended those builds, a minute later, as "took longer".
    Read from /proc; where there is none (not Linux, where RLIMIT_AS is not enforced anyway) it
    never fires.
    """

    def __init__(self, pid: int, limit: int) -> None:
        self._stat = f"/proc/{pid}/stat"
        self.limit = limit
        """The child's address-space limit in bytes."""
        self._since: float | None = None

    def __call__(self) -> bool:
        size = address_space_size(self._stat)
        now = time.monotonic()
        if size is None or size < self.limit - _CAP_MARGIN:
            self._since = None
            return False
        if self._since is None:
            self._since = now
        return now - self._since >= _CAP_PINNED_S


def address_space_size(stat_path: str) -> int | None:
    """The `vsize` field of a /proc/PID/stat file in bytes, or None if it cannot be read."""
    try:
        with open(stat_path, "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[-1].split()  # the command name may hold spaces and ")"
        return int(fields[20])  # field 23 of the line; 3 (the state) is the first after the name
    except (OSError, IndexError, ValueError):
        return None


class _Budget:
    """What ends a build early: the cancel event, the wall-clock budget, the child pinned at its cap."""

    def __init__(self, timeout_s: float, cancel: threading.Event | None, at_the_cap: _AtTheCap) -> None:
        self._timeout_s = timeout_s
        self._deadline = time.monotonic() + timeout_s
        self._cancel = cancel
        self._at_the_cap = at_the_cap

    def next_wait(self) -> float:
        """How long the next wait may take; raises when the build is cancelled, out of time or of memory."""
        if self._cancel is not None and self._cancel.is_set():
            raise DwarfBuildCancelled("the DWARF index build was cancelled")
        if self._at_the_cap():
            raise DwarfBuildError(out_of_memory_message(self._at_the_cap.limit))
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise DwarfBuildError(
                f"reading the DWARF took longer than {self._timeout_s:g} s (malformed DWARF can make the reader loop)"
            )
        return min(_POLL_S, remaining)


def out_of_memory_message(limit: int) -> str:
    """The one line for a build that ran out of memory, from the child or from the parent's watch."""
    return f"reading the DWARF needed more than {limit >> 20} MiB of memory"


def _exchange(
    proc: subprocess.Popen[bytes],
    data: bytes,
    budget: _Budget,
    progress: _ProgressLines,
) -> tuple[bytes, bytes]:
    """Feed the child its input and collect stdout and stderr, polling the budget and progress.

    One selector loop in the calling thread. `Popen.communicate(timeout=...)` cannot serve as the
    poll: retried after its timeout it stops writing the rest of the input (CPython registers
    stdin only on the first call), and the child would wait for it for ever.
    """
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    stdin = proc.stdin.fileno()
    outputs = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
    view, sent = memoryview(data), 0
    with selectors.DefaultSelector() as selector:
        if data:
            os.set_blocking(stdin, False)
            selector.register(stdin, selectors.EVENT_WRITE)
        else:
            proc.stdin.close()
        for fd in outputs:
            selector.register(fd, selectors.EVENT_READ)
        selector.register(progress.fd, selectors.EVENT_READ)
        while any(fd in outputs for fd in selector.get_map()):
            ready = selector.select(budget.next_wait())
            for key, _ in ready:
                fd = key.fd
                if fd == stdin:
                    try:
                        sent += os.write(fd, view[sent : sent + 65536])
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:  # the child died early; its stderr says why
                        sent = len(view)
                    if sent >= len(view):
                        selector.unregister(fd)
                        proc.stdin.close()
                elif fd == progress.fd:
                    if not progress.drain():
                        selector.unregister(fd)
                else:
                    chunk = os.read(fd, 1 << 20)
                    if chunk:
                        outputs[fd] += chunk
                    else:
                        selector.unregister(fd)
    while True:  # stdout and stderr are closed: the child is exiting
        try:
            proc.wait(budget.next_wait())
            break
        except subprocess.TimeoutExpired:
            continue
    progress.drain()  # everything the child wrote is in the pipe now
    return bytes(outputs[proc.stdout.fileno()]), bytes(outputs[proc.stderr.fileno()])


def _child() -> int:
    """Child side: sections on stdin, index bytes on stdout, one line on stderr on failure."""
    import resource

    limit = int(os.environ.get("WASMDBG_INDEX_MEMORY", DEFAULT_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.setrecursionlimit(_RECURSION_LIMIT)
    # The build allocates hundreds of thousands of small records that all live until it ends; the
    # cycle collector rescanned them over and over, a quarter of the build (sqlbench: 0.73 s ->
    # 0.55 s without it). This process ends with the build, and RLIMIT_AS above bounds it.
    gc.disable()
    from wasmdbg.dwarf.build import build_tables
    from wasmdbg.dwarf.index import DwarfIndex
    from wasmdbg.dwarf.loader import load_dwarf
    from wasmdbg.dwarf.progress import WRITING_INDEX
    from wasmdbg.dwarf.split import SplitFiles

    report = _ProgressWriter(os.environ.get(_PROGRESS_FD_ENV, ""))
    out_of_memory = f"\n{out_of_memory_message(limit)}\n".encode()
    try:
        sections = decode_sections(sys.stdin.buffer.read())
        tables = build_tables(load_dwarf(sections), sections, SplitFiles.from_env(), progress=report)
        report(IndexProgress(report.units_done, report.units_total, WRITING_INDEX))
        index = DwarfIndex.from_tables(tables)
        sys.stdout.buffer.write(index.to_bytes(os.environ.get("WASMDBG_INDEX_KEY", "")))
    except MemoryError:
        pass  # reported below: leaving this block frees the traceback and the frames it holds
    except RecursionError:
        sys.stderr.write("the DWARF nests too deeply to read\n")
        return 1
    except Exception as error:  # pyelftools raises many types on malformed input; all mean the same here
        detail = " ".join(str(error).split())[:200] or type(error).__name__
        sys.stderr.write(f"malformed DWARF: {detail}\n")
        return 1
    else:
        return 0
    os.write(2, out_of_memory)  # formatted up front, while there was memory to format it
    # Out at once: an orderly exit still short of memory prints "Exception ignored in ..." after
    # the line above, and the parent takes the last line as the reason.
    os._exit(1)


class _ProgressWriter:
    """Child side of the progress pipe; rate-limited, and silent once the parent stops reading."""

    def __init__(self, fd: str) -> None:
        self._fd = int(fd) if fd.isdigit() else None
        self._phase = ""
        self._last = 0.0
        self.units_done = 0
        """The last count reported, for the phases after the units."""
        self.units_total: int | None = None
        """The last total reported."""

    def __call__(self, progress: IndexProgress) -> None:
        self.units_done, self.units_total = progress.units_done, progress.units_total
        now = time.monotonic()
        last_unit = progress.units_total is not None and progress.units_done >= progress.units_total
        if self._fd is None or (progress.phase == self._phase and not last_unit and now - self._last < _PROGRESS_INTERVAL_S):
            return
        self._phase, self._last = progress.phase, now
        try:
            os.write(self._fd, encode_progress(progress))
        except OSError:
            self._fd = None  # progress is a courtesy: the build goes on without it


if __name__ == "__main__":
    sys.exit(_child())

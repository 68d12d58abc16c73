"""The debugger's side of the agent: spawn it, talk to it in the typed protocol, and survive it dying.

One reader thread reads everything the agent writes and routes it: replies go to the request
that is waiting for them (matched by id), events to a queue that `next_event` drains. `send` and
`request` may be called from any thread. If the agent dies, the queue gets a synthesized
`Finished(engine_crashed)` saying with which signal or status and what the engine printed last,
and every waiting request fails at once.
"""

from __future__ import annotations

import itertools
import os
import queue
import signal
import subprocess
import threading
from dataclasses import replace
from typing import IO

from wasmdbg.errors import WasmdbgError
from wasmdbg.runner import protocol as p
from wasmdbg.runner.spawn import AgentProcess

_STDERR_TAIL = 65536
"""Bytes of the agent's stderr kept to explain a crash."""


class AgentGoneError(WasmdbgError):
    """The agent is not there to answer: it crashed, was ended, or the reply did not come in time."""


class _Pending:
    """A request waiting for its reply."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.reply: p.Reply | None = None


class Agent:
    """One agent process, started at construction; close it (or use `with`) to end it.

    Args:
        stdin_fd: a descriptor of this process to hand the agent as the guest's stdin; it is
            reachable there as `/dev/fd/N` (see `guest_stdin`).
        started: an agent process started earlier (see `spawn`), taken over instead of starting one.
    """

    def __init__(self, *, stdin_fd: int | None = None, started: AgentProcess | None = None) -> None:
        spawned = started if started is not None else AgentProcess(stdin_fd=stdin_fd)
        self._spawned = spawned
        self._stderr = spawned.stderr
        self.output_dir = spawned.output_dir
        """The private directory the agent's guest output files go to; removed by `close`."""
        self.guest_stdin = spawned.guest_stdin
        """The path the agent opens for the passed descriptor, or None."""
        self.process = spawned.process
        self._ids = itertools.count(1)
        self._send_lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}
        self._pending_lock = threading.Lock()
        self._events: queue.Queue[p.Event] = queue.Queue()
        self._finished: p.Finished | None = None
        self._gone = threading.Event()
        self._reader = threading.Thread(target=self._read, name="wasmdbg-agent-reader", daemon=True)
        self._reader.start()

    # -- sending --------------------------------------------------------------------------------

    def send(self, request: p.Request) -> int:
        """Send a request from any thread, with a fresh id (returned); dropped once the agent is gone."""
        request_id = next(self._ids)
        self._write(replace(request, id=request_id))
        return request_id

    def _write(self, request: p.Request) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        with self._send_lock:
            try:
                stdin.write(p.encode(request))
                stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass  # its death is reported by the reader

    def request(self, request: p.ReadMemory | p.MemorySize | p.ReadGlobals, timeout_s: float = 10.0) -> p.Reply:
        """Send a request and wait for the reply with its id; events arriving meanwhile are kept.

        Raises:
            AgentGoneError: the agent died or did not answer within `timeout_s`.
        """
        pending = _Pending()
        request_id = next(self._ids)
        with self._pending_lock:
            if self._gone.is_set():
                raise AgentGoneError("the engine process has ended, so there is nothing to read")
            self._pending[request_id] = pending
        self._write(replace(request, id=request_id))
        answered = pending.done.wait(timeout_s)
        with self._pending_lock:
            self._pending.pop(request_id, None)
        if pending.reply is None:
            if answered or self._gone.is_set():
                raise AgentGoneError("the engine process ended before it answered")
            raise AgentGoneError(f"the engine did not answer within {timeout_s:g} s (the guest may be in a host call)")
        return pending.reply

    # -- receiving ------------------------------------------------------------------------------

    def next_event(self, timeout_s: float | None = None) -> p.Event | None:
        """The next event, waiting at most `timeout_s` (None: until one comes); None on timeout.

        After the run's Finished (real or synthesized) no more events come.
        """
        try:
            return self._events.get(timeout=timeout_s)
        except queue.Empty:
            return None

    @property
    def alive(self) -> bool:
        """Whether the agent process is still running."""
        return not self._gone.is_set()

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        for raw in stdout:
            try:
                message = p.decode(raw)
            except p.ProtocolError:
                continue  # not ours (a stray print in the engine): never fatal
            if p.is_reply(message):
                reply_to = getattr(message, "reply_to", -1)
                with self._pending_lock:
                    pending = self._pending.get(reply_to)
                if pending is not None:
                    pending.reply = message  # type: ignore[assignment]
                    pending.done.set()
                continue
            if isinstance(message, p.Finished):
                self._finished = message
            self._events.put(message)  # type: ignore[arg-type]
        self._on_exit()

    def _on_exit(self) -> None:
        with self._pending_lock:
            self._gone.set()
            for pending in self._pending.values():
                pending.done.set()
        if self._finished is None:
            crash = self._crash()
            self._finished = crash
            self._events.put(crash)

    def _crash(self) -> p.Finished:
        try:
            status = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait()
        tail = self._stderr_tail()
        cause = f"killed by {signal.Signals(-status).name}" if status < 0 else f"exited with status {status}"
        # A Rust panic prints `thread … panicked at file:line:col:` and the message on the next line.
        panic = next((i for i, line in enumerate(tail) if " panicked at " in line), None)
        if panic is not None:
            tail = tail[: panic + 2]
        message = f"the engine process {cause}" + (f": {tail[-1][:300]}" if tail else "")
        outcome = p.Outcome(p.ENGINE_CRASHED, message=message)
        return p.Finished(outcome, signal=-status if status < 0 else None)

    def _stderr_tail(self) -> list[str]:
        try:
            self._stderr.seek(0, os.SEEK_END)
            size = self._stderr.tell()
            self._stderr.seek(max(0, size - _STDERR_TAIL))
            return self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        except (OSError, ValueError):
            return []

    # -- ending ---------------------------------------------------------------------------------

    def kill(self) -> None:
        """End the agent at once (its death is then reported as engine_crashed unless a run finished)."""
        try:
            self.process.kill()
        except OSError:
            pass

    def close(self) -> None:
        """Ask the agent to quit, kill it if it does not, and remove everything it had on disk."""
        if self.process.poll() is None:
            self._write(p.Quit())
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.kill()
                self.process.wait()
        self._reader.join(timeout=5)
        streams: tuple[IO[bytes] | None, ...] = (self.process.stdin, self.process.stdout)
        for stream in streams:
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass  # the agent died with our requests unread
        self._spawned.remove_files()

    def __enter__(self) -> Agent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

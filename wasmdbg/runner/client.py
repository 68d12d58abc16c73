"""The debugger's side of the agent: spawn it, talk to it, and survive it dying."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

ENGINE_CRASHED = "engine_crashed"


class Agent:
    """One agent process. Events arrive in order; if the agent dies, a final `engine_crashed`
    outcome event says with which signal or exit status, and what it printed last."""

    def __init__(self) -> None:
        self._stderr = tempfile.TemporaryFile()
        env = dict(os.environ)
        env.pop("WASMTIME_BACKTRACE_DETAILS", None)  # the caller's environment must not change the run
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wasmdbg.runner.agent"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
        )
        self.received: list[dict[str, Any]] = []
        """Every event so far, including samples (the engine_crashed report lists how many)."""

    def send(self, op: str, **fields: Any) -> None:
        """A request; silently dropped once the agent is gone (its death is reported as an event)."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write((json.dumps({"op": op, **fields}) + "\n").encode())
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def events(self) -> Iterator[dict[str, Any]]:
        """Events until the outcome (inclusive), or a synthesized engine_crashed one."""
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            try:
                event = json.loads(raw)
            except ValueError:
                continue
            self.received.append(event)
            yield event
            if event.get("ev") == "outcome":
                return
        yield self._crash()

    def request(self, op: str, **fields: Any) -> dict[str, Any]:
        """A post-mortem request and its one reply event."""
        self.send(op, **fields)
        assert self.process.stdout is not None
        raw = self.process.stdout.readline()
        if not raw:
            return self._crash()
        reply: dict[str, Any] = json.loads(raw)
        return reply

    def _crash(self) -> dict[str, Any]:
        status = self.process.wait(timeout=10)
        self._stderr.seek(0)
        tail = self._stderr.read()[-65536:].decode("utf-8", "replace").strip().splitlines()
        cause = f"killed by {signal.Signals(-status).name}" if status < 0 else f"exited with status {status}"
        # A Rust panic prints `thread … panicked at file:line:col:` and the message on the next line.
        panic = next((i for i, line in enumerate(tail) if " panicked at " in line), None)
        if panic is not None:
            tail = tail[: panic + 2]
        tail = [line[:300] for line in tail]
        event: dict[str, Any] = {
            "ev": "outcome",
            "outcome": ENGINE_CRASHED,
            "signal": -status if status < 0 else None,
            "message": f"the engine process {cause}" + (f": {tail[-1]}" if tail else ""),
            "events_received": len(self.received),
            "frames": [],
        }
        self.received.append(event)
        return event

    def close(self) -> None:
        """Ask the agent to quit; kill it if it does not."""
        self.send("quit")
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass  # the agent died with our requests unread
        self._stderr.close()

    def __enter__(self) -> Agent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

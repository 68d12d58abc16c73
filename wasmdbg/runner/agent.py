"""The agent: a child process that owns the Engine, Store and instance and runs the guest.

The guest and the engine can take a process down (a Rust panic cannot unwind through wasmtime's C
API; the bindings are not thread-safe), so they live here and the debugger talks to this process
over a pipe: JSON lines on stdin (requests) and stdout (events). Guest output never reaches the
terminal: it goes to files in a private directory and is forwarded, bounded, as events.

Requests: start, pause, resume, interrupt, read_memory, memory_size, globals, quit.
Events: started, sample, output, outcome, memory, memory_size, globals, error.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import tempfile
import threading
import time
from typing import IO, Any

OUTPUT_LIMIT = 1 << 20
"""Bytes of each output stream forwarded; the rest is counted as dropped."""


class _Events:
    """Writes events to the parent; safe from any thread."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, event: dict[str, Any]) -> None:
        line = (json.dumps(event) + "\n").encode()
        with self._lock:
            try:
                self._stream.write(line)
                self._stream.flush()
            except (BrokenPipeError, ValueError):
                pass  # the parent went away; the run ends when it is noticed


class _OutputPump:
    """Forwards what the guest wrote to its output files, up to OUTPUT_LIMIT bytes per stream."""

    def __init__(self, events: _Events, paths: dict[str, str]) -> None:
        self._events = events
        self._paths = paths
        self._offsets = dict.fromkeys(paths, 0)
        self.sent = dict.fromkeys(paths, 0)
        self.dropped = dict.fromkeys(paths, 0)

    def pump(self) -> None:
        for stream, path in self._paths.items():
            try:
                size = os.path.getsize(path)
            except OSError:
                continue
            start = self._offsets[stream]
            if size <= start:
                continue
            room = max(0, OUTPUT_LIMIT - self.sent[stream])
            with open(path, "rb") as f:
                f.seek(start)
                data = f.read(min(size - start, room))
            self._offsets[stream] = size
            self.dropped[stream] += size - start - len(data)
            if data:
                self.sent[stream] += len(data)
                self._events.send({"ev": "output", "stream": stream, "data": base64.b64encode(data).decode()})


def _run(request: dict[str, Any], events: _Events, controls: dict[str, Any]) -> None:
    """Run the guest; whatever happens, the parent gets an outcome event."""
    try:
        _run_guest(request, events, controls)
    except BaseException as error:  # a bug or a bad request must not leave the parent waiting
        detail = " ".join(str(error).split())[:300] or type(error).__name__
        events.send({"ev": "outcome", "outcome": "error", "message": f"the agent failed: {detail}", "frames": []})


def _run_guest(request: dict[str, Any], events: _Events, controls: dict[str, Any]) -> None:
    import wasmtime

    from wasmdbg.runner.engine import make_config
    from wasmdbg.runner.epoch import EpochWatch
    from wasmdbg.runner.invoke import call_export, parse_arguments
    from wasmdbg.runner.limits import RunLimits
    from wasmdbg.runner.outcome import Outcome, classify
    from wasmdbg.errors import WasmdbgError
    from wasmdbg.runner.sandbox import DirGrant, Sandbox

    limits = RunLimits(**request["limits"])
    sandbox = Sandbox(
        tuple(request["argv"]),
        tuple((k, v) for k, v in request.get("env", [])),
        tuple(DirGrant(d["host"], d["guest"], d["writable"]) for d in request.get("dirs", [])),
        request.get("stdin"),
    )
    private = tempfile.mkdtemp(prefix="wasmdbg-agent-")
    paths = {"stdout": os.path.join(private, "stdout"), "stderr": os.path.join(private, "stderr")}
    pump = _OutputPump(events, paths)
    engine = wasmtime.Engine(make_config(fuel=True, epochs=True, max_wasm_stack=limits.max_wasm_stack))
    store = wasmtime.Store(engine)
    fuel = limits.fuel if limits.fuel is not None else 2**63 - 1
    store.set_fuel(fuel)
    if limits.max_memory_bytes is not None:
        store.set_limits(memory_size=limits.max_memory_bytes)
    store.set_wasi(sandbox.wasi_config(paths["stdout"], paths["stderr"]))
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    # The watch comes first: instantiation runs guest code too (start functions, GC initializers),
    # and with epoch interruption on it would be interrupted at once with no callback installed.
    peak: list[int] = []

    def on_tick(tick: Any) -> None:
        peak.extend([0] * (len(tick.memory_pages) - len(peak)))
        for i, pages in enumerate(tick.memory_pages):
            peak[i] = max(peak[i], pages)
        events.send({"ev": "sample", "t": round(tick.t_s, 4), "memory_pages": list(tick.memory_pages),
                     "fuel_consumed": tick.fuel_consumed, "approximate": True})  # fmt: skip
        pump.pump()

    watch = EpochWatch(engine, store, (), tick_s=request.get("tick_s", 0.01), initial_fuel=fuel, on_tick=on_tick)
    controls["watch"] = watch
    timer = None
    if limits.timeout_s is not None:
        timer = threading.Timer(limits.timeout_s, watch.interrupt, args=(f"timeout after {limits.timeout_s:g} s",))
        timer.daemon = True
    watch.start()
    try:
        module = wasmtime.Module.from_file(engine, request["module"])
        if request.get("unknown_imports_trap"):
            linker.define_unknown_imports_as_traps(module)
        if timer is not None:
            timer.start()
        instance = linker.instantiate(store, module)
    except (wasmtime.WasmtimeError, wasmtime.Trap) as error:
        watch.stop()
        if timer is not None:
            timer.cancel()
        outcome = classify(error)
        events.send({"ev": "outcome", **_outcome_json(outcome), "fuel_consumed": None, "memory_pages": []})
        return
    memories = [e for e in instance.exports(store).by_index if isinstance(e, wasmtime.Memory)]
    watch.watch_memories(memories)
    started = time.monotonic()
    try:
        events.send({"ev": "started"})
        invoke = request.get("invoke")
        try:
            if invoke is None:
                name, arguments = ("_start" if "_start" in instance.exports(store) else ""), []
            else:
                name, arguments = invoke["name"], list(invoke["args"])
                func = instance.exports(store).get(name)
                if isinstance(func, wasmtime.Func):
                    arguments = parse_arguments(func.type(store), invoke["args"])
            outcome = call_export(store, instance, name, arguments)
        except WasmdbgError as error:  # no such export, arguments that do not fit
            outcome = Outcome("error", message=error.message)
        except Exception as error:  # whatever else the bindings raise ends the run as an error
            outcome = classify(error)
        finally:
            if timer is not None:
                timer.cancel()
    finally:
        watch.stop()
    pump.pump()
    fuel_left = store.get_fuel()
    pages = [m.size(store) for m in memories]
    exports = instance.exports(store)
    controls["globals"] = [(name, exports[name]) for name in exports if isinstance(exports[name], wasmtime.Global)]
    controls["store"], controls["memories"] = store, memories
    events.send({
        "ev": "outcome", **_outcome_json(outcome), "fuel_consumed": fuel - fuel_left,
        "memory_pages": pages, "peak_pages": [max(p, q) for p, q in zip(peak + [0] * len(pages), pages)],
        "duration_s": round(time.monotonic() - started, 4), "stdout_dropped": pump.dropped["stdout"],
        "stderr_dropped": pump.dropped["stderr"],
    })  # fmt: skip


def _outcome_json(outcome: Any) -> dict[str, Any]:
    return {
        "outcome": outcome.outcome,
        "exit_code": outcome.exit_code,
        "results": [r if isinstance(r, int | float | str | None) else repr(r) for r in outcome.results]
        if outcome.results is not None
        else None,
        "trap_kind": outcome.trap_kind,
        "message": outcome.message,
        "fault_address": outcome.fault_address,
        "memory_size": outcome.memory_size,
        "frames": [[f.func_index, f.module_offset, f.func_name] for f in outcome.frames],
        "frames_truncated": outcome.frames_truncated,
    }


def main() -> int:
    """Serve requests from stdin until `quit` or end of input."""
    events = _Events(sys.stdout.buffer)
    controls: dict[str, Any] = {}
    runner: threading.Thread | None = None
    for raw in sys.stdin.buffer:
        try:
            request = json.loads(raw)
            op = request["op"]
        except (ValueError, KeyError, TypeError):
            events.send({"ev": "error", "message": "malformed request"})
            continue
        watch = controls.get("watch")
        if op == "start" and runner is None:
            runner = threading.Thread(target=_run, args=(request, events, controls), daemon=True)
            runner.start()
        elif op in ("pause", "resume") and watch is not None:
            getattr(watch, op)()
        elif op == "interrupt" and watch is not None:
            watch.interrupt(str(request.get("reason", "interrupted by the user")))
        elif op in ("read_memory", "memory_size", "globals"):
            _post_mortem(request, controls, events)
        elif op == "quit":
            break
        else:
            events.send({"ev": "error", "message": f"cannot {op} now"})
    sys.stdout.flush()
    # Skip interpreter teardown: wasmtime's worker threads may panic while Python shuts down.
    os._exit(0)


def _post_mortem(request: dict[str, Any], controls: dict[str, Any], events: _Events) -> None:
    store, memories = controls.get("store"), controls.get("memories") or []
    if store is None:
        events.send({"ev": "error", "message": "no finished run to inspect"})
        return
    if request["op"] == "globals":
        values = []
        for name, value in controls.get("globals", []):
            current = value.value(store)
            shown = current if isinstance(current, int | float) or current is None else repr(current)
            values.append({"name": name, "type": str(value.type(store).content), "value": shown})
        events.send({"ev": "globals", "globals": values})
        return
    index = int(request.get("memory", 0))
    if not 0 <= index < len(memories):
        events.send({"ev": "error", "message": f"no memory {index}"})
        return
    memory = memories[index]
    size = memory.data_len(store)
    if request["op"] == "memory_size":
        events.send({"ev": "memory_size", "memory": index, "bytes": size})
        return
    address, length = int(request["address"]), min(int(request["length"]), 1 << 20)
    start, end = max(0, address), min(size, address + length)
    data = memory.read(store, start, end) if start < end else b""
    events.send({"ev": "memory", "memory": index, "address": start, "data": base64.b64encode(bytes(data)).decode()})


if __name__ == "__main__":
    main()

"""The agent: a child process that owns the Engine, Store and instance and runs the guest.

The guest and the engine can take a process down (a Rust panic cannot unwind through wasmtime's C
API; the bindings are not thread-safe), so they live here and the debugger talks to this process
over a pipe in the typed protocol of `runner.protocol`: requests on stdin, events and replies on
stdout. Guest output never reaches the terminal: wasmtime writes it to files in the private
directory the parent made, which the agent unlinks as soon as both sides have them open (so
nothing is left behind even if both processes are killed), and forwards, bounded, as events;
past that bound the files are truncated, so their disk use stays bounded too.

Threads: the main thread reads requests; one runner thread compiles and runs the guest. Reads of
the store while the guest runs happen on the guest's own thread, at an epoch check.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from typing import IO, Any

from wasmdbg.runner import protocol as p

MAX_READ = 1 << 20
"""Largest memory read one request may ask for."""


class _Channel:
    """Writes messages to the parent; safe from any thread."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, message: p.Message) -> None:
        line = p.encode(message)
        with self._lock:
            try:
                self._stream.write(line)
                self._stream.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass  # the parent went away; the agent ends when its requests stop


PUMP_INTERVAL_S = 0.01
"""How often the guest's output files are forwarded and, past the limit, emptied."""


class _OutputPump:
    """Forwards what the guest wrote to its output files, up to p.OUTPUT_LIMIT bytes per stream; the rest is counted."""

    def __init__(self, channel: _Channel, files: dict[str, IO[bytes]]) -> None:
        self._channel = channel
        self._files = files
        self._lock = threading.Lock()
        self.sent = dict.fromkeys(files, 0)
        self.dropped = dict.fromkeys(files, 0)
        self._stop = threading.Event()

    def run_in_background(self, interval_s: float = PUMP_INTERVAL_S) -> None:
        """Pump every `interval_s` from a thread of its own, until `stop`.

        The samples pump too, but a guest writing a gigabyte a second fills the disk by a hundred
        megabytes between two of them; this thread keeps what its output takes on disk to what it
        writes in `interval_s`, whatever the guest's thread is doing (host calls included).
        """

        def loop() -> None:
            while not self._stop.wait(interval_s):
                try:
                    self.pump()
                except (OSError, ValueError):  # the files were closed: the run is over
                    return

        threading.Thread(target=loop, name="wasmdbg-output-pump", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def pump(self) -> None:
        with self._lock:  # the epoch callback and the runner thread both pump
            for stream, f in self._files.items():
                size = os.fstat(f.fileno()).st_size
                start = f.tell()
                if size <= start:
                    continue
                room = max(0, p.OUTPUT_LIMIT - self.sent[stream])
                data = f.read(min(size - start, room))
                f.seek(size)
                self.dropped[stream] += size - start - len(data)
                if data:
                    self.sent[stream] += len(data)
                    self._channel.send(p.Output(stream, data))
                if self.sent[stream] >= p.OUTPUT_LIMIT:
                    # Past the limit the file is only counted, so free its disk space: else a guest
                    # writing in a loop fills the disk (hundreds of MB a second), invisibly, as the
                    # file is unlinked. wasmtime's descriptor has its own offset (no O_APPEND), so
                    # its next write lands there past a hole: st_size keeps counting every byte.
                    os.ftruncate(f.fileno(), 0)


@dataclass
class _State:
    """What the request loop and the runner thread share."""

    watch: Any = None
    """The EpochWatch while the guest can run."""
    interrupt: str | None = None
    """An interrupt that arrived before the watch existed."""
    paused: bool = False
    store: Any = None
    memories: list[Any] = field(default_factory=list)
    globals: list[tuple[str, Any]] = field(default_factory=list)
    probes: Any = None
    """The ProbeHost of an instrumented run."""
    finished: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


def _run(start: p.Start, channel: _Channel, state: _State) -> None:
    """Run the guest; whatever happens, the parent gets a Finished event."""
    try:
        _run_guest(start, channel, state)
    except BaseException as error:  # a bug or a bad request must not leave the parent waiting
        detail = " ".join(str(error).split())[:300] or type(error).__name__
        outcome = p.Outcome(p.ERROR, message=f"the agent failed: {detail}", error_kind=p.AGENT_FAILURE)
        channel.send(p.Finished(outcome))
    finally:
        with state.lock:
            state.finished = True


def _run_guest(start: p.Start, channel: _Channel, state: _State) -> None:
    import wasmtime

    from wasmdbg.runner.engine import make_config
    from wasmdbg.runner.epoch import EpochWatch, Tick
    from wasmdbg.runner.invoke import InvokeError, call_export, parse_arguments
    from wasmdbg.runner.outcome import classify
    from wasmdbg.errors import WasmdbgError
    from wasmdbg.runner.deadline import Deadline
    from wasmdbg.runner.sandbox import Sandbox
    from wasmdbg.runner.text_format import module_bytes
    from wasmdbg.runner.assemblyscript import define_abort, imports_abort

    limits = start.limits
    # Metering costs a fifth to two fifths of guest time and half again the compile time, so it is
    # on only when a budget needs it or the caller shows the figure (the app), as in wasmtime's CLI.
    metered = start.meter_fuel or limits.fuel is not None
    # Epoch checks stay on: the timeout, Ctrl-C and pause all work through them.
    config = make_config(fuel=metered, epochs=True, max_wasm_stack=limits.max_wasm_stack)
    if start.compile_cache:
        from wasmdbg.runner.cache import enable

        enable(config)  # an unusable cache directory means compiling afresh, never a failed run
    engine = wasmtime.Engine(config)
    instrumented = None
    try:
        code = module_bytes(start.module)  # the text format too, as wasmtime takes it
        if start.breakpoints or start.live_points:
            from wasmdbg.instrument import instrument

            points = set(start.breakpoints) | set(start.live_points)
            instrumented = instrument(code, points, call_sites=start.call_sites, guarded=bool(start.live_points))
            code = instrumented.data
        module = wasmtime.Module(engine, code)
    except wasmtime.WasmtimeError as error:
        channel.send(p.Finished(replace(classify(error), error_kind=p.COMPILE)))
        return
    except WasmdbgError as error:  # unreadable, text that does not assemble, or a breakpoint off the code
        channel.send(p.Finished(p.Outcome(p.ERROR, message=error.message, error_kind=p.COMPILE)))
        return
    store = wasmtime.Store(engine)
    fuel: int | None = None
    if metered:
        fuel = limits.fuel if limits.fuel is not None else 2**63 - 1
        store.set_fuel(fuel)
    if limits.max_memory_bytes is not None:
        store.set_limits(memory_size=limits.max_memory_bytes)
    memories: list[wasmtime.Memory] = []
    page_sizes: list[int] = []
    peak: list[int] = []
    fuel_seen = [-1, 0.0]  # the last fuel figure and when it changed

    def on_tick(tick: Tick) -> None:
        peak.extend([0] * (len(tick.memory_pages) - len(peak)))
        for i, pages in enumerate(tick.memory_pages):
            peak[i] = max(peak[i], pages)
        stale = 0.0
        if tick.fuel_consumed is not None:
            if tick.fuel_consumed != fuel_seen[0]:
                fuel_seen[0], fuel_seen[1] = tick.fuel_consumed, tick.t_s
            stale = round(tick.t_s - fuel_seen[1], 4)
        channel.send(p.Sample(round(tick.t_s, 4), tick.memory_pages, tick.fuel_consumed, stale, tuple(page_sizes)))
        pump.pump()

    # The watch comes first: instantiation runs guest code too (start functions, GC initializers),
    # and with epoch interruption on it would be interrupted at once with no callback installed.
    watch = EpochWatch(engine, store, (), tick_s=start.tick_s, initial_fuel=fuel, on_tick=on_tick)
    timer = None
    if limits.timeout_s is not None:
        reason = f"timeout after {limits.timeout_s:g} s"
        timer = Deadline(limits.timeout_s, lambda: watch.interrupt(reason))
    with state.lock:
        state.watch = watch
        if state.interrupt is not None:
            watch.interrupt(state.interrupt)
        if state.paused:
            watch.pause()
    channel.send(p.Started())
    began = time.monotonic()
    holding = [0.0, 0.0]  # when the current stop began; the seconds held at stops so far
    if timer is not None:
        timer.start()
    # Opening the guest's stdin can itself block (a FIFO without a writer): after Started, so the
    # parent's deadline covers it.
    sandbox = Sandbox(start.argv, start.env, start.dirs, start.stdin)
    paths = {p.STDOUT: os.path.join(start.output_dir, "stdout"), p.STDERR: os.path.join(start.output_dir, "stderr")}
    try:
        store.set_wasi(sandbox.wasi_config(paths[p.STDOUT], paths[p.STDERR]))
    except wasmtime.WasmtimeError as error:  # a stdin file or a granted directory that cannot be opened
        detail = " ".join(str(error).split())[:300]
        channel.send(p.Finished(p.Outcome(p.ERROR, message=f"the sandbox could not be set up: {detail}")))
        return
    # Read-write: past p.OUTPUT_LIMIT the pump truncates them (see `_OutputPump.pump`).
    files: dict[str, IO[bytes]] = {stream: open(path, "r+b") for stream, path in paths.items()}  # noqa: SIM115
    for path in paths.values():
        os.unlink(path)  # wasmtime and the pump hold them open; nothing remains on disk
    pump = _OutputPump(channel, files)
    pump.run_in_background()
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    aborts: list[p.AbortCall] = []

    def keep_last(call: p.AbortCall) -> None:
        aborts[:] = [call]  # the last only: a guest may call abort in a loop without trapping

    if imports_abort(module):  # AssemblyScript's: defined as its loader does, so the module runs at all
        define_abort(linker, store, keep_last)
    host = None
    if instrumented is not None:
        from wasmdbg.runner.probes import ProbeHost

        def on_hold(held: bool) -> None:
            # The time the user spends at a stop is not the guest's: neither its timeout nor its duration.
            if timer is not None:
                timer.suspend() if held else timer.resume()
            if held:
                holding[0] = time.monotonic()
            else:
                holding[1] += time.monotonic() - holding[0]
            pump.pump()

        host = ProbeHost(instrumented, channel.send, watch.hold, on_hold)
        host.define(linker, store, start.breakpoints)
        with state.lock:
            state.probes = host
    watch.start()
    # CPU time of this thread from here on is the guest's (instantiation runs guest code too), plus
    # the samples taken on it; compilation is done.
    cpu = time.thread_time()
    try:
        try:
            if start.unknown_imports_trap:
                linker.define_unknown_imports_as_traps(module)
            instance = linker.instantiate(store, module)
            if host is not None:
                host.attach_guards(instance, store)
        except (wasmtime.WasmtimeError, wasmtime.Trap) as error:
            outcome = classify(error)
            if outcome.outcome == p.ERROR:
                missing = "unknown import" in (outcome.message or "")
                outcome = replace(outcome, error_kind=p.MISSING_IMPORT if missing else p.COMPILE)
            outcome = _original_frames(outcome, instrumented)
            _finish(channel, state, store, [], outcome, fuel, [], [], began + holding[1], cpu, pump, timer, watch)
            return
        exports = instance.exports(store)
        memories = [e for e in exports.by_index if isinstance(e, wasmtime.Memory)]
        if instrumented is not None:  # every memory is exported now: by the module's own index
            found = [exports.get(name) for _, name in sorted(instrumented.memory_exports.items())]
            memories = [m for m in found if isinstance(m, wasmtime.Memory)]
        page_sizes[:] = [m.page_size(store) for m in memories]
        watch.watch_memories(memories)
        with state.lock:
            state.memories = memories
        try:
            if start.invoke is None:
                if "_start" not in exports:
                    raise InvokeError("the module has no _start function", p.NO_START)
                outcome = call_export(store, instance, "_start", [])
            else:
                func = exports.get(start.invoke)
                arguments: list[object] = list(start.invoke_args)
                if isinstance(func, wasmtime.Func):
                    arguments = parse_arguments(func.type(store), start.invoke_args, start.invoke)
                outcome = call_export(store, instance, start.invoke, arguments)
        except InvokeError as error:
            outcome = p.Outcome(p.ERROR, message=error.message, error_kind=error.kind)
        except Exception as error:  # whatever else the bindings raise ends the run as an error
            outcome = classify(error)
        # The globals the rewriter exported (to read them at a stop) are not the module's exports.
        added = instrumented.added_exports if instrumented is not None else frozenset()
        globals_ = [(name, exports[name]) for name in exports if isinstance(exports[name], wasmtime.Global) and name not in added]
        outcome = _original_frames(outcome, instrumented)
        if aborts and outcome.outcome == p.TRAPPED:
            outcome = replace(outcome, abort=aborts[-1])
        _finish(channel, state, store, memories, outcome, fuel, peak, globals_, began + holding[1], cpu, pump, timer, watch)
    finally:
        watch.stop()


def _finish(
    channel: _Channel, state: _State, store: Any, memories: list[Any], outcome: p.Outcome, fuel: int | None,
    peak: list[int], globals_: list[tuple[str, Any]], began: float, cpu: float, pump: _OutputPump, timer: Any,
    watch: Any,
) -> None:  # fmt: skip
    """Send the final figures; from here on the store is read from the request loop (post-mortem).

    `fuel` is the budget the store was given, None when fuel was not metered; `cpu` is this
    thread's CPU time when the guest was first called.
    """
    cpu_time_s = round(time.thread_time() - cpu, 4)
    if timer is not None:
        timer.cancel()
    watch.stop()
    pump.stop()
    pump.pump()
    pages = [m.size(store) for m in memories]
    with state.lock:
        state.store, state.memories, state.globals = store, memories, globals_
        state.watch = None
    channel.send(p.Finished(
        outcome, fuel_consumed=None if fuel is None else fuel - store.get_fuel(), memory_pages=tuple(pages),
        fuel_exact=fuel is not None and outcome.outcome not in (p.TIMEOUT, p.INTERRUPTED),
        fuel_metered=fuel is not None, cpu_time_s=cpu_time_s,
        peak_pages=tuple(max(a, b) for a, b in zip(peak + [0] * len(pages), pages)),
        page_bytes=tuple(m.page_size(store) for m in memories), duration_s=round(time.monotonic() - began, 4),
        stdout_dropped=pump.dropped[p.STDOUT], stderr_dropped=pump.dropped[p.STDERR],
    ))  # fmt: skip
    # Reads that were queued for the guest's thread but never ran (it was in a host call): answer now.
    for call in watch.pending_calls():
        call(None)




def _original_frames(outcome: p.Outcome, instrumented: Any) -> p.Outcome:
    """The outcome with an instrumented module's frames mapped back to the original module (as is without one)."""
    if instrumented is None:
        return outcome
    from wasmdbg.runner.probes import original_frames

    return replace(outcome, frames=original_frames(outcome.frames, instrumented))


def _read(memory: Any, context: Any, request: p.ReadMemory | p.MemorySize) -> p.Reply:
    """Serve a memory request with the store's context (the guest stopped, or finished)."""
    from wasmtime import _ffi as ffi

    size = int(ffi.wasmtime_memory_data_size(context, ctypes.byref(memory._memory)))
    if isinstance(request, p.MemorySize):
        return p.MemorySizeReply(request.id, request.memory, size)
    begin = min(max(0, request.address), size)
    end = min(size, begin + max(0, min(request.length, MAX_READ)))
    data = b""
    if begin < end:
        base = ctypes.addressof(ffi.wasmtime_memory_data(context, ctypes.byref(memory._memory)).contents)
        data = ctypes.string_at(base + begin, end - begin)
    return p.MemoryBytes(request.id, request.memory, begin, data)


def _serve_read(request: p.ReadMemory | p.MemorySize, state: _State, channel: _Channel) -> None:
    with state.lock:
        store, memories, watch, finished = state.store, state.memories, state.watch, state.finished
    if not 0 <= request.memory < len(memories):
        why = f"no exported memory {request.memory}" if memories or store is not None else "the module has not been instantiated yet"
        channel.send(p.Refused(request.id, why))
        return
    memory = memories[request.memory]
    if store is not None:
        channel.send(_read(memory, store._context(), request))
    elif watch is not None and not finished:

        def on_guest_thread(context: Any) -> None:
            with state.lock:
                done = state.store
            channel.send(_read(memory, context if context is not None else done._context(), request))

        watch.call_on_guest_thread(on_guest_thread)
    else:
        channel.send(p.Refused(request.id, "the run ended without an instance to read"))


def _set_breakpoints(request: p.SetBreakpoints, state: _State, channel: _Channel) -> None:
    with state.lock:
        host, watch, finished = state.probes, state.watch, state.finished
    if host is None or not host.live_points or finished or watch is None:
        channel.send(p.Refused(request.id, "breakpoints can be set while a guarded run is going on"))
        return
    host.set_breakpoints(request.offsets)
    watch.call_on_guest_thread(host.write_guards)  # at the next epoch check, or at once at a stop


def _step(request: p.Step, state: _State, channel: _Channel) -> None:
    with state.lock:
        host, watch = state.probes, state.watch
    if request.mode not in p.STEP_MODES or host is None or watch is None or not host.begin_step(request.mode, request.depth):
        channel.send(p.Refused(request.id, "a step starts from a stop in a run with breakpoints"))
        return
    with state.lock:
        state.paused = False
    watch.resume()


def _serve_globals(request: p.ReadGlobals, state: _State, channel: _Channel) -> None:
    with state.lock:
        store, globals_ = state.store, state.globals
    if store is None:
        channel.send(p.Refused(request.id, "globals can be read once the run has ended"))
        return
    values = []
    for name, value in globals_:
        current = value.value(store)
        shown = current if isinstance(current, int | float) or current is None else repr(current)
        values.append(p.GlobalValue(name, str(value.type(store).content), shown))
    channel.send(p.Globals(request.id, tuple(values)))


def main() -> int:
    """Serve requests from stdin until Quit or end of input."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the debugger's to handle, not ours
    channel = _Channel(sys.stdout.buffer)
    state = _State()
    runner: threading.Thread | None = None
    for raw in sys.stdin.buffer:
        try:
            request = p.decode(raw)
        except p.ProtocolError as error:
            channel.send(p.Refused(-1, error.message))
            continue
        with state.lock:
            watch = state.watch
        if isinstance(request, p.Start) and runner is None:
            runner = threading.Thread(target=_run, args=(request, channel, state), daemon=True)
            runner.start()
        elif isinstance(request, p.Pause | p.Resume | p.Continue):
            with state.lock:
                state.paused = isinstance(request, p.Pause)
            if watch is not None:
                watch.pause() if isinstance(request, p.Pause) else watch.resume()
        elif isinstance(request, p.Interrupt):
            with state.lock:
                state.interrupt = state.interrupt or request.reason
            if watch is not None:
                watch.interrupt(request.reason)
        elif isinstance(request, p.SetBreakpoints):
            _set_breakpoints(request, state, channel)
        elif isinstance(request, p.Step):
            _step(request, state, channel)
        elif isinstance(request, p.ReadMemory | p.MemorySize):
            _serve_read(request, state, channel)
        elif isinstance(request, p.ReadGlobals):
            _serve_globals(request, state, channel)
        elif isinstance(request, p.Quit):
            break
        else:
            channel.send(p.Refused(getattr(request, "id", -1), f"cannot {getattr(request, 'TYPE', '?')} now"))
    sys.stdout.flush()
    # Skip interpreter teardown: wasmtime's worker threads may panic while Python shuts down.
    os._exit(0)


if __name__ == "__main__":
    main()

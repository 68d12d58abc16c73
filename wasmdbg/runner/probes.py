"""The agent's side of breakpoints: the probe imports an instrumented module calls, and the stop.

`wasmdbg.instrument` rewrites the module so that before each breakpoint's instruction it calls a
host import with a probe id and the function's locals. Here those imports are defined: a hit
unwinds the guest's stack without ending the run (an exported helper executes `unreachable`; the
Trap it raises, caught here, carries every frame, across this host call), maps frames back to the
original module, sends `Stopped` and holds the guest's thread until the debugger says Continue.
Call-site probes keep a shadow stack of callers' locals, so outer frames have variables too.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import wasmtime

from wasmdbg.facts import WASMTIME_FRAME_LIMIT
from wasmdbg.instrument import CALL, POINT, RETURN, Instrumented, Probe
from wasmdbg.runner import protocol as p
from wasmdbg.runner.outcome import guest_frames

_VALTYPES = {"i32": wasmtime.ValType.i32, "i64": wasmtime.ValType.i64, "f32": wasmtime.ValType.f32, "f64": wasmtime.ValType.f64}


def original_frames(frames: Sequence[p.GuestFrame], instrumented: Instrumented) -> tuple[p.GuestFrame, ...]:
    """Frames of the rewritten module as the original's: its functions and offsets; the added helper and probes left out."""
    out = []
    for frame in frames:
        func = instrumented.original_function(frame.func_index)
        if func is None:
            continue  # the unwind helper or a probe import
        offset = None if frame.module_offset is None else instrumented.original_offset(frame.module_offset)
        out.append(p.GuestFrame(func, offset, frame.func_name))
    return tuple(out)


class ProbeHost:
    """Serves the probe imports of one instrumented module in one store."""

    def __init__(
        self,
        instrumented: Instrumented,
        send: Callable[[p.Message], None],
        hold: Callable[[Any], None],
        on_hold: Callable[[bool], None],
    ) -> None:
        self.instrumented = instrumented
        self._send = send
        self._hold = hold
        self._on_hold = on_hold
        self._breakpoints: frozenset[int] = frozenset()
        self._guards: Any = None
        self._lock = threading.Lock()
        self._hits: dict[int, int] = {}
        self._last: int | None = None
        """The offset of the last stop."""
        self._step: tuple[str, int, int] | None = None
        """(mode, stack depth at the stop, offset stopped at) while a step is under way."""
        self._held: Any = None
        """The store's context while the guest is held at a stop (its thread is blocked there)."""
        self._shadow: list[tuple[Probe, tuple[p.Local, ...]]] = []

    def define(self, linker: wasmtime.Linker, store: wasmtime.Store, breakpoints: tuple[int, ...]) -> None:
        """Define every probe import on the linker; `breakpoints` are the offsets to stop at."""
        self._breakpoints = frozenset(breakpoints)
        for spec in self.instrumented.imports:
            func_type = wasmtime.FuncType([_VALTYPES[t]() for t in spec.params], [])
            func = wasmtime.Func(store, func_type, self._callback, access_caller=True)
            linker.define(store, "wasmdbg", spec.name, func)

    # -- breakpoints set while the guest runs (a guarded module) ---------------------------------------

    def attach_guards(self, instance: wasmtime.Instance, store: wasmtime.Store) -> None:
        """Find the guard memory of a guarded module and turn off every point not a breakpoint."""
        name = self.instrumented.guard_export
        if name is None:
            return
        memory = instance.exports(store).get(name)
        if isinstance(memory, wasmtime.Memory):
            self._guards = memory
            self.write_guards(store._context())

    @property
    def live_points(self) -> frozenset[int]:
        """The offsets a breakpoint can be set at while the guest runs (empty unless guarded)."""
        if self._guards is None:
            return frozenset()
        return frozenset(probe.offset for probe in self.instrumented.probes if probe.kind == POINT)

    def set_breakpoints(self, offsets: Iterable[int]) -> None:
        """Stop at these offsets from now on (the guards are written by `write_guards`, on the guest's thread)."""
        self._breakpoints = frozenset(offsets)

    def begin_step(self, mode: str, depth: int) -> bool:
        """From a stop: stop again at the next line (`into`: anywhere; `over`: in this frame or a
        caller; `out`: in a caller), turning every point's guard on until then. False when the
        run is not held at a stop of a guarded module (nothing changes then)."""
        if self._guards is None or self._held is None or self._last is None:
            return False
        self._step = (mode, depth, self._last)
        self.write_guards(self._held)  # the guest's thread is blocked at the stop: no race
        return True

    def write_guards(self, context: Any) -> None:
        """Turn each point's guard on (0) for a breakpoint (every point while stepping), off (1) for
        the rest; `context` is the store's."""
        if self._guards is None:
            return
        from wasmtime import _ffi as ffi

        memory = ctypes.byref(self._guards._memory)
        size = int(ffi.wasmtime_memory_data_size(context, memory))
        base = ctypes.addressof(ffi.wasmtime_memory_data(context, memory).contents)
        with self._lock:
            wanted, stepping = self._breakpoints, self._step is not None
            for probe in self.instrumented.probes:
                if probe.kind == POINT and probe.id < size:
                    ctypes.memset(base + probe.id, 0 if stepping or probe.offset in wanted else 1, 1)

    def _callback(self, caller: wasmtime.Caller, probe_id: int, *values: p.Local) -> None:
        probe = self.instrumented.probes[probe_id]
        if probe.kind == CALL:
            self._shadow.append((probe, values))
        elif probe.kind == RETURN:
            if self._shadow:
                self._shadow.pop()
        elif probe.offset in self._breakpoints:
            self._stop(caller, probe, values)
        elif self._step is not None and self._step_ends(caller, probe):
            self._stop(caller, probe, values)

    def _step_ends(self, caller: wasmtime.Caller, probe: Probe) -> bool:
        """Whether a step stops at this line: by the frames' count (a trap unwinds them: the cost of `over`/`out`)."""
        assert self._step is not None
        mode, depth, start = self._step
        if mode == "into":
            return True
        frames, truncated = self._unwind(caller)
        if truncated:  # past wasmtime's 20 frames the depth is unknown: stop, as `into` would
            return True
        if mode == "out":
            return len(frames) < depth
        return len(frames) < depth or (len(frames) == depth and probe.offset != start)

    def _frame_locals(self, probe: Probe, values: tuple[p.Local, ...]) -> tuple[p.Local, ...]:
        count = max((*probe.locals, *probe.skipped), default=-1) + 1
        out: list[p.Local] = [None] * count
        for index, value in zip(probe.locals, values):
            out[index] = value
        return tuple(out)

    def _unwind(self, caller: wasmtime.Caller) -> tuple[list[p.GuestFrame], bool]:
        helper = caller.get(self.instrumented.unwind_export)
        frames: tuple[p.GuestFrame, ...] = ()
        if isinstance(helper, wasmtime.Func):
            try:
                helper(caller)
            except wasmtime.Trap as trap:
                frames = guest_frames(trap)
        return list(original_frames(frames, self.instrumented)), len(frames) >= WASMTIME_FRAME_LIMIT

    def _globals(self, caller: wasmtime.Caller) -> tuple[p.Local, ...]:
        exports = self.instrumented.global_exports
        values: list[p.Local] = [None] * (max(exports, default=-1) + 1)
        for index, name in exports.items():
            item = caller.get(name)
            if isinstance(item, wasmtime.Global):
                value = item.value(caller)
                values[index] = value if isinstance(value, int | float) else None
        return tuple(values)

    def _pages(self, caller: wasmtime.Caller) -> tuple[int, ...]:
        pages = []
        for _, name in sorted(self.instrumented.memory_exports.items()):
            item = caller.get(name)
            pages.append(item.size(caller) if isinstance(item, wasmtime.Memory) else 0)
        return tuple(pages)

    def _stop(self, caller: wasmtime.Caller, probe: Probe, values: tuple[p.Local, ...]) -> None:
        step = self._step[0] if self._step is not None else None
        hit = 0
        if probe.offset in self._breakpoints:
            self._hits[probe.offset] = hit = self._hits.get(probe.offset, 0) + 1
        frames, truncated = self._unwind(caller)
        locals_: list[tuple[p.Local, ...] | None] = [None] * len(frames)
        if frames:
            locals_[0] = self._frame_locals(probe, values)
        # Callers' locals, from the shadow stack: each entry is matched to the frame whose call it
        # wrapped, by function and call offset, so unwrapped frames in between are skipped.
        j = len(self._shadow) - 1
        for k in range(1, len(frames)):
            if j < 0:
                break
            entry, entry_values = self._shadow[j]
            if entry.func_index == frames[k].func_index and entry.offset == frames[k].module_offset:
                locals_[k] = self._frame_locals(entry, entry_values)
                j -= 1
        if step is not None:  # the step is over: back to the breakpoints' guards
            self._step = None
            self.write_guards(caller._context())
        self._last = probe.offset
        self._send(p.Stopped(
            probe.offset, hit, tuple(frames), tuple(locals_), truncated, self._globals(caller), self._pages(caller), step,
        ))  # fmt: skip
        self._on_hold(True)
        self._held = caller._context()
        try:
            self._hold(self._held)
        finally:
            self._held = None
            self._on_hold(False)

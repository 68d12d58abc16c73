"""Live watching of a running guest through wasmtime's epoch-deadline callback.

wasmtime-py 50 has no wrapper for `wasmtime_store_epoch_deadline_callback`, so this module installs
one through `wasmtime._ffi`. A ticker thread increments the engine's epoch every `tick_s`; each
increment makes the guest's next epoch check (function entries and loop headers) call back into
Python on the guest's own thread, where it is safe to read fuel and memory sizes, to block (pause)
and to end the call with an error (interrupt), which wasmtime returns with the wasm backtrace of
the point where the guest was.

Ticks arrive only while wasm code runs: a guest blocked in a host call (WASI `poll_oneoff`,
`fd_read`) is not sampled, paused or interrupted until it re-enters wasm.

Usage::

    with EpochWatch(engine, store, memories, initial_fuel=fuel, on_tick=handle):
        try:
            start(store)
        except wasmtime.WasmtimeError as error:
            frames = error_frames(error)
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import wasmtime
from wasmtime import _ffi as ffi

__all__ = ["INTERRUPT_PREFIX", "EpochWatch", "Tick", "error_frames"]

_log = logging.getLogger(__name__)

INTERRUPT_PREFIX = "wasmdbg: interrupted: "
"""Start of the message of every error an interrupt makes the guest's call fail with."""

_PAUSE_POLL_S = 0.05
"""Longest a paused callback sleeps before re-checking for stop: bounds how long stop() can wait."""

# wasmtime_update_deadline_kind_t; the bindings declare the type (c_uint8) but not its values.
_UPDATE_DEADLINE_CONTINUE = 0


@dataclass(frozen=True, slots=True)
class Tick:
    """One sample, taken on the guest's thread at an epoch check."""

    index: int
    """0 for the first callback of this watch, then 1, 2, ...; ticks the guest slept through are not counted."""
    t_s: float
    """Seconds since `start()`."""
    memory_pages: tuple[int, ...]
    """Size of each memory given to the watch, in wasm pages, in the order given."""
    fuel_consumed: int | None
    """`initial_fuel` minus the fuel left; None when the watch was given no `initial_fuel`.
    Never decreases, but can be stale: compiled code keeps fuel in a register and writes it back
    only at calls and returns, so inside a call-free loop (spin) it stays at the value of the last
    call for as long as the loop runs (observed with wasmtime 50)."""


# The callback is one static C function for every watch, as wasmtime-py does for host functions:
# `env` is a key into _WATCHES, and the finalizer wasmtime calls when it drops the store (or
# replaces the callback) removes the key. A store can therefore never call a freed ctypes thunk,
# and a watch stays alive exactly as long as its store needs it.
_WATCHES: dict[int, EpochWatch] = {}
_WATCHES_LOCK = threading.Lock()
_next_key = 1


_CALLBACK_TYPE = ctypes.CFUNCTYPE(
    ctypes.c_size_t,  # the bindings declare the returned wasmtime_error_t* as size_t
    ctypes.POINTER(ffi.wasmtime_context_t),
    ctypes.c_void_p,
    ctypes.POINTER(ctypes.c_uint64),
    ctypes.POINTER(ffi.wasmtime_update_deadline_kind_t),
)
_FINALIZER_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


def _epoch_callback(
    context: ctypes._Pointer[ffi.wasmtime_context_t],
    env: int | None,
    delta: ctypes._Pointer[ctypes.c_uint64],
    kind: ctypes._Pointer[ctypes.c_uint8],
) -> int:
    # An exception escaping a ctypes callback is printed and turned into a 0 return (no error),
    # but nothing may be left to chance here: everything is caught, and the deadline is always
    # renewed first so that a failure below cannot leave the guest trapping on every check.
    try:
        delta[0] = 1
        kind[0] = _UPDATE_DEADLINE_CONTINUE
        with _WATCHES_LOCK:
            watch = _WATCHES.get(env or 0)
        if watch is None:
            return 0
        return watch._on_epoch(context)
    except BaseException:  # noqa: BLE001 - must never unwind into C
        try:
            _log.exception("epoch callback failed")
        except BaseException:  # noqa: BLE001, S110 - logging itself failed (interpreter shutdown)
            pass
        return 0


def _finalize(env: int | None) -> None:
    try:
        with _WATCHES_LOCK:
            _WATCHES.pop(env or 0, None)
    except BaseException:  # noqa: BLE001, S110 - must never unwind into C
        pass


# Module-level so the thunks live as long as the process: a store may outlive every watch object.
_CALLBACK = _CALLBACK_TYPE(_epoch_callback)
_FINALIZER = _FINALIZER_TYPE(_finalize)


class EpochWatch:
    """Samples a running guest every tick, and pauses or interrupts it on request.

    The engine must have been built with `Config.epoch_interruption = True` (and
    `consume_fuel = True` for fuel samples). The watch owns the store's epoch deadline: it sets
    it to 1 tick and renews it from the callback, so nothing else may use epochs on this store.
    The engine's epoch is shared, so other stores on the same engine see the ticks too.

    `on_tick` runs on the guest's thread with the guest stopped at an epoch check; it may call
    `pause()` or `interrupt()`, which take effect before the guest resumes. Exceptions from it are
    logged and counted in `callback_errors`, never propagated into wasmtime.

    Every memory in `memories` must belong to `store`: wasmtime aborts the process otherwise.
    """

    def __init__(
        self,
        engine: wasmtime.Engine,
        store: wasmtime.Store,
        memories: Sequence[wasmtime.Memory] = (),
        *,
        tick_s: float = 0.01,
        initial_fuel: int | None = None,
        on_tick: Callable[[Tick], object] | None = None,
    ) -> None:
        if tick_s <= 0:
            raise ValueError(f"tick_s must be positive, not {tick_s}")
        self._engine = engine
        self._store = store
        self._memories = tuple(memories)
        self._tick_s = tick_s
        self._initial_fuel = initial_fuel
        self._on_tick = on_tick
        self._cond = threading.Condition()
        self._paused = False
        self._in_pause = False
        self._stopped = False
        self._interrupt_reason: str | None = None
        self._interrupt_delivered = False
        self._ticks = 0
        self._t0 = time.monotonic()
        self._ticker: threading.Thread | None = None
        self._stop_ticker = threading.Event()
        self._installed = False
        self._calls: list[Callable[[ctypes._Pointer[ffi.wasmtime_context_t]], object]] = []
        self.callback_errors = 0
        """How many times `on_tick`, a sample or a guest-thread call raised; the guest went on each time."""
        self.last_tick: Tick | None = None
        """The most recent sample, or None before the first tick."""

    def watch_memories(self, memories: Sequence[wasmtime.Memory]) -> None:
        """Sample these memories from now on (they exist only once the instance does)."""
        self._memories = tuple(memories)

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Self:
        """Install the callback, set the deadline to 1 tick and start the ticker thread."""
        if self._ticker is not None:
            raise RuntimeError("EpochWatch already started")
        self._install()
        self._t0 = time.monotonic()
        self._stop_ticker.clear()
        self._ticker = threading.Thread(target=self._tick_loop, name="wasmdbg-epoch-ticker", daemon=True)
        self._ticker.start()
        return self

    def stop(self, timeout_s: float = 1.0) -> None:
        """Stop ticking and release a paused guest (it goes on running, unsampled).

        Call `interrupt()` first if the guest must not go on; an interrupt still works after stop,
        since the callback stays installed until the store is dropped.
        """
        with self._cond:
            self._stopped = True
            self._paused = False
            self._cond.notify_all()
        self._stop_ticker.set()
        ticker = self._ticker
        if ticker is not None:
            ticker.join(timeout_s)
            if ticker.is_alive():  # cannot happen unless increment_epoch blocks; never hang stop()
                _log.warning("epoch ticker did not stop within %.1f s", timeout_s)
        self._ticker = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def ticker_alive(self) -> bool:
        """Whether the ticker thread is running."""
        return self._ticker is not None and self._ticker.is_alive()

    # -- control, from any thread ------------------------------------------------------------------

    def pause(self) -> None:
        """Make the guest block at its next epoch check, until `resume()`, `interrupt()` or `stop()`.

        Requested before the guest is called, it parks the guest at its first function entry.
        """
        with self._cond:
            if self._stopped:
                return
            self._paused = True
        # Reach the next check now rather than at the next tick.
        self._engine.increment_epoch()

    def resume(self) -> None:
        """Let a paused guest go on."""
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def interrupt(self, reason: str) -> None:
        """Make the guest's running call fail at its next epoch check with an error naming `reason`.

        The first reason wins; the error is delivered once (later calls into the store run normally).
        If no wasm is running, it is delivered at the next epoch check of the next call into the store.
        A guest inside a host call (a WASI sleep or read) is interrupted when that call returns.
        """
        with self._cond:
            if self._interrupt_reason is None:
                self._interrupt_reason = reason
            self._paused = False
            self._cond.notify_all()
        self._engine.increment_epoch()

    def call_on_guest_thread(self, call: Callable[[ctypes._Pointer[ffi.wasmtime_context_t]], object]) -> None:
        """Run `call(context)` on the guest's thread at its next epoch check, or at once if it is paused there.

        This is how the store is read while the guest runs: the bindings are not thread-safe, but
        inside the callback the guest is stopped and the context is the store's. A guest inside a
        host call runs the call when it re-enters wasm; `pending_calls()` hands back what never ran.
        """
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()
        self._engine.increment_epoch()

    def pending_calls(self) -> list[Callable[[ctypes._Pointer[ffi.wasmtime_context_t]], object]]:
        """Take the calls that have not run (after the guest's call ended, run them with the store's context)."""
        with self._cond:
            calls, self._calls = self._calls, []
        return calls

    def _run_calls(self, context: ctypes._Pointer[ffi.wasmtime_context_t]) -> None:
        """Run queued guest-thread calls; the caller holds `_cond`."""
        while self._calls:
            call = self._calls.pop(0)
            try:
                call(context)
            except Exception:  # noqa: BLE001 - a failing reader must not kill the guest
                self.callback_errors += 1
                _log.exception("guest-thread call failed")

    @property
    def is_paused(self) -> bool:
        """True while the guest is blocked inside the callback."""
        with self._cond:
            return self._in_pause

    @property
    def interrupt_reason(self) -> str | None:
        """The reason given to `interrupt()`, or None."""
        with self._cond:
            return self._interrupt_reason

    @property
    def interrupt_delivered(self) -> bool:
        """Whether the interrupt error has been handed to wasmtime."""
        with self._cond:
            return self._interrupt_delivered

    def wait_paused(self, timeout_s: float) -> bool:
        """Wait until the guest is blocked in a pause; False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not self._in_pause:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    # -- internals -------------------------------------------------------------------------------

    def _install(self) -> None:
        global _next_key
        if self._installed:
            return
        with _WATCHES_LOCK:
            key = _next_key
            _next_key += 1
            _WATCHES[key] = self
        # Replacing an earlier callback on this store makes wasmtime run its finalizer, which
        # unregisters the earlier watch.
        ffi.wasmtime_store_epoch_deadline_callback(self._store.ptr(), _CALLBACK, key, _FINALIZER)
        self._store.set_epoch_deadline(1)
        self._installed = True

    def _tick_loop(self) -> None:
        while not self._stop_ticker.wait(self._tick_s):
            self._engine.increment_epoch()

    def _sample(self, context: ctypes._Pointer[ffi.wasmtime_context_t]) -> Tick:
        pages = tuple(
            int(ffi.wasmtime_memory_size(context, ctypes.byref(memory._memory))) for memory in self._memories
        )
        consumed: int | None = None
        if self._initial_fuel is not None:
            remaining = ctypes.c_uint64(0)
            error = ffi.wasmtime_context_get_fuel(context, ctypes.byref(remaining))
            if error:
                ffi.wasmtime_error_delete(error)  # fuel metering is off: nothing to report
            else:
                consumed = self._initial_fuel - remaining.value
        tick = Tick(self._ticks, time.monotonic() - self._t0, pages, consumed)
        self._ticks += 1
        return tick

    def _block_while_paused(self, context: ctypes._Pointer[ffi.wasmtime_context_t]) -> None:
        """Block while paused, running guest-thread calls; the caller holds `_cond`."""
        while self._paused and not self._stopped and self._interrupt_reason is None:
            self._in_pause = True
            self._cond.notify_all()
            self._run_calls(context)
            # Bounded, so a lost notification can never keep the guest blocked for good.
            self._cond.wait(_PAUSE_POLL_S)
        if self._in_pause:
            self._in_pause = False
            self._cond.notify_all()

    def hold(self, context: ctypes._Pointer[ffi.wasmtime_context_t]) -> None:
        """Block the guest's thread where it is (in a host call: a breakpoint) as a pause does.

        Guest-thread calls run meanwhile with `context` (the caller's); returns on `resume()`,
        `interrupt()` (delivered at the guest's next epoch check) or `stop()`.
        """
        with self._cond:
            if self._stopped:
                return
            self._paused = True
            self._block_while_paused(context)

    def _on_epoch(self, context: ctypes._Pointer[ffi.wasmtime_context_t]) -> int:
        """The callback body: sample, report, then pause or interrupt; returns a wasmtime_error_t* or 0."""
        with self._cond:
            stopped = self._stopped
        if not stopped:
            try:
                tick = self._sample(context)
                self.last_tick = tick
                if self._on_tick is not None:
                    self._on_tick(tick)
            except Exception:  # noqa: BLE001 - a broken observer must not kill the guest
                self.callback_errors += 1
                _log.exception("epoch watch on_tick failed")
        with self._cond:
            self._run_calls(context)
            self._block_while_paused(context)
            if self._interrupt_reason is None or self._interrupt_delivered:
                return 0
            self._interrupt_delivered = True
            message = INTERRUPT_PREFIX + self._interrupt_reason
        # Ownership of the error passes to wasmtime, which returns it from the guest's call.
        error = ffi.wasmtime_error_new(message.encode("utf-8"))
        return int(ctypes.cast(error, ctypes.c_void_p).value or 0)


def error_frames(error: BaseException) -> list[wasmtime.Frame]:
    """The wasm backtrace carried by a `Trap` or `WasmtimeError`, innermost frame first.

    wasmtime-py exposes `frames` only on `Trap`; an interrupt comes back as a plain
    `WasmtimeError`, whose trace is read here with `wasmtime_error_wasm_trace`.
    """
    if isinstance(error, wasmtime.Trap):
        return error.frames
    if not isinstance(error, wasmtime.WasmtimeError):
        return []
    from wasmtime._trap import Frame, FrameList

    frames = FrameList(error)  # owns the vector; each Frame keeps it (and the error) alive
    ffi.wasmtime_error_wasm_trace(error.ptr(), ctypes.byref(frames.vec))
    return [Frame._from_ptr(frames.vec.data[i], frames) for i in range(frames.vec.size)]

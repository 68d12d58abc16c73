"""RunLimits and the `-W key=value,...` grammar the wasmtime CLI uses for them.

Values are spelled as wasmtime spells them: integers in decimal or `0x` hex with `_` separators,
durations as bare seconds or with an `s`, `ms`, `us` or `ns` suffix. `-W` may be repeated and each
takes a comma-separated list; a later value for a key wins. Unknown keys are errors, never ignored:
a limit the user believes is in force must be. So are values wasmtime cannot take (it would abort
the process, or silently wrap them): each key's range is measured, and named in the error and HELP.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace

from wasmdbg.errors import WasmdbgError

MIB = 1 << 20


class LimitsError(WasmdbgError):
    """A `-W` option that does not parse; a usage error."""


@dataclass(frozen=True, slots=True)
class RunLimits:
    """What a run may use; None means unlimited."""

    max_memory_bytes: int | None = 512 * MIB
    """Cap on each linear memory; `memory.grow` past it returns -1."""
    fuel: int | None = None
    """Fuel budget; None is unlimited and, outside the app, unmetered (metering slows the guest)."""
    timeout_s: float | None = 60.0
    """Wall-clock limit; None (or `timeout=0`) disables it."""
    max_wasm_stack: int | None = None
    """Bytes of native stack wasm code may use; None keeps wasmtime's default."""

    def to_json(self) -> dict[str, object]:
        """The limits as every report shows them."""
        return {
            "max-memory-size": self.max_memory_bytes,
            "fuel": self.fuel,
            "timeout": self.timeout_s,
            "max-wasm-stack": self.max_wasm_stack,
        }


CAP_MARGIN = 2 * MIB
"""A peak within this of the memory cap counts as hitting it (see `memory_cap_hit`)."""


def memory_cap_hit(peak_bytes: int, cap: int | None) -> bool:
    """Whether a memory whose peak was `peak_bytes` ran into `cap`.

    wasmtime does not tell the embedder that a `memory.grow` failed; a peak within one typical
    allocator growth step (CAP_MARGIN) of the cap is the sign that one did.
    """
    return cap is not None and cap - peak_bytes < CAP_MARGIN


MAX_MEMORY_SIZE = 2**63 - 1
"""The largest `max-memory-size`: wasmtime's store limiter takes an i64, and larger values wrap to
negative ones, which it reads as "no limit". 0 is a real cap (a module declaring memory then fails
to instantiate, cleanly)."""
MAX_FUEL = 2**64 - 1
"""The largest `fuel`: `Store.set_fuel` takes a u64 and gives every value up to this back from
`get_fuel`; larger values wrap silently (2**64 becomes 0, an immediate out_of_fuel)."""
MIN_WASM_STACK = 1
"""The smallest `max-wasm-stack`: 0 makes `wasmtime.Engine` panic, aborting the process. Any other
value builds an engine; one too small for the guest makes it trap with stack_overflow."""
MAX_WASM_STACK = 2 * MIB
"""The largest `max-wasm-stack`: wasmtime's async stack size (2 MiB by default, and the Python
bindings cannot change it). Above it `wasmtime.Engine` panics: "max_wasm_stack size cannot exceed
the async_stack_size"."""
MAX_TIMEOUT_S = float(math.floor(threading.TIMEOUT_MAX))
"""The largest `timeout`, in whole seconds: the agent arms a `threading.Timer`, whose wait raises
OverflowError (in the timer thread, so the timeout silently never fires) past `TIMEOUT_MAX`
(9223372036 s on Linux, where it was measured; 4294967 s, about 49 days, on Windows)."""

HEADLESS_LIMITS = RunLimits()
"""`wasmdbg run`: 512 MiB memory cap, 60 s timeout, unlimited fuel."""
INTERACTIVE_LIMITS = RunLimits(timeout_s=None)
"""The TUI: no timeout, since the user can interrupt."""

_INTEGER = re.compile(r"(?:0[xX](?P<hex>[0-9a-fA-F][0-9a-fA-F_]{0,40})|(?P<dec>[0-9][0-9_]{0,40}))")
_DURATION = re.compile(r"(?P<number>[0-9][0-9_]{0,40}(?:\.[0-9]{1,9})?)(?P<unit>s|ms|us|ns)?")
_PER_SECOND = {None: 1.0, "s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}

HELP = f"""\
Limits, as -W KEY=VALUE[,KEY=VALUE...] (repeatable; wasmtime's spelling):
  max-memory-size=N   maximum bytes each linear memory may grow to, 0 to {MAX_MEMORY_SIZE}
                      (default 512 MiB = 536870912); memory.grow beyond it returns -1 and the
                      report says the cap was hit
  fuel=N              fuel budget, 0 to {MAX_FUEL}: the guest traps with out_of_fuel when
                      it is spent, and the report says how much was used (default: unlimited
                      and not metered, as in wasmtime: metering slows the guest; the
                      interactive debugger always meters, to show it live)
  timeout=DURATION    wall-clock limit: 10, 10s, 1500ms, 250us, 100ns; at most {MAX_TIMEOUT_S:.0f} s;
                      0 disables (default 60 s for `wasmdbg run`, none in the interactive debugger)
  max-wasm-stack=N    bytes of native stack wasm code may use, {MIN_WASM_STACK} to {MAX_WASM_STACK} (2 MiB, wasmtime's
                      async stack size); too little makes the guest trap with stack_overflow
                      (default: wasmtime's, 512 KiB)
Integers may use 0x hex and _ separators: fuel=1_000_000, max-memory-size=0x4000_0000.
"""


def parse_integer(key: str, text: str) -> int:
    """An integer as wasmtime writes it: `1_000`, `0x10_0000`."""
    match = _INTEGER.fullmatch(text)
    if match is None or text.endswith("_"):
        raise LimitsError(f"-W {key}={text}: not an integer (decimal or 0x hex, _ separators allowed)")
    if match["hex"] is not None:
        return int(match["hex"].replace("_", ""), 16)
    return int(match["dec"].replace("_", ""), 10)


def parse_bounded(key: str, text: str, low: int, high: int, note: str = "") -> int:
    """An integer as `parse_integer` reads it, which must lie in `low..high` (inclusive).

    Raises:
        LimitsError: not an integer, or out of range; the message names the range (and `note`).
    """
    value = parse_integer(key, text)
    if not low <= value <= high:
        raise LimitsError(f"-W {key}={text}: out of range ({low} to {high}{note})")
    return value


def parse_duration(key: str, text: str) -> float:
    """Seconds from `10`, `10s`, `1500ms`, `250us` or `100ns`."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise LimitsError(f"-W {key}={text}: not a duration (seconds, or a number with s, ms, us or ns)")
    return float(match["number"].replace("_", "")) / _PER_SECOND[match["unit"]]


def parse_limits(options: Iterable[str], base: RunLimits = HEADLESS_LIMITS) -> RunLimits:
    """Apply `-W` option values, in order, to `base`.

    Args:
        options: the values given to each `-W` (`"fuel=1000,timeout=2s"`).
        base: the defaults of the command.

    Raises:
        LimitsError: an unknown key, a missing value, a value that does not parse, or one outside
            the range wasmtime can take (see HELP; wasmtime would abort the process or silently
            wrap the value).
    """
    limits = base
    for option in options:
        for item in option.split(","):
            key, sep, value = item.strip().partition("=")
            if key == "help" and not sep:
                raise LimitsError("-W help lists the keys", hint=HELP)
            if not sep or not value:
                raise LimitsError(f"-W {item.strip()}: expected KEY=VALUE (see -W help)")
            if key == "max-memory-size":
                limits = replace(limits, max_memory_bytes=parse_bounded(key, value, 0, MAX_MEMORY_SIZE))
            elif key == "fuel":
                limits = replace(limits, fuel=parse_bounded(key, value, 0, MAX_FUEL))
            elif key == "timeout":
                seconds = parse_duration(key, value)
                if seconds > MAX_TIMEOUT_S:
                    raise LimitsError(f"-W {key}={value}: out of range (0 to {MAX_TIMEOUT_S:.0f} s; 0 disables)")
                limits = replace(limits, timeout_s=seconds if seconds > 0 else None)
            elif key == "max-wasm-stack":
                note = " bytes; 2 MiB is wasmtime's async stack size"
                stack = parse_bounded(key, value, MIN_WASM_STACK, MAX_WASM_STACK, note)
                limits = replace(limits, max_wasm_stack=stack)
            else:
                raise LimitsError(f"-W {key}: unknown key (known: max-memory-size, fuel, timeout, max-wasm-stack)")
    return limits

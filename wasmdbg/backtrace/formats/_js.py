"""What the JavaScript engines' parsers share: wasm locations, numbers, error lines, trace blocks.

V8, SpiderMonkey and JavaScriptCore print a stack as one frame per line after an `XxxError: message`
line. Each engine module classifies a line (wasm frame, JavaScript frame, error message or other) and
`collect` groups the classified lines into traces. Every pattern here is anchored on a literal token
(`wasm-function[`, `wasm://`, `:0x`, `Error: `) found with `str.find`/`rfind`; no regex has nested or
overlapping unbounded quantifiers, so work per line stays linear in its (capped) length.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from wasmdbg.backtrace.model import FUNCTION, MODULE, UNKNOWN, Line, RawFrame, Trace

WASM, HOST, MESSAGE, OPAQUE, OTHER = "wasm", "host", "message", "opaque", "other"
"""Line kinds: a wasm frame, a JavaScript (host) frame, an error message, a frame the engine printed
without any information (Bun's `at unknown`), anything else."""

_U64_MAX = (1 << 64) - 1
_FUNC = "wasm-function["


@dataclass(frozen=True, slots=True)
class Location:
    """A wasm code location as printed, decoded."""

    module: str | None
    func_index: int | None
    offset: int | None
    offset_kind: str
    module_offset: int | None


@dataclass(frozen=True, slots=True)
class Classified:
    """What one line is, for one engine."""

    kind: str
    frame: RawFrame | None = None
    reason: str | None = None
    text: str = ""


def number(digits: str, base: int) -> int | None:
    """`digits` as an unsigned 64-bit number, or None when empty, malformed or wider than 64 bits."""
    core = digits.lstrip("0") or ("0" if digits else "")
    # Checking the length before int() keeps huge inputs cheap (and decimal int() has a digit limit).
    if not core or len(core) > (16 if base == 16 else 20):
        return None
    allowed = "0123456789abcdefABCDEF" if base == 16 else "0123456789"
    if any(ch not in allowed for ch in core):
        return None
    value = int(core, base)
    return value if value <= _U64_MAX else None


def module_name(text: str) -> str | None:
    """A module or URL as printed; None for the engines' placeholders."""
    text = text.strip()
    return None if text in ("", "<anonymous>", "<?>") else text


def function_name(text: str | None) -> str | None:
    """A function name as printed; None for the engines' and DevTools' placeholders.

    `<anonymous>` (V8, Deno; `null.<anonymous>` and `Object.<anonymous>` are CallSite formatters'
    type-name + placeholder), DevTools' `(anonymous)` and a bare `wasm-function[N]` (the name the
    WebAssembly/design#814 convention generates for an unnamed function) are no names.
    """
    if text is None:
        return None
    text = text.strip()
    if not text or text.endswith("<anonymous>") or text == "(anonymous)":
        return None
    return None if _placeholder_digits(text) is not None else text


_DEFAULT_NAME = "$func"


def _placeholder_digits(text: str, *, default_names: bool = False) -> str | None:
    """The digits N when `text` is exactly `wasm-function[N]` (or, with `default_names`, DevTools'
    default `$funcN`: canonical digits, so `$func007` and `$my_func` are names), else None."""
    if text.startswith(_FUNC) and text.endswith("]"):
        digits = text[len(_FUNC) : -1]
    elif default_names and text.startswith(_DEFAULT_NAME):
        digits = text[len(_DEFAULT_NAME) :]
        if len(digits) > 1 and digits[0] == "0":
            return None
    else:
        return None
    return digits if digits and digits.isascii() and digits.isdigit() else None


def named(text: str | None, location: Location, *, default_names: bool = False) -> tuple[str | None, Location]:
    """The name printed before `location`, placeholders dropped, and the index a placeholder carries.

    A placeholder `wasm-function[N]` (and, with `default_names`, DevTools' `$funcN`) names function
    N: it fills in a location without an index. When the location prints another index the printed
    text cannot be the placeholder, so it is kept as a name.
    """
    if text is None:
        return None, location
    stripped = text.strip()
    digits = _placeholder_digits(stripped, default_names=default_names)
    if digits is None:
        return function_name(stripped), location
    # A placeholder whose number does not fit in 64 bits names nothing: no name and no index.
    index = number(digits, 10)
    if location.func_index is None:
        return None, location if index is None else replace(location, func_index=index)
    return (None if location.func_index == index or index is None else stripped), location


def wasm_function_location(text: str, *, require_module: bool = False) -> Location | None:
    """`[module:]wasm-function[N][:0xHEX | :DECIMAL]`, the V8/SpiderMonkey/JSC shape, read from the right.

    `0xHEX` is the module offset (V8 since 2019, SpiderMonkey, the WebAssembly Web API conventions);
    a bare decimal is V8's older offset relative to the function body.
    """
    at = text.rfind(_FUNC)
    if at < 0:
        return None
    head, rest = text[:at], text[at + len(_FUNC) :]
    # DevTools shortens a page-root URL to `:8000/` and glues the link text on (amethyst#2228).
    if head and not head.endswith((":", "/")):
        return None
    close = rest.find("]")
    if close < 0:
        return None
    func_index = number(rest[:close], 10)
    if func_index is None:
        return None
    tail = rest[close + 1 :]
    printed = head[:-1] if head.endswith(":") else head
    if require_module and not printed.strip():
        return None
    module = module_name(printed)
    if not tail:
        return Location(module, func_index, None, UNKNOWN, None)
    if tail.startswith(":0x"):
        offset = number(tail[3:], 16)
        return None if offset is None else Location(module, func_index, offset, MODULE, offset)
    if tail.startswith(":"):
        offset = number(tail[1:], 10)
        return None if offset is None else Location(module, func_index, offset, FUNCTION, None)
    return None


def column_location(text: str) -> Location | None:
    """`wasm://wasm/<hash>:1:<column>` (or a `.wasm` URL): a V8 CallSite printed as line:column.

    For wasm frames V8's CallSite reports line 1 and column = module offset + 1
    (call-site-info.cc `GetLineNumber`/`GetColumnNumber`); Deno 1.x, vitest and source-map-support
    print those numbers, so the module offset is the column minus one.
    """
    parts = text.rsplit(":", 2)
    if len(parts) != 3 or parts[1] != "1":
        return None
    url = parts[0]
    if not (url.startswith("wasm://") or url.endswith(".wasm")):
        return None
    column = number(parts[2], 10)
    if column is None or column < 1:
        return None
    return Location(module_name(url), None, column - 1, MODULE, column - 1)


def display_location(text: str) -> Location | None:
    """`<script>:0xHEX`, the Chrome DevTools rendering of a wasm location (no function index)."""
    at = text.rfind(":0x")
    if at <= 0:
        return None
    script = text[:at]
    # Brackets would be wasmer's `name.wasm[0]:0x1a`, not a DevTools link.
    if any(ch.isspace() or ch in "()[]" for ch in script):
        return None
    offset = number(text[at + 3 :], 16)
    return None if offset is None else Location(module_name(script), None, offset, MODULE, offset)


def any_location(text: str) -> Location | None:
    """Any location shape V8 or DevTools prints for a wasm frame."""
    text = text.strip()
    if _FUNC in text:
        return wasm_function_location(text)
    return column_location(text) or display_location(text)


def frame(line: Line, runtime: str, name: str | None, location: Location) -> RawFrame:
    """A RawFrame for `location` printed on `line`."""
    return RawFrame(
        line_no=line.no,
        runtime=runtime,
        func_index=location.func_index,
        func_name=name,
        module=location.module,
        offset=location.offset,
        offset_kind=location.offset_kind,
        module_offset=location.module_offset,
    )


# One log prefix: a bracketed tag, an ISO date-time or a clock time, followed by blanks.
_PREFIX = re.compile(
    r"(?:\[[^\]\n]{0,80}\]|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d[.,0-9]{0,12}(?:Z|[+-]\d\d:?\d\d)?"
    r"|\d\d:\d\d:\d\d[.,0-9]{0,12})[ \t]+"
)


def strip_prefix(text: str) -> str:
    """`text` without leading blanks and up to eight log prefixes (`[00:46:30] `, timestamps)."""
    pos = len(text) - len(text.lstrip())
    for _ in range(8):
        m = _PREFIX.match(text, pos)
        if m is None:
            break
        pos = m.end()
    return text[pos:]


_ERROR = re.compile(r"\b(?:Runtime|Compile|Link|Range|Internal|Type|Reference|Syntax|Aggregate)?Error: ")
_EVALUATING = " (evaluating '"


def error_reason(text: str) -> str | None:
    """The message after the last `XxxError: ` on the line, or None when there is none.

    The last one wins because wrappers prefix their own (`Error loading module: RuntimeError: x`,
    a Python `...Error: RuntimeError: x`); JSC's ` (evaluating '...')` suffix is not part of it.
    """
    last = None
    for m in _ERROR.finditer(text):
        last = m
    if last is None:
        return None
    reason = text[last.end() :].strip()
    cut = reason.find(_EVALUATING)
    if cut >= 0 and reason.endswith("')"):
        reason = reason[:cut].rstrip()
    return reason or None


@dataclass(slots=True)
class _Open:
    first_line: int
    reason: str | None
    header: str
    frames: list[RawFrame] = field(default_factory=list)
    host: int = 0
    opaque: int = 0
    last_line: int = 0
    gap: int = 0


Finish = Callable[[Trace, str, int], Trace | None]
"""An engine's last word on a stack: (trace, error line text, opaque frame count) -> trace or None.
Without one, stacks with no wasm frame are dropped."""

MAX_GAP = 2
"""Unrecognised lines a stack may contain (Safari leaves blank lines) before it counts as ended."""
LOOKBACK = 6
"""How many lines before the first frame the error message may stand (Node puts blank lines there)."""


def collect(
    lines: Sequence[Line],
    runtime: str,
    classify: Callable[[Line], Classified],
    finish: Finish | None = None,
) -> list[Trace]:
    """Group classified lines into traces: an optional error line, then frames, innermost first.

    A stack ends at a new error line or after more than MAX_GAP other lines; stacks without a wasm
    frame are JavaScript errors and dropped unless `finish` keeps them.
    """
    traces: list[Trace] = []
    current: _Open | None = None
    pending: tuple[int, str | None, str] | None = None

    def close() -> None:
        nonlocal current
        if current is not None:
            trace = Trace(
                runtime=runtime,
                frames=tuple(current.frames),
                first_line=current.first_line,
                last_line=current.last_line,
                trap_reason=current.reason,
                host_frames=current.host,
            )
            if finish is not None:
                kept = finish(trace, current.header, current.opaque)
            else:
                kept = trace if trace.frames else None
            if kept is not None:
                traces.append(kept)
        current = None

    for line in lines:
        item = classify(line)
        if item.kind in (WASM, HOST, OPAQUE):
            if current is None:
                if pending is not None and line.no - pending[0] <= LOOKBACK:
                    current = _Open(pending[0], pending[1], pending[2])
                else:
                    current = _Open(line.no, None, "")
                pending = None
            if item.kind == WASM and item.frame is not None:
                current.frames.append(item.frame)
            elif item.kind == HOST:
                current.host += 1
            else:
                current.opaque += 1
            current.last_line = line.no
            current.gap = 0
        elif item.kind == MESSAGE:
            close()
            pending = (line.no, item.reason, item.text)
        elif current is not None:
            current.gap += 1
            if current.gap > MAX_GAP:
                close()
    close()
    return traces

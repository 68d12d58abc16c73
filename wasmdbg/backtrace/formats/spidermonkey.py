"""SpiderMonkey stacks (Firefox, gjs): `name@url:wasm-function[N]:0xOFF`, one frame per line.

SpiderMonkey prints a frame as `name@location` with an empty name when the module has no name
section (`@url:...`); the name is `module.function` when the module is named, as V8 does. For a wasm
frame the location is the URL of the script that compiled the module, with SpiderMonkey's eval-style
suffix (`app.js line 5 > WebAssembly.instantiate`), then `:wasm-function[N]:0xOFF` where OFF is the
module offset in hex (the WebAssembly Web API stack conventions). Firefox 57-60 printed
`wasm-function[N]@url:OFF:1` instead: the module offset as the line number and column 1 (the
convention proposed in WebAssembly/design#814).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from wasmdbg.backtrace.formats._js import (
    HOST,
    MESSAGE,
    OTHER,
    WASM,
    Classified,
    Location,
    collect,
    error_reason,
    frame,
    function_name,
    module_name,
    number,
    strip_prefix,
    wasm_function_location,
)
from wasmdbg.backtrace.model import MODULE, Line, Trace

RUNTIME = "spidermonkey"

_FUNC = "wasm-function["
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,31}:")
_JS_FRAME_END = re.compile(r":\d{1,9}(?::\d{1,9})?$")


def _split_at(text: str, limit: int) -> int:
    """Index of the `@` ending the name in `text[:limit]`, or -1.

    Names may contain `@` and so may URLs (npm CDN paths); the first `@` followed by a URL scheme or
    an absolute path is taken, else the last one.
    """
    last = text.rfind("@", 0, limit)
    pos = text.find("@", 0, limit)
    while 0 <= pos < last:
        after = pos + 1
        if text.startswith("/", after) or _SCHEME.match(text, after):
            return pos
        pos = text.find("@", after, limit)
    return last


def _old_frame(body: str) -> tuple[str, Location] | None:
    """`wasm-function[N]@url:LINE:1` (Firefox 57-60), LINE being the module offset."""
    if not body.startswith(_FUNC):
        return None
    close = body.find("]@")
    if close < 0:
        return None
    func_index = number(body[len(_FUNC) : close], 10)
    parts = body[close + 2 :].rsplit(":", 2)
    if func_index is None or len(parts) != 3 or not parts[0]:
        return None
    offset, column = number(parts[1], 10), number(parts[2], 10)
    if offset is None or column is None:
        return None
    return body[: close + 1], Location(module_name(parts[0]), func_index, offset, MODULE, offset)


def classify(line: Line) -> Classified:
    """What `line` is in a SpiderMonkey stack."""
    body = strip_prefix(line.text).rstrip()
    if not body:
        return Classified(OTHER)
    old = _old_frame(body)
    if old is not None:
        return Classified(WASM, frame(line, RUNTIME, old[0], old[1]))
    func_at = body.rfind(_FUNC)
    if func_at > 0:
        sep = _split_at(body, func_at)
        if sep >= 0:
            # An offset is always printed here; without one the line is JSC's `name@module:wasm-function[N]`.
            location = wasm_function_location(body[sep + 1 :], require_module=True)
            if location is not None and location.offset is not None and location.offset_kind == MODULE:
                return Classified(WASM, frame(line, RUNTIME, function_name(body[:sep]), location))
    if "@" in body and " " not in body.split("@", 1)[0].strip() and _JS_FRAME_END.search(body):
        return Classified(HOST)
    reason = error_reason(body)
    if reason is not None:
        return Classified(MESSAGE, reason=reason, text=body)
    return Classified(OTHER)


def parse(lines: Sequence[Line]) -> list[Trace]:
    """Every SpiderMonkey stack with at least one wasm frame, in input order."""
    return collect(lines, RUNTIME, classify)

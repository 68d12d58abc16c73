"""SpiderMonkey stacks (Firefox, gjs): `name@url:wasm-function[N]:0xOFF`, one frame per line.

SpiderMonkey prints a frame as `name@location` with an empty name when the module has no name
section (`@url:...`); the name is `module.function` when the module is named, as V8 does. For a wasm
frame the location is the URL of the script that compiled the module, with SpiderMonkey's eval-style
suffix (`app.js line 5 > WebAssembly.instantiate`), then `:wasm-function[N]:0xOFF` where OFF is the
module offset in hex (the WebAssembly Web API stack conventions). Firefox 57-60 printed
`wasm-function[N]@url:OFF:1` instead: the module offset as the line number and column 1 (the
convention proposed in WebAssembly/design#814); its `wasm-function[N]` name is that convention's
placeholder, not a name.

Old Firefox DevTools copies put a frame's name and its location on two lines (`wasm-function[88]`,
then `https://h/app.js:51234:1` or `https://h/app.wasm:wasm-function[88]:0x1f2e`). `join_split_frames`
puts such pairs back together as `name@location` on the location's line before classifying.
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
    module_name,
    named,
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
        return Classified(WASM, frame(line, RUNTIME, *named(old[0], old[1])))
    func_at = body.rfind(_FUNC)
    if func_at > 0:
        sep = _split_at(body, func_at)
        if sep >= 0:
            # An offset is always printed here; without one the line is JSC's `name@module:wasm-function[N]`.
            location = wasm_function_location(body[sep + 1 :], require_module=True)
            if location is not None and location.offset is not None and location.offset_kind == MODULE:
                return Classified(WASM, frame(line, RUNTIME, *named(body[:sep], location)))
    if "@" in body and " " not in body.split("@", 1)[0].strip() and _JS_FRAME_END.search(body):
        return Classified(HOST)
    reason = error_reason(body)
    if reason is not None:
        return Classified(MESSAGE, reason=reason, text=body)
    return Classified(OTHER)


_MAX_NAME_CHARS = 1024


def _split_location(text: str) -> bool:
    """Whether `text` is a location alone: `url:wasm-function[N]:0xOFF` or a script's `url:LINE:COL`."""
    if not text or "@" in text or any(ch.isspace() for ch in text):
        return False
    if _FUNC in text:
        location = wasm_function_location(text, require_module=True)
        return location is not None and location.offset_kind == MODULE
    parts = text.rsplit(":", 2)
    return (
        len(parts) == 3
        and bool(parts[0])
        and (parts[0].startswith("/") or _SCHEME.match(parts[0]) is not None)
        and all(p.isdigit() and len(p) <= 9 for p in parts[1:])
    )


def _split_name(text: str) -> bool:
    """Whether `text` can be the name line of a split frame (no `@`, no message, not a heading)."""
    if not text or len(text) > _MAX_NAME_CHARS or "@" in text or text.endswith(":"):
        return False
    return error_reason(text) is None and not _split_location(text)


def join_split_frames(lines: Sequence[Line]) -> list[Line]:
    """`lines` with each name line followed by a location line joined into `name@location`.

    The joined line keeps the location line's number (where the offset is printed); the name line is
    dropped. A script location (`url:LINE:COL`) is joined only to a name without blanks, as Firefox
    prints JavaScript names and the old `wasm-function[N]`.
    """
    out: list[Line] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines):
            name = strip_prefix(line.text).strip()
            where = strip_prefix(lines[i + 1].text).strip()
            if _split_name(name) and _split_location(where):
                if _FUNC in where or not any(ch.isspace() for ch in name):
                    out.append(Line(lines[i + 1].no, f"{name}@{where}"))
                    i += 2
                    continue
        out.append(line)
        i += 1
    return out


def parse(lines: Sequence[Line]) -> list[Trace]:
    """Every SpiderMonkey stack with at least one wasm frame, in input order."""
    return collect(join_split_frames(lines), RUNTIME, classify)

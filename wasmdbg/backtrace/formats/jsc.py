"""JavaScriptCore stacks (Safari, WebKitGTK `jsc`, Bun): wasm frames without offsets.

JSC has printed three shapes for a wasm frame, none with a code offset:

- `<?>.wasm-function[N]@[wasm code]` or `<?>.wasm-function[name]@[wasm code]` (until mid-2025):
  `<?>` stands for an unnamed module, the brackets hold the name when the name section has one,
  else the function index;
- `name@<?>:wasm-function[N]` (WebKit#48875, 2025), where the name is the index again when there
  is none (`1@<?>:wasm-function[1]`) and `<?>` may be the module's name;
- `name@wasm-function[N]` (WebKit#49862 dropped the `<?>`), with `:0xOFF` appended only under the
  wasm debugger (WebKit#69646).

`wasm-stub@[wasm code]` / `wasm-stub@[native code]` are the JS-to-wasm thunks, counted as host
frames. Error reporters that re-render a parsed stack as `function in file line:column` turn the
pre-2025 shape into `.wasm-function[name] in [wasm code] undefined:undefined` (the module before the
dot, if any, is kept; `undefined` stands for the line and column JSC never gave); such JavaScript
frames (`run in https://x/app.js 12:3`) are host frames. Bun (JSC inside) prints wasm frames as a
bare `at unknown`: such a stack keeps its trap reason and no frames. JSC appends
` (evaluating '...')` to messages; it is not part of the reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from wasmdbg.backtrace.formats._js import (
    HOST,
    MESSAGE,
    OPAQUE,
    OTHER,
    WASM,
    Classified,
    Location,
    collect,
    error_reason,
    frame,
    module_name,
    number,
    strip_prefix,
    wasm_function_location,
)
from wasmdbg.backtrace.model import MODULE, UNKNOWN, Line, Trace

RUNTIME = "jsc"

_FUNC = "wasm-function["
_WASM_CODE = "@[wasm code]"
_JS_FRAME_END = re.compile(r"(?::\d{1,9}(?::\d{1,9})?|@\[native code\])$")
_BUN_UNKNOWN = re.compile(r"at unknown(?::\d{1,9}:\d{1,9})?$")

TRAP_MESSAGES = (
    "Out of bounds", "call_indirect to", "call_ref to", "Unreachable code should not be executed",
    "Division by zero", "Integer overflow", "Stack overflow", "Unaligned memory access",
    "Unsupported use of struct or array type", "Failed to allocate new", "throw_ref on a null",
    "i31.get", "array.", "access to a null", "Funcref must be", "Maximum call stack size exceeded",
)  # fmt: skip
"""Prefixes of JSC's wasm trap messages (Source/JavaScriptCore/wasm/WasmExceptionType.h)."""


def _bracket_frame(body: str) -> tuple[str | None, Location] | None:
    """`[module.]wasm-function[index or name]@[wasm code]`, the pre-2025 shape."""
    if not body.endswith("]" + _WASM_CODE):
        return None
    start = body.find(_FUNC)
    if start < 0 or (start > 0 and body[start - 1] != "."):
        return None
    inner = body[start + len(_FUNC) : -len(_WASM_CODE) - 1]
    if not inner:
        return None
    module = module_name(body[: start - 1]) if start else None
    index = number(inner, 10) if inner.isdigit() else None
    if inner.isdigit() and index is None:
        return None
    return (None if index is not None else inner), Location(module, index, None, UNKNOWN, None)


_IN_WASM_CODE = " in [wasm code]"
_IN = " in "


def _line_column(text: str) -> bool:
    """`LINE:COL` as a reporter prints it, `undefined` standing for a number JSC did not give."""
    parts = text.split(":")
    return len(parts) == 2 and all(p == "undefined" or (p.isdigit() and len(p) <= 9) for p in parts)


def _reporter_frame(body: str) -> tuple[str | None, Location] | None:
    """`[module].wasm-function[index or name] in [wasm code][ LINE:COL]`, a reporter's re-rendering."""
    if body.startswith("at "):
        body = body[3:].lstrip()
    at = body.rfind(_IN_WASM_CODE)
    if at <= 0:
        return None
    tail = body[at + len(_IN_WASM_CODE) :]
    if tail and not (tail.startswith(" ") and _line_column(tail[1:])):
        return None
    return _bracket_frame(body[:at] + _WASM_CODE)


def _reporter_host(body: str) -> bool:
    """`name in file LINE:COL`: a JavaScript frame (or a wasm-stub) as a reporter re-renders it."""
    cut = body.rfind(" ")
    sep = body.rfind(_IN, 0, max(cut, 0))
    if cut < 0 or sep <= 0 or not _line_column(body[cut + 1 :]):
        return False
    where = body[sep + len(_IN) : cut]
    return bool(where) and not any(ch.isspace() for ch in where)


def _at_frame(body: str) -> tuple[str | None, Location] | None:
    """`name@[module:]wasm-function[N]` (2025 on), `:0xOFF` only under the debugger."""
    func_at = body.rfind(_FUNC)
    if func_at <= 0:
        return None
    head = body[:func_at]
    location = wasm_function_location(body[func_at:])
    if location is None or location.offset_kind not in (UNKNOWN, MODULE):
        return None
    if head.endswith("@"):
        name, module = head[:-1], None
    elif head.endswith(":"):
        sep = head.rfind("@", 0, len(head) - 1)
        if sep < 0:
            return None
        name, module = head[:sep], module_name(head[sep + 1 : -1])
        # With both a module and an offset it is SpiderMonkey's `name@url:wasm-function[N]:0xOFF`.
        if location.offset is not None:
            return None
    else:
        return None
    name = name.strip()
    # Unnamed functions print their index as the name: a placeholder, not a name.
    placeholder = not name or name == str(location.func_index)
    return (None if placeholder else name), replace(location, module=module)


def classify(line: Line) -> Classified:
    """What `line` is in a JSC (or Bun) stack."""
    body = strip_prefix(line.text).rstrip()
    if not body:
        return Classified(OTHER)
    if body.startswith("wasm-stub"):
        return Classified(HOST)
    found = _bracket_frame(body) or _at_frame(body) or _reporter_frame(body)
    if found is not None:
        return Classified(WASM, frame(line, RUNTIME, found[0], found[1]))
    if _BUN_UNKNOWN.fullmatch(body):
        return Classified(OPAQUE)
    if body.startswith("at ") or ("@" in body and _JS_FRAME_END.search(body)) or _reporter_host(body):
        return Classified(HOST)
    reason = error_reason(body)
    if reason is not None:
        return Classified(MESSAGE, reason=reason, text=body)
    return Classified(OTHER)


def _finish(trace: Trace, header: str, opaque: int) -> Trace | None:
    if trace.frames:
        return trace
    reason = trace.trap_reason or ""
    if opaque and reason.startswith(TRAP_MESSAGES):
        note = f"Bun printed {opaque} frame(s) as `at unknown`: JSC gives it no wasm frame information."
        return replace(trace, notes=(*trace.notes, note))
    return None


def parse(lines: Sequence[Line]) -> list[Trace]:
    """Every JSC stack with a wasm frame (or a Bun wasm trap), in input order."""
    return collect(lines, RUNTIME, classify, _finish)

"""How the paragraph names functions, places and guest output: demangled, trimmed, quoted, printable."""

from __future__ import annotations

from collections.abc import Sequence

from wasmdbg.symbols.demangle import demangle, without_rust_hash
from wasmdbg.symbols.frames import SourceFrame
from wasmdbg.symbols.runtime import is_runtime_frame, user_frame
from wasmdbg.symbols.stack import StackFrame
from wasmdbg.text import printable
from wasmdbg.wasm.module import WasmModule

MAX_QUOTE = 300
"""Characters of a quoted stderr line or panic message kept; the rest is elided."""



def function_name(frame: SourceFrame) -> str:
    """A function name as the paragraph shows it: demangled, without a Rust hash, printable."""
    name = frame.function or "<unnamed function>"
    return printable(without_rust_hash(name))


def _file(path: str) -> str:
    # DWARF joins comp_dir "." with the name: `./../c/oob.c`; the leading `./` says nothing.
    while path.startswith("./"):
        path = path[2:]
    return printable(path)


def location(frame: SourceFrame) -> str | None:
    """`file:line` (or the file alone) of a frame, None without a file."""
    if frame.file is None:
        return None
    return f"{_file(frame.file)}:{frame.line}" if frame.line else _file(frame.file)


def where(frame: SourceFrame) -> str:
    """`name (file:line)`, or just the name without a location."""
    shown = location(frame)
    return f"{function_name(frame)} ({shown})" if shown else function_name(frame)


def where_physical(frame: StackFrame) -> str:
    """Where a physical frame was: its innermost source frame, and what that was inlined into."""
    inner = frame.sources[0]
    text = where(inner)
    if inner.inlined and len(frame.sources) > 1:
        text += f", inlined into {function_name(frame.function)}"
    return text


def innermost(stack: Sequence[StackFrame]) -> str:
    """` in <innermost frame>`, and `, called from <user frame>` when the innermost code is a runtime's; "" without frames.

    Failures that surface in wasi-libc, libc++ or Rust's standard library (a `memcpy` through a
    wild pointer) name the user's frame as well: the one the front ends mark as "your code".
    """
    if not stack:
        return ""
    text = f" in {where_physical(stack[0])}"
    user = user_frame(stack)
    if is_runtime_frame(stack[0].sources[0]) and user is not None and (user.frame_index, user.source_index) != (0, 0):
        text += f", called from {where(user.frame)}"
    return text


def quote(text: object, limit: int = MAX_QUOTE) -> str:
    """Guest text in double quotes: stripped, cut at `limit` characters, printable."""
    shown = str(text or "").strip()
    if len(shown) > limit:
        shown = shown[:limit] + "…"
    return f'"{printable(shown)}"'


def last_line(stderr: str) -> str | None:
    """The last non-blank line of the guest's stderr, None if it wrote none."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else None


def function_label(module: WasmModule, func_index: int) -> str:
    """A function of the module by its name-section or export name, else `function N`."""
    names = module.names.functions if module.names else {}
    name = names.get(func_index) or module.export_names.get(("func", func_index))
    return printable(without_rust_hash(demangle(name))) if name else f"function {func_index}"

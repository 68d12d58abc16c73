"""Symbolized addresses as plain lines, without Rich: the symbolize filter's hot path.

Rendering 5,000 addresses through Rich took longer than symbolizing them. Off a terminal and
without colour, Rich's rendering of `SymbolizedView` is exactly these lines (nothing wraps
there, trailing spaces are trimmed), so the CLI writes them directly; a test holds the two
equal. On a terminal, or with colour forced, `render.symbols.SymbolizedView` is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from wasmdbg.findings import Finding
from wasmdbg.symbols.frames import DWARF, SourceFrame, SymbolizedAddress
from wasmdbg.text import printable


def location(frame: SourceFrame) -> str | None:
    """`file:line:column` with the parts DWARF gave, or None without a file."""
    if frame.file is None:
        return None
    text = frame.file
    if frame.line is not None:
        text += f":{frame.line}"
        if frame.column is not None:
            text += f":{frame.column}"
    return text


def llvm_lines(result: SymbolizedAddress) -> list[str]:
    """The lines llvm-symbolizer prints for one address: function, then file:line:column, per frame."""
    if not result.frames:
        return ["??", "??:0:0"]
    lines = []
    for frame in result.frames:
        lines.append(printable(frame.function) if frame.function else "??")
        file = printable(frame.file) if frame.file else "??"
        lines.append(f"{file}:{frame.line or 0}:{frame.column or 0}")
    return lines


def styled_output(environ: Mapping[str, str]) -> bool:
    """Whether Rich would style output that is not a terminal (TTY_COMPATIBLE=1, or FORCE_COLOR set)."""
    compatible = environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    return environ.get("FORCE_COLOR", "") != ""


def plain_lines(address: str, result: SymbolizedAddress, describe: Callable[[Finding], str] = str) -> list[str]:
    """What `SymbolizedView` shows, unstyled: the address line, each frame, each warning."""
    header = printable(address)
    if result.code_offset is not None and result.code_offset >= 0:
        header += f"  (code offset 0x{result.code_offset:x})"
    if result.func_index is not None:
        header += f"  in function {result.func_index}"
    lines = [header]
    if not result.frames:
        lines.append("  no function contains this address")
    for frame in result.frames:
        line = "  " + printable(frame.function or "<unnamed>")
        where = location(frame)
        if where:
            line += "  " + printable(where)
        if frame.inlined:
            line += "  (inlined)"
        if frame.source != DWARF:
            line += f"  [{frame.source}]"
        lines.append(line)
    for warning in result.warnings:
        lines.append("  warning: " + printable(describe(warning)))
    return [line.rstrip(" ") for line in lines]

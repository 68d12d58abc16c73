"""Rendering symbolized addresses as Rich text for people (plain lines and llvm-symbolizer's are in `symbols_text`)."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from wasmdbg.findings import Finding
from wasmdbg.symbols.frames import DWARF, SymbolizedAddress
from wasmdbg.render.symbols_text import llvm_lines, location
from wasmdbg.text import printable

__all__ = ["SymbolizedView", "llvm_lines", "location"]


class SymbolizedView:
    """One address and its frames, innermost first, then its warnings.

    Args:
        address: the address as the user wrote it.
        result: what the symbolizer made of it.
        describe: how a warning reads (the CLI adds its hints).
    """

    def __init__(self, address: str, result: SymbolizedAddress, describe: Callable[[Finding], str] = str) -> None:
        self.address = address
        self.result = result
        self.describe = describe

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        r = self.result
        header = Text.assemble((printable(self.address), "bold"))
        if r.code_offset is not None and r.code_offset >= 0:
            header.append(f"  (code offset 0x{r.code_offset:x})", style="dim")
        if r.func_index is not None:
            header.append(f"  in function {r.func_index}", style="dim")
        yield header
        if not r.frames:
            yield Text("  no function contains this address", style="red")
        for frame in r.frames:
            line = Text("  ")
            line.append(printable(frame.function or "<unnamed>"), style="bold cyan" if frame.source == DWARF else "cyan")
            where = location(frame)
            if where:
                line.append("  " + printable(where))
            if frame.inlined:
                line.append("  (inlined)", style="magenta")
            if frame.source != DWARF:
                line.append(f"  [{frame.source}]", style="dim")
            yield line
        for warning in r.warnings:
            yield Text.assemble(("  warning: ", "yellow"), printable(self.describe(warning)))

"""Rich rendering of a run report: outcome, explanation, frames, source, memory and fuel."""

from __future__ import annotations

from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from wasmdbg.text import describe_bytes
from wasmdbg.symbols.sources import SourceRoots
from wasmdbg.text import printable

_LIBRARY_MARKERS = ("libc-bottom-half", "libc-top-half", "wasi-libc", "/usr/include/", "/rustc-", "/library/std/",
                    "/library/core/", "/library/alloc/", "/library/panic_")  # fmt: skip
_STYLE = {"exited": "bold green", "returned": "bold green", "trapped": "bold red", "timeout": "bold yellow",
          "interrupted": "bold yellow", "engine_crashed": "bold red", "error": "bold red"}  # fmt: skip


def is_library(frame: dict[str, Any]) -> bool:
    """A frame in libc, libc++ headers or the Rust standard library, shown dimmed."""
    file = frame.get("file") or ""
    return any(marker in file for marker in _LIBRARY_MARKERS) or (frame.get("source") != "dwarf" and not file)


class RunView:
    """The report printed after a run (on stderr, after the guest's own output)."""

    def __init__(self, report: dict[str, Any], roots: SourceRoots) -> None:
        self.report = report
        self.roots = roots

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        r = self.report
        headline = Text.assemble(("wasmdbg: ", "bold"), (str(r["outcome"]), _STYLE.get(str(r["outcome"]), "bold")))
        if r.get("trap"):
            headline.append(f" ({r['trap']['kind']})", style="red")
        if r["outcome"] == "exited":
            headline.append(f" with code {r['exit_code']}")
        yield Text()
        yield headline
        if r.get("explanation"):
            yield Text(printable(str(r["explanation"]), one_line=False))
        frames = r.get("frames") or []
        if frames:
            yield Text("frames (innermost first):", style="bold")
            for frame in frames:
                line = Text("  ")
                name = printable(str(frame.get("function") or "<unnamed>"))
                line.append(name, style="dim" if is_library(frame) else "bold cyan")
                if frame.get("file"):
                    where = str(frame["file"]) + (f":{frame['line']}" if frame.get("line") else "")
                    line.append("  " + printable(where), style="dim" if is_library(frame) else "")
                if frame.get("inlined"):
                    line.append("  (inlined)", style="magenta")
                yield line
            if r.get("frames_truncated"):
                yield Text("  … wasmtime keeps at most 20 frames; the outermost are missing", style="yellow")
            user = next((f for f in frames if f.get("file") and f.get("line") and not is_library(f)), None)
            if user is not None:
                excerpt = self.roots.excerpt(str(user["file"]), int(user["line"]))
                if not excerpt:
                    yield Text(
                        f"source not shown: {printable(str(user['file']))} is not a readable file under the source "
                        "roots (add --source-root DIR, or --substitute-path FROM=TO)",
                        style="dim",
                    )
                else:
                    yield Text(f"{printable(str(user['file']))}:", style="bold")
                    for number, text in excerpt:
                        marker = "→" if number == user["line"] else " "
                        yield Text(f" {marker} {number:5d}  {printable(text)}", style="bold" if marker == "→" else "")
        memory = r["memory"]
        if memory.get("peak_pages") is not None:
            peak = describe_bytes(int(memory["peak_pages"]) * 65536)
            cap = describe_bytes(memory["limit_bytes"]) if memory.get("limit_bytes") else "no cap"
            yield Text(f"memory: peak {peak} of {cap}" + ("  (cap hit)" if "memory" in r["limits_hit"] else ""))
        if r.get("fuel_consumed") is not None:
            yield Text(f"fuel: {r['fuel_consumed']:,} consumed in {r.get('duration_s') or 0:.2f} s")
        limits = ", ".join(f"{k}={v}" for k, v in r["limits"].items() if v is not None)
        yield Text(f"limits: {limits or 'none'}", style="dim")
        for note in r.get("notes") or []:
            yield Text(f"note: {printable(str(note))}", style="yellow")

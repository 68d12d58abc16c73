"""Rich rendering of `wasmdbg info`: a module's layout, interface and debug information."""

from __future__ import annotations

from collections.abc import Callable

from collections.abc import Iterable

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.table import Table
from rich.text import Text

from wasmdbg.inspection.module_info import (
    INDICES,
    NAMES,
    SOURCE,
    ModuleInfo,
    describe_import_type,
    describe_limits,
    memory_bytes,
)
from wasmdbg.findings import Finding
from wasmdbg.text import describe_bytes, printable

MAX_ROWS = 40
"""Imports and exports beyond this many are summarized; `--format json` lists them all."""

_VERDICT_STYLE = {SOURCE: "bold green", NAMES: "bold yellow", INDICES: "bold red"}


def plain(value: object, style: str = "") -> Text:
    """Untrusted text as a Rich Text: never parsed as markup, control characters escaped."""
    return Text(printable(str(value)), style=style)


def _hex(value: int) -> Text:
    return Text(f"0x{value:x}", style="cyan")


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", box=None, pad_edge=False)
    for column in columns:
        table.add_column(column, no_wrap=column in ("offset", "size", "index"))
    return table


def _capped(rows: Iterable[tuple[Text, ...]], table: Table, total: int) -> Table:
    for n, row in enumerate(rows):
        if n == MAX_ROWS:
            table.add_row(Text(f"… and {total - MAX_ROWS} more (see --format json)", style="dim"))
            break
        table.add_row(*row)
    return table


class ModuleView:
    """Renders a ModuleInfo for people; scripts use `ModuleInfo.to_json`."""

    def __init__(self, info: ModuleInfo, describe: Callable[[Finding], str] = str) -> None:
        self.info = info
        self.describe = describe
        """How a finding is worded (the CLI adds the flag that helps)."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        info, m = self.info, self.info.module
        yield Text.assemble(("module ", "bold"), plain(info.path, "bold"))
        overview = Table.grid(padding=(0, 2))
        overview.add_column(style="dim")
        overview.add_column()
        if info.text_format:
            overview.add_row(
                "format", Text("text, assembled by wasmtime (size, sha256 and offsets are the binary's)")
            )
        overview.add_row("size", Text(f"{info.size:,} bytes"))
        overview.add_row("sha256", Text(info.sha256))
        overview.add_row(
            "functions", Text(f"{m.imported_function_count} imported, {len(m.bodies)} defined")
        )
        code = m.code_section
        if code is not None:
            overview.add_row(
                "code section",
                Text.assemble(_hex(code.offset), f" ({code.size:,} bytes; DWARF addresses count from here)"),
            )
        if m.start is not None:
            overview.add_row("start function", Text(str(m.start)))
        overview.add_row("symbolization", plain(info.verdict, _VERDICT_STYLE[info.symbolization]))
        if info.debug_file is not None:
            overview.add_row("DWARF from", plain(info.debug_file))
        if info.refusal is not None:
            overview.add_row("validation", plain(f"wasmtime refuses this module: {info.refusal}", "bold red"))
        elif not info.checked:
            overview.add_row("validation", Text("not checked (--no-validate)", style="dim"))
        yield overview
        yield Text()

        sections = _table("Sections", "id", "name", "offset", "size")
        for s in m.sections:
            sections.add_row(Text(str(s.id)), plain(s.name), _hex(s.offset), Text(f"{s.size:,}"))
        yield sections
        yield Text()

        if m.memories:
            memories = _table("Memories", "index", "limits (pages)", "bytes", "")
            for mem in m.memories:
                low, high = memory_bytes(mem.limits)
                span = describe_bytes(low) + (" – " + describe_bytes(high) if high is not None else " – no maximum")
                memories.add_row(
                    Text(str(mem.index)),
                    Text(describe_limits(mem.limits)),
                    Text(span, style="dim"),
                    Text("imported" if mem.imported else ""),
                )
            yield memories
            yield Text()

        if m.imports:
            imports = _table("Imports", "module.field", "type")
            rows = ((plain(f"{i.module}.{i.field}"), plain(describe_import_type(m, i))) for i in m.imports)
            yield _capped(rows, imports, len(m.imports))
            yield Text()

        if m.exports:
            exports = _table("Exports", "name", "kind", "index")
            rows2 = ((plain(e.name), Text(e.kind), Text(str(e.index))) for e in m.exports)
            yield _capped(rows2, exports, len(m.exports))
            yield Text()

        yield Group(*self._debug())

    def _debug(self) -> Iterable[Text | Table]:
        m = self.info.module
        debug = Table.grid(padding=(0, 2))
        debug.add_column(style="dim")
        debug.add_column()
        dwarf = m.dwarf
        debug.add_row(
            "DWARF",
            plain(", ".join(dwarf.sections)) if dwarf.sections else Text("none", style="dim"),
        )
        if dwarf.versions:
            debug.add_row("DWARF version", Text("/".join(map(str, dwarf.versions)) + f" ({dwarf.unit_count} units)"))
        debug.add_row(
            "name section",
            Text(f"yes, {self.info.named_functions} functions named") if m.names else Text("none", style="dim"),
        )
        for label, value in (
            ("build id", m.build_id),
            ("external debug info", m.external_debug_info),
            ("source map", m.source_mapping_url),
        ):
            if value is not None:
                debug.add_row(label, plain(value))
        for field, values in m.producers or ():
            debug.add_row(plain(field), plain(", ".join(f"{n} {v}".strip() for n, v in values)))
        if self.info.debug_file is not None:
            found = self.info.debug.module.dwarf
            debug.add_row("debug file", plain(self.info.debug_file))
            if found.sections:
                versions = "/".join(map(str, found.versions))
                units = f" (version {versions}, {found.unit_count} units)" if found.versions else ""
                debug.add_row("its DWARF", plain(", ".join(found.sections) + units))
        for finding in self.info.debug.findings:
            debug.add_row("note", plain(self.describe(finding)))
        yield Text("Debug information", style="bold")
        yield debug
        for warning in m.warnings:
            yield Text.assemble(("warning: ", "yellow"), plain(warning))

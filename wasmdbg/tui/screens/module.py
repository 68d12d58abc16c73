"""The module screen: what `wasmdbg info` reports, in tabs to browse (overview, sections, interface, functions, memory).

Everything shown comes from one `ModuleInfo` (`Session.info()`); nothing is read or judged here.
Names, paths and section names come from the module and are untrusted: they reach widgets only
as `rich.text.Text` built from `printable` strings (`render.module.plain`) or as cells of a
`RowTable`, which escapes them, never as a `str` a widget would parse as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Static, TabbedContent, TabPane

from wasmdbg.facts import page_bytes
from wasmdbg.findings import Finding
from wasmdbg.inspection.module_info import (
    INDICES,
    NAMES,
    SOURCE,
    ModuleInfo,
    describe_import_type,
    describe_limits,
    memory_bytes,
)
from wasmdbg.render.module import plain
from wasmdbg.text import describe_bytes
from wasmdbg.tui.widgets.footer import Footer
from wasmdbg.tui.widgets.function_browser import FunctionBrowser
from wasmdbg.tui.widgets.row_table import Column, RowTable
from wasmdbg.wasm.entities import GLOBAL, TABLE
from wasmdbg.wasm.instructions import Instruction
from wasmdbg.wasm.types import GlobalType

DEFAULT_DEBUG_HINT = "rebuild the module with debug information (-g), or put its debug file beside it"
"""What to do without DWARF, worded without any front end's flags."""

TABS = {"overview": "Overview", "sections": "Sections", "interface": "Imports/Exports", "functions": "Functions",
        "memory": "Memory & data"}
"""Tab id -> label; the keys 1 to 5 show them in this order."""

_LEVEL_STYLE = {SOURCE: "bold green", NAMES: "bold yellow", INDICES: "bold red"}


def debug_status(info: ModuleInfo) -> str:
    """Where the module's debug information is: DWARF here, in a debug file, names only, or nothing."""
    complete = info.symbolization == SOURCE
    if info.debug_file is not None:
        where = "DWARF in a separate debug file" if complete else "incomplete DWARF in a separate debug file"
        return f"{where}: {info.debug_file}"
    if info.module.dwarf.sections:
        return "DWARF in the module" if complete else "incomplete DWARF in the module (no .debug_info or .debug_line)"
    if info.symbolization == NAMES:
        return f"names only: no DWARF; {info.named_functions} of {info.module.function_count} functions are named"
    return "nothing: no DWARF and no function names"


LABEL_WIDTH = len("external debug info")
"""The overview's label column, the same in both panels so that their values line up."""


def _grid() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True, min_width=LABEL_WIDTH)
    grid.add_column()
    return grid


def identity(info: ModuleInfo) -> Table:
    """The overview's first panel: which file, what is in it, and wasmtime's verdict (every cell a `Text`)."""
    m = info.module
    grid = _grid()
    grid.add_row(Text("path"), plain(info.path, "bold"))
    grid.add_row(Text("format"), Text("text format, assembled by wasmtime (size, sha256 and offsets are the binary's)")
                 if info.text_format else Text("binary"))
    grid.add_row(Text("size"), Text(f"{info.size:,} bytes ({describe_bytes(info.size)})"))
    grid.add_row(Text("sha256"), Text(info.sha256))
    grid.add_row(Text("functions"), Text(f"{m.imported_function_count:,} imported, {len(m.bodies):,} defined"))
    if m.code_section is not None:
        code = m.code_section
        grid.add_row(Text("code section"), Text(f"0x{code.offset:x} ({code.size:,} bytes; DWARF addresses count from here)"))
    if m.start is not None:
        grid.add_row(Text("start function"), Text(str(m.start)))
    grid.add_row(Text("contents"), Text(" · ".join(_counts(info))))
    if info.refusal is not None:
        verdict = plain(f"refused: {info.refusal}", "bold red")
    elif info.checked:
        verdict = Text("validated: wasmtime accepts this module", style="green")
    else:
        verdict = Text("not checked (validation was skipped)", style="dim")
    grid.add_row(Text("wasmtime"), verdict)
    for field, values in m.producers or ():
        grid.add_row(plain(field), plain(", ".join(f"{n} {v}".strip() for n, v in values)))
    for warning in m.warnings:
        grid.add_row(Text("warning"), plain(warning, "yellow"))
    return grid


def debug_information(info: ModuleInfo, debug_hint: str | None, describe: Callable[[Finding], str] = str) -> Table:
    """The overview's second panel: how far symbolization goes, where the DWARF is, what to do without it."""
    m = info.module
    grid = _grid()
    grid.add_row(Text("symbolization"), plain(info.verdict, _LEVEL_STYLE[info.symbolization]))
    grid.add_row(Text("debug info"), plain(debug_status(info)))
    if info.symbolization != SOURCE:
        grid.add_row(Text("what to do"), plain(debug_hint or DEFAULT_DEBUG_HINT, "bold"))
    for finding in info.debug.findings:
        grid.add_row(Text("note"), plain(describe(finding), "yellow"))
    dwarf = info.debug.module.dwarf
    if dwarf.sections:
        versions = f" (version {'/'.join(map(str, dwarf.versions))}, {dwarf.unit_count} units)" if dwarf.versions else ""
        grid.add_row(Text("DWARF sections"), plain(", ".join(dwarf.sections) + versions))
    grid.add_row(Text("name section"),
                 Text(f"yes, {info.named_functions} functions named") if m.names else Text("none", style="dim"))
    for label, value in (("build id", m.build_id), ("external debug info", m.external_debug_info),
                         ("source map", m.source_mapping_url)):
        if value is not None:
            grid.add_row(Text(label), plain(value))
    return grid


def _counts(info: ModuleInfo) -> Iterator[str]:
    m = info.module
    for count, one, many in (
        (len(m.sections), "section", "sections"), (len(m.imports), "import", "imports"),
        (len(m.exports), "export", "exports"), (len(m.memories), "memory", "memories"),
        (len(m.data_segments), "data segment", "data segments"),
        (sum(1 for i in m.imports if i.kind == GLOBAL) + len(m.globals), "global", "globals"),
        (sum(1 for i in m.imports if i.kind == TABLE) + len(m.tables), "table", "tables"),
    ):
        yield f"{count:,} {one if count == 1 else many}"


def _expression(expr: tuple[Instruction, ...]) -> str:
    """A constant expression in text format, without its final `end`: `i32.const 66560`."""
    shown = expr[:-1] if expr and expr[-1].mnemonic == "end" else expr
    return " ".join(" ".join((i.mnemonic, *map(str, i.immediates))) for i in shown)


def _pane(tab: str) -> TabPane:
    return TabPane(f"{list(TABS).index(tab) + 1} {TABS[tab]}", id=tab)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


class ModuleScreen(Screen[None]):
    """The module behind the session, as `wasmdbg info` describes it; escape goes back."""

    DEFAULT_CSS = """
    ModuleScreen #module-tabs { height: 1fr; }
    /* Panes fill the tab's area, so that the tables' percentages below are of that area. */
    ModuleScreen #module-tabs > ContentSwitcher { height: 1fr; }
    ModuleScreen TabPane { padding: 0; height: 1fr; }
    ModuleScreen #overview-module, ModuleScreen #overview-debug { border: round $primary; padding: 0 1; }
    ModuleScreen RowTable { border: round $primary; }
    ModuleScreen RowTable:focus { border: round $accent; }
    /* Small tables take the rows they have; long ones scroll within their share of the tab. */
    ModuleScreen #import-list { height: auto; max-height: 60%; }
    ModuleScreen #export-list { height: auto; max-height: 40%; }
    ModuleScreen #memory-list { height: auto; max-height: 20%; }
    ModuleScreen #data-list { height: auto; max-height: 40%; }
    ModuleScreen #global-list { height: auto; max-height: 40%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="module-close"),
        Binding("slash", "filter", "Filter functions", key_display="/", id="module-filter"),
        *(
            Binding(str(n), f"tab('{tab}')", f"{label} tab", show=False)
            for n, (tab, label) in enumerate(TABS.items(), start=1)
        ),
    ]

    def __init__(
        self, info: ModuleInfo, *, debug_hint: str | None = None, describe: Callable[[Finding], str] = str
    ) -> None:
        """Show `info`.

        Args:
            info: what `Session.info()` found.
            debug_hint: the front end's advice when DWARF is missing ("rebuild with -g, or pass
                --debug-file FILE"); `DEFAULT_DEBUG_HINT`, which names no flag, when None.
            describe: how a debug finding is worded (the CLI adds its flags), as for `ModuleView`.
        """
        super().__init__()
        self.info = info
        self.debug_hint = debug_hint
        self.describe = describe

    def compose(self) -> ComposeResult:
        with TabbedContent(id="module-tabs", initial="overview"):
            with _pane("overview"), VerticalScroll(id="module-overview"):
                yield Static(identity(self.info), id="overview-module")
                yield Static(debug_information(self.info, self.debug_hint, self.describe), id="overview-debug")
            with _pane("sections"):
                yield RowTable(
                    (Column("id", right=True), Column("name", text=True), Column("offset", right=True, style="cyan"),
                     Column("size", right=True), Column("end", right=True, style="cyan")),
                    empty="no sections", id="section-list",
                )
            with _pane("interface"):
                yield RowTable(
                    (Column("kind"), Column("index", right=True), Column("module", text=True),
                     Column("field", text=True), Column("type", text=True)),
                    empty="no imports", id="import-list",
                )
                yield RowTable(
                    (Column("name", text=True), Column("kind"), Column("index", right=True)),
                    empty="no exports", id="export-list",
                )
            with _pane("functions"):
                yield FunctionBrowser(self.info, id="function-browser")
            with _pane("memory"):
                yield RowTable(
                    (Column("index", right=True), Column("limits (pages)"), Column("page size", right=True),
                     Column("bytes"), Column("shared"), Column("64-bit"), Column("imported")),
                    empty="no memories", id="memory-list",
                )
                yield RowTable(
                    (Column("index", right=True), Column("name", text=True), Column("mode"),
                     Column("memory", right=True), Column("offset", right=True, style="cyan"),
                     Column("size", right=True), Column("bytes at", right=True, style="cyan")),
                    empty="no data segments", id="data-list",
                )
                yield RowTable(
                    (Column("index", right=True), Column("name", text=True), Column("type"),
                     Column("initial value", text=True)),
                    empty="no globals", id="global-list",
                )
        yield Footer()

    def on_mount(self) -> None:
        m = self.info.module
        self.query_one("#overview-module").border_title = Text.assemble("module  ", plain(Path(self.info.path).name))
        self.query_one("#overview-debug").border_title = "debug information"
        for table_id, title, rows in (
            ("#section-list", "sections", list(self._sections())),
            ("#import-list", "imports", list(self._imports())),
            ("#export-list", "exports", [(e.name, e.kind, str(e.index)) for e in m.exports]),
            ("#memory-list", "memories", list(self._memories())),
            ("#data-list", "data segments", list(self._data_segments())),
            ("#global-list", "globals", list(self._globals())),
        ):
            table = self.query_one(table_id, RowTable)
            table.border_title = f"{title}  {len(rows):,}"
            table.show(rows)

    # -- the tables' rows (strings: the table escapes them) -------------------------------

    def _sections(self) -> Iterator[tuple[str, ...]]:
        for s in self.info.module.sections:
            yield str(s.id), s.name, f"0x{s.offset:x}", f"{s.size:,}", f"0x{s.end:x}"

    def _imports(self) -> Iterator[tuple[str, ...]]:
        m = self.info.module
        counts: dict[str, int] = {}
        for i in m.imports:
            index = counts[i.kind] = counts.get(i.kind, -1) + 1
            yield i.kind, str(index), i.module, i.field, describe_import_type(m, i)

    def _memories(self) -> Iterator[tuple[str, ...]]:
        for mem in self.info.module.memories:
            low, high = memory_bytes(mem.limits)
            span = describe_bytes(low) + (" – " + describe_bytes(high) if high is not None else " – no maximum")
            yield (str(mem.index), describe_limits(mem.limits), describe_bytes(page_bytes(mem.limits.page_size_log2)), span,
                   _yes(mem.limits.shared), _yes(mem.limits.is64), _yes(mem.imported))

    def _data_segments(self) -> Iterator[tuple[str, ...]]:
        m = self.info.module
        names = m.names.data_segments if m.names else {}
        for n, d in enumerate(m.data_segments):
            if d.mode != "active":
                offset = ""
            else:
                offset = f"0x{d.offset:x}" if d.offset is not None else "not constant"
            memory = "" if d.memory_index is None else str(d.memory_index)
            yield str(n), names.get(n, ""), d.mode, memory, offset, f"{d.size:,}", f"0x{d.data_offset:x}"

    def _globals(self) -> Iterator[tuple[str, ...]]:
        m = self.info.module
        names = m.names.globals if m.names else {}
        imported = [i for i in m.imports if i.kind == GLOBAL]
        for n, i in enumerate(imported):
            t = i.type
            spelled = f"{'mut ' if t.mutable else ''}{t.val_type}" if isinstance(t, GlobalType) else str(t)
            yield str(n), names.get(n, ""), spelled, f"imported from {i.module}.{i.field}"
        for n, g in enumerate(m.globals, start=len(imported)):
            spelled = f"{'mut ' if g.type.mutable else ''}{g.type.val_type}"
            yield str(n), names.get(n, ""), spelled, _expression(g.init)

    # -- actions --------------------------------------------------------------------------

    def action_close(self) -> None:
        """Back to the screen under this one."""
        self.dismiss()

    def action_tab(self, tab: str) -> None:
        """Show one tab (`TABS`)."""
        self.query_one(TabbedContent).active = tab

    def action_filter(self) -> None:
        """Show the functions and put the cursor in their filter."""
        self.action_tab("functions")
        self.query_one("#function-filter", Input).focus()

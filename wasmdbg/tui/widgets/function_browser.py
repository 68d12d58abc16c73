"""The module screen's functions tab: every function of the index space, filtered as you type.

Demangling is pure Python (~40 µs a name), so a module of 50,000 functions is listed by a thread
worker, not on the UI thread; the table then holds plain strings, and a filter keystroke only
computes which row indices match (a substring test per row) and hands that list to the table.
No widget is built or rebuilt per keystroke.

`function_entries` names functions the way the symbolizer does (`Symbolizer._name_frame`): the
module's name section, then its debug file's, then an export, then the import's `module.field`.
It imports no Textual and belongs in `inspection/` once the core grows a listing of its own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from wasmdbg.inspection.module_info import ModuleInfo
from wasmdbg.render.module import plain
from wasmdbg.symbols.demangle import demangle
from wasmdbg.tui.widgets.paste_area import SafeInput
from wasmdbg.tui.widgets.row_table import Column, RowTable
from wasmdbg.wasm.code import FunctionBody
from wasmdbg.wasm.entities import FUNC

NAME_SECTION = "the name section"
DEBUG_FILE_NAMES = "the debug file's name section"
EXPORT = "an export"
IMPORT = "the import"

COLUMNS = (
    Column("index", right=True),
    Column("name", text=True),
    Column("body size", right=True),
    Column("body offset", right=True, style="cyan"),
    Column("role"),
)


@dataclass(frozen=True, slots=True)
class FunctionEntry:
    """One function of the index space, named as the symbolizer names it."""

    index: int
    name: str | None
    """Demangled; None when nothing names the function. Untrusted: escape it to show it."""
    raw: str | None
    """The linkage name as the module spells it, when demangling changed it."""
    named_by: str | None
    """Where the name comes from (`NAME_SECTION`, `EXPORT`, ...)."""
    imported: tuple[str, str] | None
    """(module, field) of an imported function."""
    exports: tuple[str, ...]
    body: FunctionBody | None

    @property
    def body_size(self) -> int | None:
        """Bytes of the body after its size field (locals and code), as `wasm-objdump` counts them."""
        return None if self.body is None else self.body.end - self.body.locals_offset

    def cells(self, start: int | None) -> tuple[str, str, str, str, str]:
        """The row the table shows (unescaped: the table escapes)."""
        body = self.body
        role = "import" if self.imported else "start" if self.index == start else "export" if self.exports else ""
        return (
            str(self.index),
            self.name if self.name is not None else f"<wasm function {self.index}>",
            "" if self.body_size is None else f"{self.body_size:,}",
            "" if body is None else f"0x{body.locals_offset:x}",
            role,
        )


def function_entries(info: ModuleInfo, cancel: threading.Event | None = None) -> tuple[FunctionEntry, ...] | None:
    """Every function, in index order (entry i is function i); None if `cancel` was set meanwhile."""
    m = info.module
    own = m.names.functions if m.names else {}
    debug = info.debug.module
    theirs = debug.names.functions if debug is not m and debug.names else {}
    exports: dict[int, list[str]] = {}
    for e in m.exports:
        if e.kind == FUNC:
            exports.setdefault(e.index, []).append(e.name)
    imports = [(i.module, i.field) for i in m.imports if i.kind == FUNC]
    entries = []
    for index in range(m.function_count):
        if cancel is not None and index % 1024 == 0 and cancel.is_set():
            return None
        imported = imports[index] if index < len(imports) else None
        named = tuple(exports.get(index, ()))
        if index in own:
            raw, by = own[index], NAME_SECTION
        elif index in theirs:
            raw, by = theirs[index], DEBUG_FILE_NAMES
        elif named:
            raw, by = named[0], EXPORT
        elif imported:
            raw, by = f"{imported[0]}.{imported[1]}", IMPORT
        else:
            raw, by = None, None
        shown = demangle(raw) if raw is not None else None
        entries.append(FunctionEntry(index, shown, raw if raw != shown else None, by, imported, named, m.body(index)))
    return tuple(entries)


@dataclass(frozen=True, slots=True)
class FunctionListing:
    """The functions, their table rows and their search strings: everything built off the UI thread."""

    entries: tuple[FunctionEntry, ...]
    rows: tuple[tuple[str, ...], ...]
    haystacks: tuple[str, ...]
    """Per function, every spelling of its name (demangled, raw, exports, import), case-folded once."""


def list_functions(info: ModuleInfo, cancel: threading.Event | None = None) -> FunctionListing | None:
    """`function_entries` with the table's rows and the filter's search strings; None if cancelled."""
    entries = function_entries(info, cancel)
    if entries is None:
        return None
    start = info.module.start
    haystacks = tuple(
        "\n".join(
            s for s in (e.name, e.raw, *e.exports, ".".join(e.imported) if e.imported else None) if s is not None
        ).casefold()
        for e in entries
    )
    return FunctionListing(entries, tuple(e.cells(start) for e in entries), haystacks)


def parse_number(text: str) -> int | None:
    """`42` -> 42, `0x1f0` -> 0x1f0; None for anything else."""
    try:
        if text[:2].lower() == "0x":
            return int(text, 16)
        return int(text, 10) if text.isdigit() else None
    except ValueError:
        return None


class FunctionBrowser(Vertical):
    """A filter box over the functions table, and the highlighted function in full below it."""

    DEFAULT_CSS = """
    FunctionBrowser { height: 1fr; }
    FunctionBrowser > #function-filter { margin: 0 0; }
    FunctionBrowser > #function-list { height: 1fr; border: round $primary; }
    FunctionBrowser > #function-list:focus { border: round $accent; }
    /* Five lines fit every field; a very long linkage name wraps and grows the pane a little. */
    FunctionBrowser > #function-detail { height: auto; min-height: 7; max-height: 12; border: round $primary; padding: 0 1; }
    """

    @dataclass
    class Listed(Message):
        """The worker has named every function."""

        listing: FunctionListing

    def __init__(self, info: ModuleInfo, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.info = info
        self.entries: tuple[FunctionEntry, ...] = ()
        self._haystacks: tuple[str, ...] = ()
        self._query = ""
        self.listed = False
        """Whether the worker has listed the functions (until then the table says it is listing them)."""

    def compose(self) -> ComposeResult:
        yield SafeInput(
            placeholder="filter: a name (demangled or raw), an index, or a 0x module offset", id="function-filter"
        )
        yield RowTable(COLUMNS, empty=f"listing {self.info.module.function_count:,} functions…", id="function-list")
        yield Static(Text(""), id="function-detail")

    def on_mount(self) -> None:
        self.table.border_title = "functions"
        self.query_one("#function-detail", Static).border_title = "function"
        self._list_functions()

    @property
    def table(self) -> RowTable:
        """The table of functions."""
        return self.query_one("#function-list", RowTable)

    @work(thread=True, exclusive=True, exit_on_error=False, group="module-functions")
    def _list_functions(self) -> None:
        listing = list_functions(self.info, get_current_worker().cancelled_event)
        if listing is not None:
            self.post_message(self.Listed(listing))

    @on(Listed)
    def _listed(self, message: Listed) -> None:
        message.stop()
        self.entries = message.listing.entries
        self._haystacks = message.listing.haystacks
        self.table.empty = "no function matches the filter" if self.entries else "this module has no functions"
        self.table.show(message.listing.rows, dim=[e.index for e in self.entries if e.imported])
        self.listed = True
        self.filter(self._query)

    @on(Input.Changed, "#function-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter(event.value)

    @on(Input.Submitted, "#function-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    def filter(self, query: str) -> None:
        """List the functions whose name contains `query` (any case), whose index it is, or whose body holds it (0x…).

        Args:
            query: a substring of any spelling of a name (demangled, linkage, export, import
                `module.field`), a decimal function index, or a hex module offset; "" lists all.
        """
        self._query = query
        if not self.entries:
            return
        query = query.strip()
        if not query:
            self.table.show_only(None)
        else:
            needle = query.casefold()
            hits = [i for i, haystack in enumerate(self._haystacks) if needle in haystack]
            number = parse_number(query)
            extra = set()
            if number is not None and query.isdigit() and number < len(self.entries):
                extra.add(number)
            if number is not None and not query.isdigit():
                body = self.info.module.function_at(number)
                if body is not None:
                    extra.add(body.func_index)
            self.table.show_only(sorted(extra.union(hits)) if extra else hits)
        self._count()

    def _count(self) -> None:
        shown, total = self.table.shown_count, len(self.entries)
        self.table.border_title = f"functions  {total:,}" if shown == total else f"functions  {shown:,} of {total:,}"

    @on(RowTable.Highlighted, "#function-list")
    def _highlighted(self, message: RowTable.Highlighted) -> None:
        message.stop()
        detail = self.query_one("#function-detail", Static)
        entry = self.entries[message.row] if message.row is not None and message.row < len(self.entries) else None
        detail.update(self.describe(entry) if entry is not None else Text(""))

    def describe(self, entry: FunctionEntry) -> Text:
        """The detail pane's text for one function: every name, its type, where its body lies."""
        m = self.info.module
        text = Text.assemble((f"function {entry.index}  ", "bold"), plain(entry.name or "(unnamed)", "bold"))
        if entry.named_by:
            text.append(f"  named by {entry.named_by}", style="dim")
        if entry.raw is not None:
            text.append("\nlinkage name  ", style="dim")
            text.append_text(plain(entry.raw))
        func_type = m.function_type(entry.index)
        text.append("\ntype  ", style="dim")
        text.append_text(plain(func_type.signature() if func_type is not None and func_type.kind == "func" else "unknown"))
        body = entry.body
        if body is not None:
            text.append("\nbody  ", style="dim")
            text.append(f"0x{body.locals_offset:x}–0x{body.end:x} ({entry.body_size:,} bytes), ")
            text.append(f"code from 0x{body.code_offset:x}, {sum(n for n, _ in body.locals):,} locals")
        if entry.imported is not None:
            text.append("\nimported from  ", style="dim")
            text.append_text(plain(".".join(entry.imported)))
        if entry.exports:
            text.append("\nexported as  ", style="dim")
            text.append_text(plain(", ".join(entry.exports)))
        return text

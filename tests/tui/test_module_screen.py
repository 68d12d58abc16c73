"""The module screen: what `wasmdbg info` reports, checked against wasm-tools, filtered, and inert to hostile names."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Static

from tests.helpers import wasm_tools, wat
from tests.tui.conftest import BUILD, rendered, wait_for
from wasmdbg.inspection.module_info import ModuleInfo
from wasmdbg.session.session import Session
from wasmdbg.tui.screens.module import DEFAULT_DEBUG_HINT, ModuleScreen
from wasmdbg.tui.widgets.function_browser import FunctionBrowser

SIZE = (160, 48)
DIVZERO = BUILD / "divzero.O0.wasm"


class ModuleHost(App[int]):
    """The least app that shows the module screen, as the debugger will push it."""

    TITLE = "wasmdbg"

    def __init__(self, info: ModuleInfo, debug_hint: str | None = None) -> None:
        super().__init__()
        self.info = info
        self.debug_hint = debug_hint
        self.dismissed = False

    def on_mount(self) -> None:
        self.push_screen(ModuleScreen(self.info, debug_hint=self.debug_hint), self._back)

    def _back(self, result: None) -> None:
        self.dismissed = True


def host(path: Path, debug_hint: str | None = None) -> ModuleHost:
    return ModuleHost(Session.open(path).info(), debug_hint)


async def listed(pilot: Pilot[int]) -> FunctionBrowser:
    browser = pilot.app.screen.query_one(FunctionBrowser)
    await wait_for(pilot, lambda: browser.listed, "the functions listed")
    await pilot.pause()
    return browser


def overview_text(app: App[int]) -> str:
    """The overview's two panels as drawn, one line a row (wrapped values rejoined)."""
    text = "".join(rendered(panel)[0] for panel in app.screen.query("#module-overview Static"))
    return re.sub(r"[\s│╭╮╰╯─]+", " ", text)


# -- what wasm-tools says, independently ---------------------------------------------------------

# `(func $name (;8;)`, or for a name used twice `(func $"#func60 dummy" (@name "dummy") (;60;)`.
_FUNC = re.compile(r'^\(;@([0-9a-f]+)\s*;\)\s+\(func \$("[^"]*"|\S+)(?: \(@name "([^"]*)"\))? \(;(\d+);\)', re.MULTILINE)
_IMPORTED = re.compile(r'\(import "([^"]*)" "([^"]*)" \(func \$(\S+) \(;(\d+);\)')
_BODY_SIZE = re.compile(r"=+ func (\d+) =+\n\s*0x[0-9a-f]+ \| ((?:[0-9a-f]{2} )+)\s*\| size of function")


def _leb(hex_bytes: str) -> int:
    value = 0
    for shift, byte in enumerate(int(b, 16) for b in hex_bytes.split()):
        value |= (byte & 0x7F) << (7 * shift)
    return value


def wasm_tools_functions(path: Path) -> tuple[dict[int, tuple[str, int, int]], dict[int, str]]:
    """{index: (name, body offset, body size)} of defined functions and {index: name} of imported ones."""
    printed = wasm_tools("print", "--print-offsets", str(path))
    sizes = {int(i): _leb(b) for i, b in _BODY_SIZE.findall(wasm_tools("dump", str(path)))}
    defined = {
        int(i): (at_name or name, int(offset, 16), sizes[int(i)]) for offset, name, at_name, i in _FUNC.findall(printed)
    }
    imported = {int(i): name for _, _, name, i in _IMPORTED.findall(printed)}
    return defined, imported


# -- functions --------------------------------------------------------------------------------------


async def test_functions_match_wasm_tools_when_listing_divzero() -> None:
    defined, imported = wasm_tools_functions(DIVZERO)
    assert len(defined) == 59 and len(imported) == 7
    app = host(DIVZERO)
    async with app.run_test(size=SIZE) as pilot:
        browser = await listed(pilot)
        table = browser.table
        assert table.row_count == len(defined) + len(imported)
        for index, (name, offset, size) in defined.items():
            assert table.cells(index)[:4] == (str(index), name, f"{size:,}", f"0x{offset:x}")
            assert table.cells(index)[4] in ("", "export", "start")
        for index, name in imported.items():
            assert table.cells(index) == (str(index), name, "", "", "import")
        await pilot.press("4")
        await pilot.pause()
        drawn, _ = rendered(table)
        # A row as drawn: index, name, size and offset in their columns.
        assert re.search(r"\b8\s+compute_ratio\s+118\s+0x1f0\b", drawn)


async def test_filter_narrows_the_functions_when_typing_a_name_an_index_or_an_offset() -> None:
    app = host(DIVZERO)
    async with app.run_test(size=SIZE) as pilot:
        browser = await listed(pilot)
        table = browser.table
        await pilot.press("slash")
        assert app.screen.focused is not None and app.screen.focused.id == "function-filter"

        async def type_(text: str) -> list[int]:
            await pilot.press("home", "ctrl+k", *text)  # clear the filter, then type
            await pilot.pause()
            return list(table.shown_rows)

        wasi = await type_("WASI_FD")  # any case, any spelling of the name
        assert wasi and all("wasi_fd" in table.cells(i)[1].lower() for i in wasi)
        assert len(wasi) == sum("wasi_fd" in table.cells(i)[1].lower() for i in range(table.row_count))
        assert table.border_title is not None and f"{len(wasi)} of 66" in table.border_title
        assert 8 in await type_("8")  # an index (and the names containing "8")
        assert await type_("0x1f5") == [8]  # an offset inside compute_ratio's body (0x1f0..0x266)
        assert await type_("no such function") == []
        assert "no function matches the filter" in rendered(table)[0]
        assert len(await type_("")) == 66
        await pilot.press("enter")  # from the filter to the table
        assert app.screen.focused is table
        await pilot.press("down", "down")
        assert table.cursor_row == 2
        detail, _ = rendered(app.screen.query_one("#function-detail", Static))
        assert "function 2" in detail and "wasi_snapshot_preview1.fd_close" in detail


async def test_thirty_thousand_functions_are_listed_and_filtered(tmp_path: Path) -> None:
    count = 30_000
    module = tmp_path / "many.wasm"
    module.write_bytes(wat("(module\n" + "".join(f"(func $f_{i} (result i32) i32.const {i})\n" for i in range(count)) + ")"))
    app = host(module)
    async with app.run_test(size=SIZE) as pilot:
        browser = await listed(pilot)
        assert browser.table.row_count == count
        await pilot.press("slash", *"f_2999")
        await pilot.pause()
        assert [browser.table.cells(i)[1] for i in browser.table.shown_rows] == [f"f_2999{d}" for d in ["", *"0123456789"]]


# -- overview -------------------------------------------------------------------------------------


async def test_overview_says_what_to_do_when_a_stripped_module_has_no_dwarf(tmp_path: Path) -> None:
    alone = tmp_path / "divzero.stripped.wasm"  # without the debug file its external_debug_info names
    shutil.copy(BUILD / "divzero.stripped.wasm", alone)
    hint = "rebuild with -g, or pass --debug-file FILE"
    for debug_hint, advice in ((None, DEFAULT_DEBUG_HINT), (hint, hint)):
        app = host(alone, debug_hint)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            text = overview_text(app)
            assert "indices only" in text and "debug info nothing: no DWARF and no function names" in text
            assert f"what to do {advice}" in text
            assert "external_debug_info names divzero.debug.wasm, which is not beside the module" in text
            assert "wasmtime validated: wasmtime accepts this module" in text


async def test_overview_names_the_debug_file_when_it_lies_beside_the_module() -> None:
    app = host(BUILD / "divzero.stripped.wasm")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = overview_text(app)
        assert f"DWARF in a separate debug file: {BUILD / 'divzero.debug.wasm'}" in text
        assert "source lines" in text and "what to do" not in text


async def test_escape_dismisses_the_screen() -> None:
    app = host(DIVZERO)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ModuleScreen)
        await pilot.press("slash")  # even from inside the filter
        await pilot.press("escape")
        await pilot.pause()
        assert app.dismissed and not isinstance(app.screen, ModuleScreen)


# -- untrusted text ---------------------------------------------------------------------------------

HOSTILE = r"""
(module
  (import "\1b[2Jenv" "[@click=app.quit]f" (func $"\1b[31m[red]x[/]" (param i32)))
  (memory (export "[link=https://example.com]m[/link]") 1)
  (global $"[bold]g\e2\80\ae" (mut i32) (i32.const 7))
  (data $"\1b]0;title\07" (i32.const 16) "hi")
  (func $"[@click=app.quit]quit\1b[31m" (export "\c2\9b31m") (call 0 (i32.const 1)))
  (@custom "\1b[31mcustom[/]" "payload"))
"""


async def test_hostile_names_appear_literally_and_inert_when_shown(tmp_path: Path) -> None:
    module = tmp_path / "[red]hostile\x1b[2J.wasm"
    module.write_bytes(wat(HOSTILE))
    app = host(module)
    async with app.run_test(size=SIZE) as pilot:
        await listed(pilot)
        seen = []
        for key in "12345":
            await pilot.press(key)
            await pilot.pause()
            for widget in app.screen.query("*"):
                if not widget.display or widget.size.area == 0:
                    continue
                text, metas = rendered(widget)
                seen.append(text)
                for bad in ("\x1b", "\x07", "\x9b", "\u202e"):
                    assert bad not in text, f"{type(widget).__name__} drew {bad!r}"
                assert not any("@click" in meta or "link" in str(meta) for meta in metas), type(widget).__name__
        everything = "".join(seen)
        for shown in (
            "\\x1b[31m[red]x[/]",  # imported function's name
            "[@click=app.quit]quit\\x1b[31m",  # defined function's name
            "\\x1b[2Jenv",  # import module
            "[@click=app.quit]f",  # import field
            "[link=https://example.com]m[/link]",  # export
            "\\x9b31m",  # C1 CSI in an export name
            "[bold]g\\u202e",  # global name with a bidi override
            "\\x1b]0;title\\x07",  # data segment name (OSC)
            "\\x1b[31mcustom[/]",  # custom section name
            "[red]hostile\\x1b[2J.wasm",  # the file's own name
        ):
            assert shown in everything, shown
        await pilot.press("4")
        browser = app.screen.query_one(FunctionBrowser)
        await pilot.click("#function-list", offset=(12, 3))  # on the hostile name (under border and heading)
        await pilot.pause()
        assert app.is_running and browser.table.cursor_row == 1


# -- snapshots ------------------------------------------------------------------------------------


@pytest.mark.parametrize("tab", ["1", "4"], ids=["overview", "functions"])
def test_module_screen_snapshot_of_divzero(snap_compare, tab: str) -> None:  # type: ignore[no-untyped-def]
    # The path as the CLI shows it for a relative argument, the same on every checkout.
    info = dataclasses.replace(Session.open(DIVZERO).info(), path="sample_modules/build/divzero.O0.wasm")

    async def shown(pilot: Pilot[int]) -> None:
        await listed(pilot)
        await pilot.press(tab)
        await pilot.pause()

    assert snap_compare(ModuleHost(info), terminal_size=SIZE, run_before=shown)

"""What the guest prints and what its module names cannot drive the terminal or the app, and a flood cannot stall it."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.widget import Widget

from tests.helpers import wat
from tests.tui.conftest import rendered, sample_app, wait_for
from wasmdbg.runner import protocol as p
from wasmdbg.tui.widgets.code_views import DisassemblyView, SourceView
from wasmdbg.tui.widgets.memory_view import MemoryPane
from wasmdbg.tui.widgets.outcome_panel import OutcomePanel
from wasmdbg.tui.widgets.output_log import MAX_LINES, OutputLog
from wasmdbg.tui.widgets.stack_view import StackView
from wasmdbg.tui.widgets.status_line import PAUSED, RUNNING, StatusLine

HOSTILE_LINE = (
    b"out \x1b]52;c;ZXZpbA==\x07 \x1b[2J\x1b[31mred \xc2\x9b31m c1 \xe2\x80\xae bidi "
    b"[@click=app.quit]click[/] [link=https://example.com]link[/link] [bold]bold[/bold]\n"
)
HOSTILE_NAME = "[@click=app.quit]\\1b]0;title\\07\\1b[2J"
"""A function name (WAT string escapes) that is markup, an OSC title and a screen clear at once."""


def _data(raw: bytes) -> str:
    return "".join(chr(b) if 0x20 <= b < 0x7F and b not in b'"\\' else f"\\{b:02x}" for b in raw)


HOSTILE = f"""
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "{_data(HOSTILE_LINE)}")
  (func $emit (param $fd i32)
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const {len(HOSTILE_LINE)}))
    (drop (call $write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (@name "{HOSTILE_NAME}")
    (call $emit (i32.const 1)) (call $emit (i32.const 2)) unreachable)
  (func (export "_start") (call 2)))
"""

FLOOD = """
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "flooding the terminal with a line of output that never ends ........................\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 87))
    (loop $forever
      (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br $forever))))
"""

OURS = (StackView, OutputLog, OutcomePanel, StatusLine, SourceView, DisassemblyView, MemoryPane)


def drawn_inert(app: App[int], kinds: tuple[type[Widget], ...]) -> str:
    """Everything the widgets of `kinds` (and their children) draw, checked free of controls and actions."""
    seen = []
    for kind in kinds:
        for widget in app.query(kind):
            for child in (widget, *widget.query("*")):
                text, metas = rendered(child)
                seen.append(text)
                for bad in ("\x1b", "\x07", "\x9b", "\u202e"):
                    assert bad not in text, f"{type(child).__name__} drew {bad!r}"
                assert not any("@click" in meta or "link" in str(meta) for meta in metas), type(child).__name__
    return "".join(seen)


async def test_hostile_output_and_names_render_inert(tmp_path: Path) -> None:
    module = tmp_path / "hostile.wasm"
    module.write_bytes(wat(HOSTILE))
    app = sample_app(module)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the trap's report")
        await pilot.pause()
        everything = drawn_inert(app, OURS)
        assert "[@click=app.quit]" in everything  # shown, as text
        assert "\\x1b]0;title" in everything  # the escape is shown escaped
        for log in app.query(OutputLog):  # every line it holds, also those scrolled or cut off
            held = "".join(segment.text for strip in log.lines for segment in strip)
            assert "[link=https://example.com]link[/link] [bold]bold[/bold]" in held
            assert "\\x1b]52;c;" in held and "\\x9b31m" in held and "\\u202e" in held
            assert not any("\x1b" in segment.text for strip in log.lines for segment in strip)
        stack = app.query_one(StackView)
        await pilot.click(StackView, offset=(6, 1))  # on the name: a click, not an action
        await pilot.pause()
        assert app.is_running and stack.entries[0].source.function is not None
        assert stack.entries[0].source.function.startswith("[@click=app.quit]")


async def test_a_flooding_guest_does_not_stall_the_ui(tmp_path: Path) -> None:
    module = tmp_path / "flood.wasm"
    module.write_bytes(wat(FLOOD))
    app = sample_app(module)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.state == RUNNING, "the guest running")
        output = app.query_one("#output", OutputLog)
        await wait_for(pilot, lambda: output.lines_written > MAX_LINES + 1000, "the flood reaching the log")
        # Keys are still handled while the flood goes on: each press returns once its action ran.
        await pilot.press("p")
        assert app.state == PAUSED
        await pilot.press("c")
        assert app.state == RUNNING
        await pilot.press("2")
        await pilot.press("1")
        assert len(output.lines) <= MAX_LINES  # bounded, however much comes
        await pilot.press("i")
        await wait_for(pilot, lambda: app.report is not None, "the interrupted run's report")
        assert app.report is not None and app.report.outcome == p.INTERRUPTED


async def test_a_hostile_coredump_and_its_module_render_inert_post_mortem(tmp_path: Path) -> None:
    from wasmdbg.coredump.model import CoreGlobal
    from wasmdbg.coredump.write import MemoryImage, write_coredump
    from wasmdbg.session.postmortem import open_postmortem
    from wasmdbg.tui.postmortem_app import make_postmortem_app
    from wasmdbg.tui.widgets.globals_view import GlobalsView

    module = tmp_path / "hostile.wasm"
    module.write_bytes(wat(HOSTILE))
    memory = MemoryImage(1, None, 65536, HOSTILE_LINE)  # the hostile line as memory bytes too
    hostile_note = "[@click=app.quit] \x1b]0;title\x07 \u202e note"
    dump = tmp_path / "hostile.coredump"
    dump.write_bytes(write_coredump("\x1b[2J[red]evil.wasm", [(2, 9), (3, 1)], [memory],
                                    [CoreGlobal(0, "i32", True, 7, False)], [hostile_note]))  # fmt: skip
    postmortem = open_postmortem(str(dump), module=str(module))
    assert postmortem.session is not None  # the frames fit: the hostile names are shown
    app = make_postmortem_app(postmortem)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.query_one(StackView).entries, "the frames")
        await pilot.pause()
        everything = drawn_inert(app, (*OURS, GlobalsView))
        notes, _ = rendered(app.query_one("#notes"))
        assert "[@click=app.quit]" in notes and "\x1b" not in notes and "\\x1b]0;title" in notes
        assert "[@click=app.quit]" in everything
        assert (app.query_one(StackView).entries[0].source.function or "").startswith("[@click=app.quit]")
        await pilot.press("q")
    assert app.return_code == 0

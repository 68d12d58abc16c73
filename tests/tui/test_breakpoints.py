"""Breakpoints in the app, driven with Pilot on the ledger sample: a stop, its variables, `c`, and `b`."""

from __future__ import annotations

import re

from textual.widgets import Input, Static, TabbedContent

from tests.helpers import SAMPLES
from tests.tui.conftest import BUILD, wait_for
from wasmdbg.runner import protocol as p
from wasmdbg.runner.limits import INTERACTIVE_LIMITS
from wasmdbg.session.live import RunRequest
from wasmdbg.session.session import Session, SessionOptions
from wasmdbg.tui.app import WasmdbgApp, make_app
from wasmdbg.tui.screens.breakpoint import BreakpointScreen
from wasmdbg.tui.widgets.code_views import SourceView
from wasmdbg.tui.widgets.stack_view import StackView
from wasmdbg.tui.widgets.variables_pane import VariablesPane

SIZE = (160, 48)


def ledger_app(*breakpoints: str) -> WasmdbgApp:
    session = Session.open(BUILD / "ledger.O0.wasm", SessionOptions(source_roots=(str(SAMPLES),)))
    return make_app(session, RunRequest(limits=INTERACTIVE_LIMITS), breakpoints=breakpoints)


async def test_a_breakpoint_stops_the_run_shows_variables_and_c_goes_on_to_the_next_hit() -> None:
    app = ledger_app("ledger.c:22")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.state == p.BREAKPOINT and app.report is not None, "the first stop")
        assert app.query_one("#views", TabbedContent).active == "trap"
        pane = app.query_one(VariablesPane)
        assert pane.display
        await wait_for(pilot, lambda: "amount: int = -40" in pane.text, "post's variables")
        assert "before: int = 100" in pane.text and "kind: enum kind = WITHDRAWAL" in pane.text
        source = app.query_one("#source", SourceView)
        assert "acct->balance += amount;" in source.text and ":22" in str(source.border_title)
        assert app.report is not None and app.report.stop is not None and app.report.stop.stopped.hit == 1
        # The caller's frame: its own variables.
        await pilot.press("u")
        await wait_for(pilot, lambda: "posted: int = 0" in pane.text, "main's variables")
        await pilot.press("c")
        await wait_for(
            pilot, lambda: app.state == p.BREAKPOINT and app.report is not None and app.report.stop is not None
            and app.report.stop.stopped.hit == 2, "the second hit",
        )  # fmt: skip
        await wait_for(pilot, lambda: "amount: int = 25" in pane.text, "the second call's amount")
        assert "before: int = 60" in pane.text
        for _ in range(2):
            await pilot.press("c")
            await wait_for(pilot, lambda: app.state == p.BREAKPOINT and app.report is not None, "a later hit")
        await pilot.press("c")
        await wait_for(pilot, lambda: app.finished is not None and app.report is not None, "the end of the run")
        assert app.report is not None and app.report.outcome == p.RETURNED and app.report.exit_status == 0
        assert not pane.display
        await pilot.press("q")
    assert app.return_code == 0


async def test_b_sets_a_breakpoint_at_the_line_shown_and_it_stops_the_next_run() -> None:
    app = ledger_app("post")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.state == p.BREAKPOINT and app.report is not None, "the stop in post")
        stack = app.query_one(StackView)
        assert stack.selected_entry is not None and stack.selected_entry.source.line == 20
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BreakpointScreen), "the breakpoint prompt")
        field = app.screen.query_one(Input)
        assert field.value == "ledger.c:20"
        field.value = "ledger.c:36"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "ledger.c:36" in app.breakpoints, "the new breakpoint")
        # A spec that names no code is refused, and nothing is added.
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BreakpointScreen), "the prompt again")
        app.screen.query_one(Input).value = "ledger.c:9"
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert "ledger.c:9" not in app.breakpoints
        # Clear the function breakpoint, restart: the run stops at line 36 now.
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BreakpointScreen), "the prompt a third time")
        app.screen.query_one(Input).value = "post"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.breakpoints == ["ledger.c:36"], "post cleared")
        await pilot.press("r")
        await wait_for(pilot, lambda: app.state == p.BREAKPOINT and app.report is not None, "the stop at line 36")
        top = app.query_one(StackView).selected_entry
        assert top is not None and top.source.line == 36 and top.source.function == "main"
        pane = app.query_one(VariablesPane)
        await wait_for(pilot, lambda: "posted: int = 0" in pane.text, "main's variables at line 36")
        await pilot.press("i")
        await wait_for(pilot, lambda: app.finished is not None, "the interrupt")
        assert app.finished is not None and app.finished.outcome.outcome == p.INTERRUPTED
        await pilot.press("q")


async def toggle(pilot: object, app: WasmdbgApp, spec: str) -> None:
    await pilot.press("b")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: isinstance(app.screen, BreakpointScreen), "the breakpoint prompt")  # type: ignore[arg-type]
    app.screen.query_one(Input).value = spec
    await pilot.press("enter")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: not isinstance(app.screen, BreakpointScreen), "the prompt closed")  # type: ignore[arg-type]


async def test_breakpoints_set_and_cleared_at_a_stop_take_effect_without_a_restart() -> None:
    app = ledger_app("post")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.state == p.BREAKPOINT and app.report is not None, "the stop in post")
        await toggle(pilot, app, "ledger.c:36")
        await toggle(pilot, app, "post")
        assert app.breakpoints == ["ledger.c:36"]
        # Continue: post is not stopped in again; main's line 36, after the first call, is.
        await pilot.press("c")
        await wait_for(
            pilot, lambda: app.state == p.BREAKPOINT and app.report is not None and app.report.stop is not None,
            "the stop at line 36",
        )  # fmt: skip
        stop = app.report.stop if app.report is not None else None
        assert stop is not None and stop.breakpoint is not None and stop.breakpoint.spec == "ledger.c:36"
        assert stop.stack[0].sources[0].line == 36 and stop.stopped.hit == 1
        pane = app.query_one(VariablesPane)
        await wait_for(pilot, lambda: "posted: int = 0" in pane.text, "main's variables at line 36")
        await pilot.press("c")
        await wait_for(
            pilot, lambda: app.report is not None and app.report.stop is not None and app.report.stop.stopped.hit == 2,
            "the second pass of line 36",
        )  # fmt: skip
        await wait_for(pilot, lambda: "posted: int = 1" in pane.text, "posted counted once")
        # Clear the last breakpoint: the program runs to its end.
        await toggle(pilot, app, "ledger.c:36")
        await pilot.press("c")
        await wait_for(pilot, lambda: app.finished is not None and app.report is not None, "the end of the run")
        assert app.report is not None and app.report.outcome == p.RETURNED and b"balance 80" in app.report.stdout
        await pilot.press("q")


async def interrupt_and_quit(pilot: object, app: WasmdbgApp) -> None:
    """End a run held at a stop as the user would: `i`, then `q` once it has ended."""
    await pilot.press("i")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: app.finished is not None, "the interrupt")  # type: ignore[arg-type]
    await pilot.press("q")  # type: ignore[attr-defined]


def held_at(app: WasmdbgApp) -> tuple[str | None, int | None] | None:
    """(function, line) of the innermost frame while held at a stop, else None."""
    if app.state != p.BREAKPOINT or app.report is None or app.report.stop is None or not app.report.stop.stack:
        return None
    source = app.report.stop.stack[0].sources[0]
    return source.function, source.line


async def step(pilot: object, app: WasmdbgApp, key: str) -> tuple[str | None, int | None]:
    before = app.report
    await pilot.press(key)  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: app.report is not before and held_at(app) is not None, f"the stop after {key}")  # type: ignore[arg-type]
    where = held_at(app)
    assert where is not None
    return where


async def test_next_step_into_and_step_out_stop_at_the_lines_they_name() -> None:
    app = ledger_app("ledger.c:22")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: held_at(app) == ("post", 22), "the breakpoint at line 22")
        assert await step(pilot, app, "n") == ("post", 23)  # the next line, in the same frame
        assert app.report is not None and "after a step (to the next line)" in app.report.explanation
        assert app.report.stop is not None and app.report.stop.breakpoint is None and app.report.stop.stopped.hit == 0
        pane = app.query_one(VariablesPane)
        await wait_for(pilot, lambda: "posted" not in pane.text and "balance: long long = 60" in pane.text, "line 22 ran")
        assert await step(pilot, app, "o") == ("main", 36)  # out of post: main's next line
        lines = []
        for _ in range(4):  # over the loop's header and snprintf (libc: no lines of the user's) to the call
            where = await step(pilot, app, "n")
            assert where[0] == "main"
            lines.append(where[1])
            if where[1] == 35:
                break
        assert lines[-1] == 35, lines
        function, _ = await step(pilot, app, "e")  # into post
        assert function == "post"
        await pilot.press("c")  # on to the breakpoint: its second hit (steps are not hits)
        await wait_for(pilot, lambda: held_at(app) == ("post", 22) and app.report is not None and app.report.stop is not None
                       and app.report.stop.stopped.hit == 2, "the breakpoint's second hit")  # fmt: skip
        await interrupt_and_quit(pilot, app)


def gutter_marks(view: SourceView) -> dict[int, str]:
    """Line number -> the two gutter characters drawn beside it (breakpoint dot, cursor), where not blank."""
    assert view.excerpt is not None
    gutter = str(view.query_one("#gutter", Static).content).split("\n")
    return {number: gutter[row] for row, (number, _) in enumerate(view.excerpt.lines) if gutter[row].strip()}


async def test_b_in_the_source_pane_toggles_the_cursors_line_and_the_gutter_shows_the_breakpoints() -> None:
    app = ledger_app("ledger.c:22")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: held_at(app) == ("post", 22), "the breakpoint at line 22")
        source = app.query_one("#source", SourceView)
        await wait_for(pilot, lambda: gutter_marks(source) == {22: "● "}, "line 22's dot")
        source.focus()
        await pilot.press("down", "down", "down")
        assert source.cursor_line == 25 and gutter_marks(source) == {22: "● ", 25: " ▸"}
        await pilot.press("b")
        await wait_for(pilot, lambda: "ledger.c:25" in app.breakpoints, "the breakpoint on the cursor's line")
        assert not isinstance(app.screen, BreakpointScreen)  # no prompt: the line is the cursor's
        assert gutter_marks(source) == {22: "● ", 25: "●▸"}
        await pilot.press("c")
        await wait_for(pilot, lambda: held_at(app) == ("post", 25), "the stop at line 25")
        assert app.focused is source and source.cursor_line == 25  # the stop keeps the user in the source pane
        # Line 22 cleared from its line (whatever spec set it): the next stop is line 25's second hit.
        await pilot.press("up", "up", "up", "b")
        await wait_for(pilot, lambda: app.breakpoints == ["ledger.c:25"], "line 22 cleared")
        await wait_for(pilot, lambda: gutter_marks(source) == {22: " ▸", 25: "● "}, "line 22's dot gone")
        await pilot.press("c")
        await wait_for(
            pilot, lambda: held_at(app) == ("post", 25) and app.report is not None and app.report.stop is not None
            and app.report.stop.stopped.hit == 2, "line 25's second hit",
        )  # fmt: skip
        await wait_for(pilot, lambda: "amount: int = 25" in app.query_one(VariablesPane).text, "the second call's amount")
        # A line without code is refused in the notification; nothing is added.
        await pilot.press("home", "b")
        await pilot.pause(0.2)
        assert app.breakpoints == ["ledger.c:25"]
        await interrupt_and_quit(pilot, app)


async def test_a_function_breakpoint_is_dotted_at_its_line_and_cleared_from_it() -> None:
    app = ledger_app("post")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: held_at(app) == ("post", 20), "the stop in post")
        source = app.query_one("#source", SourceView)
        await wait_for(pilot, lambda: gutter_marks(source) == {20: "● "}, "post's dot at the line it stops on")
        source.focus()
        await pilot.press("b")
        await wait_for(pilot, lambda: app.breakpoints == [], "post cleared from its line")
        await pilot.press("c")
        await wait_for(pilot, lambda: app.finished is not None and app.report is not None, "the end of the run")
        assert app.report is not None and app.report.outcome == p.RETURNED
        await pilot.press("q")


async def test_a_click_in_the_source_pane_puts_the_cursor_on_the_line_under_the_pointer() -> None:
    app = ledger_app("ledger.c:22")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: held_at(app) == ("post", 22), "the breakpoint at line 22")
        source = app.query_one("#source", SourceView)
        await wait_for(pilot, lambda: not source.settling, "the source scrolled to line 22")
        await pilot.click(SourceView, offset=(20, 3))  # the third row of code, under the border
        # The line number the screen shows on that row (the pane's region, as the terminal draws it).
        row = app.screen._compositor.render_strips()[source.region.y + 3]
        shown = "".join(segment.text for segment in row)[source.region.x : source.region.right]
        number = re.search(r"(\d+) ", shown.lstrip("│ ●▸❱"))
        assert number is not None and source.cursor_line == int(number[1]), shown
        assert app.focused is source and gutter_marks(source)[source.cursor_line].endswith("▸")
        await interrupt_and_quit(pilot, app)

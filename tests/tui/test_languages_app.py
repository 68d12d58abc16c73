"""The app on the Zig, Go and AssemblyScript samples: the user's frame selected, its source shown, the runtime folded."""

from __future__ import annotations

from tests.tui.conftest import SAMPLES, sample_app, wait_for
from wasmdbg.tui.widgets.code_views import SourceView
from wasmdbg.tui.widgets.stack_view import StackView

SIZE = (160, 48)


async def test_a_zig_panic_selects_the_user_frame_folds_std_and_shows_its_line() -> None:
    app = sample_app("zigpanic.Debug.wasm", "index", substitutions=(f"/tmp/wasmdbg-samples={SAMPLES}",))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the panic's report")
        assert app.report is not None and app.report.explanation.startswith('The program panicked with "index out of bounds')
        stack = app.query_one(StackView)
        entry = stack.selected_entry
        assert entry is not None and entry.user and entry.source.function == "zigpanic.pick" and entry.source.line == 7
        assert sum(e.runtime for e in stack.entries) >= 4 and stack.option_count < len(stack.entries)
        source = app.query_one("#source", SourceView)
        await wait_for(pilot, lambda: "return items[i]; // index out of bounds" in source.text, "the Zig source at line 7")


async def test_a_go_panic_that_exited_shows_gos_traceback_as_the_stack_and_its_source() -> None:
    app = sample_app("gopanic.wasm", source_roots=(str(SAMPLES / "go"),))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the exit's report")
        stack = app.query_one(StackView)
        assert [e.source.function for e in stack.entries] == ["main.(*inventory).pick", "main.restock", "main.main"]
        entry = stack.selected_entry
        assert entry is not None and entry.user and entry.source.line == 15
        source = app.query_one("#source", SourceView)
        await wait_for(pilot, lambda: "return inv.slots[slot] // index out of range" in source.text, "the Go source")


async def test_an_assemblyscript_abort_shows_its_message_and_the_abort_position() -> None:
    app = sample_app("aspanic.wasm", "0", source_roots=(str(SAMPLES / "assemblyscript"),), invoke="main")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the abort's report")
        assert app.report is not None and '"people must be positive" at aspanic.ts:4:3' in app.report.explanation
        source = app.query_one("#source", SourceView)
        await wait_for(pilot, lambda: 'assert(people > 0, "people must be positive")' in source.text, "the abort's line")

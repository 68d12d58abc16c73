"""The live app freezes what exists at mount out of the collector's way, and gives it back when it ends."""

from __future__ import annotations

import gc

from tests.tui.conftest import sample_app, wait_for


async def test_the_app_freezes_its_startup_objects_while_it_runs_and_unfreezes_them_at_the_end() -> None:
    assert gc.get_freeze_count() == 0
    app = sample_app("hello.O2.wasm")
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the run's report")
        # Full collections then scan only what came after the mount: not Textual, the widgets, the session.
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0  # a test process (or anything embedding the app) gets them back

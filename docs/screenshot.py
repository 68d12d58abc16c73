"""Render the README's screenshots from the app itself: the trap view of the divide-by-zero sample, the run
view of the leak, and `wasmdbg open` of the wasmtime CLI's coredump of the out-of-bounds sample.

    .venv/bin/python docs/screenshot.py    # writes docs/trap-view.svg, docs/run-view.svg, docs/postmortem-view.svg
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wasmdbg.runner.limits import INTERACTIVE_LIMITS  # noqa: E402
from wasmdbg.session.live import RunRequest  # noqa: E402
from wasmdbg.session.session import Session, SessionOptions  # noqa: E402
from wasmdbg.session.postmortem import open_postmortem  # noqa: E402
from wasmdbg.tui.app import make_app  # noqa: E402
from wasmdbg.tui.postmortem_app import make_postmortem_app  # noqa: E402

SIZE = (160, 48)


async def shoot(module: str, out: Path, *, view: str | None = None, wait_for_report: bool = True, args: tuple[str, ...] = ()) -> None:
    session = Session.open(ROOT / "sample_modules" / "build" / module, SessionOptions(source_roots=(str(ROOT / "sample_modules"),)))
    app = make_app(session, RunRequest(args=args, limits=INTERACTIVE_LIMITS), source_hint="add --source-root DIR, or --substitute-path FROM=TO")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(600):
            await pilot.pause(0.05)
            if (app.report is not None) if wait_for_report else (app._elapsed() or 0) > 4:
                break
        await pilot.pause(0.5)
        if view:
            await pilot.press(view)
            await pilot.pause(0.5)
        app.save_screenshot(filename=out.name, path=str(out.parent))


async def shoot_postmortem(dump: Path, module: str, out: Path) -> None:
    options = SessionOptions(source_roots=(str(ROOT / "sample_modules"),))
    postmortem = open_postmortem(str(dump), module=str(ROOT / "sample_modules" / "build" / module), options=options)
    app = make_postmortem_app(postmortem, source_hint="add --source-root DIR, or --substitute-path FROM=TO")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(1.0)
        await app.workers.wait_for_complete()
        await pilot.pause(0.5)
        app.save_screenshot(filename=out.name, path=str(out.parent))


if __name__ == "__main__":
    asyncio.run(shoot("divzero.O0.wasm", ROOT / "docs" / "trap-view.svg"))
    asyncio.run(shoot("leak.O0.wasm", ROOT / "docs" / "run-view.svg", wait_for_report=False))
    dump = ROOT / "tests" / "fixtures" / "coredump" / "oob.O0.coredump"
    asyncio.run(shoot_postmortem(dump, "oob.O0.wasm", ROOT / "docs" / "postmortem-view.svg"))

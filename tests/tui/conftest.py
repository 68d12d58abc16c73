"""Fixtures for the app's tests: an app on a sample, and a bounded wait for what it should show."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget

from tests.helpers import SAMPLES
from wasmdbg.runner.limits import INTERACTIVE_LIMITS, RunLimits
from wasmdbg.session.live import RunRequest
from wasmdbg.session.session import Session, SessionOptions
from wasmdbg.tui.app import WasmdbgApp, make_app

BUILD = SAMPLES / "build"
HANG_BOUND_S = 60.0
"""A wait that takes this long is a hang, not slowness: only hangs are bounded, never speed."""


def sample_app(
    module: str | Path,
    *args: str,
    limits: RunLimits = INTERACTIVE_LIMITS,
    source_roots: tuple[str, ...] = (str(SAMPLES),),
    substitutions: tuple[str, ...] = (),
    invoke: str | None = None,
) -> WasmdbgApp:
    """The app as the CLI builds it, on a sample (or any module path); with `invoke`, `args` are its arguments."""
    path = module if isinstance(module, Path) else BUILD / module
    session = Session.open(path, SessionOptions(source_roots=source_roots, substitutions=substitutions))
    request = RunRequest(limits=limits, invoke=invoke, invoke_args=args) if invoke else RunRequest(args=args, limits=limits)
    return make_app(session, request, source_hint="add --source-root DIR")


async def wait_for(pilot: Pilot[int], condition: Callable[[], object], what: str) -> None:
    """Let the app run until `condition()` holds; fail (naming `what`) only after HANG_BOUND_S."""
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > HANG_BOUND_S:
            pytest.fail(f"the app never got to: {what}")
        await pilot.pause(0.05)


async def until_drawn(pilot: Pilot[int]) -> None:
    """Let the app draw until two screenshots in a row are the same, for a snapshot of what it finally shows.

    Some of what a screen shows is drawn after the event that caused it: the footer recomposes
    after a refresh once the bindings change, scrollbars follow the panes' last layout. On a
    loaded machine a fixed number of pauses can end before them; waiting for a fixed point
    cannot. Bounded by HANG_BOUND_S like every wait.
    """
    began = time.monotonic()
    app = pilot.app
    previous = app.export_screenshot()
    while True:
        await pilot.pause(0.05)
        app.screen.refresh(layout=True)
        await pilot.pause()
        current = app.export_screenshot()
        if current == previous:
            return
        if time.monotonic() - began > HANG_BOUND_S:
            pytest.fail("the app never stopped redrawing")
        previous = current


def rendered(widget: Widget) -> tuple[str, list[dict[str, object]]]:
    """What a widget draws, border included: its text, and the Textual meta (click actions, links) of each segment."""
    region = Region(0, 0, *widget.region.size)
    text, metas = [], []
    for strip in widget.render_lines(region):
        for segment in strip:
            text.append(segment.text)
            if segment.style is not None and segment.style.meta:
                metas.append(dict(segment.style.meta))
        text.append("\n")
    return "".join(text), metas


@pytest.fixture
def app_on() -> Callable[..., WasmdbgApp]:
    """`app_on("divzero.O0.wasm")`: a fresh app on a sample."""
    return sample_app

"""A guest that floods its output: the logs do work only for the lines they keep, and end on exactly the guest's last lines.

The run is scripted (Session.start_run replaced), so what reaches the logs, and in which chunks,
is known byte for byte. Nothing here measures time: the bounds are on the lines a log escapes
(`printable` is counted) and on what it holds and draws.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from textual.widgets import TabbedContent

from tests.tui.conftest import rendered, sample_app, wait_for
from wasmdbg.runner import protocol as p
from wasmdbg.session.live import RunRequest
from wasmdbg.text import printable
from wasmdbg.tui.app import WasmdbgApp
from wasmdbg.tui.widgets import output_log
from wasmdbg.tui.widgets.output_log import MAX_LINE_CHARS, MAX_LINES, OutputLog
from wasmdbg.tui.widgets.status_line import RUNNING

SIZE = (160, 48)


class FloodRun:
    """A run that replays `chunks` as the guest's output, then ends (or, without `finish`, stays running)."""

    def __init__(
        self, request: RunRequest, cancel: threading.Event | None, chunks: list[tuple[str, bytes]], finish: bool,
        dropped: int = 0,
    ) -> None:
        self.dropped = dropped
        self.request = request
        self.cancel = cancel or threading.Event()
        self.chunks = chunks
        self.finish = finish
        self.samples: list[p.Sample] = []
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.finished: p.Finished | None = None
        self.engine_alive = False

    def events(self) -> Iterator[p.Started | p.Output | p.Finished]:
        yield p.Started()
        for stream, data in self.chunks:
            (self.stdout if stream == p.STDOUT else self.stderr).extend(data)
            yield p.Output(stream, data)
        if self.finish:
            self.finished = p.Finished(p.Outcome(p.EXITED, exit_code=0), duration_s=1.0, stdout_dropped=self.dropped)
            yield self.finished
        else:
            self.cancel.wait()  # still "running" until the app ends it

    def close(self) -> None:
        self.cancel.set()


def scripted(monkeypatch: pytest.MonkeyPatch, chunks: list[tuple[str, bytes]], *, finish: bool, dropped: int = 0) -> WasmdbgApp:
    def start_run(self: object, request: RunRequest, *, cancel: threading.Event | None = None) -> FloodRun:
        return FloodRun(request, cancel, chunks, finish, dropped)

    monkeypatch.setattr("wasmdbg.session.session.Session.start_run", start_run)
    return sample_app("divzero.O0.wasm")


def count_escapes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every line the logs escape for showing, in order (the work a log does per line)."""
    seen: list[str] = []

    def counting(text: str, *, one_line: bool = True) -> str:
        seen.append(text)
        return printable(text, one_line=one_line)

    monkeypatch.setattr(output_log, "printable", counting)
    return seen


def held(log: OutputLog) -> list[tuple[str, str | None]]:
    """What the log holds: (text, colour name) per line."""
    out = []
    for strip in log.lines:
        text = "".join(segment.text for segment in strip)
        colours = {segment.style.color.name for segment in strip if segment.style is not None and segment.style.color is not None}
        out.append((text, colours.pop() if colours else None))
    return out


def numbered(first: int, last: int) -> bytes:
    return b"".join(f"line {i}: \u20ac sp\u00e9cial\n".encode() for i in range(first, last))


def in_pieces(data: bytes, size: int) -> list[bytes]:
    """`data` cut every `size` bytes: lines and UTF-8 sequences split across chunks."""
    return [data[i : i + size] for i in range(0, len(data), size)]


async def test_one_drain_escapes_only_the_lines_the_visible_log_keeps(monkeypatch: pytest.MonkeyPatch) -> None:
    total = 3 * MAX_LINES + 123
    app = scripted(monkeypatch, [], finish=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.live is not None and app.state == RUNNING, "the scripted run")
        escaped = count_escapes(monkeypatch)
        run_log = app.query_one("#output", OutputLog)
        tail = app.query_one("#output-tail", OutputLog)
        # A large backlog in one chunk, as the agent sends what a stream has (up to its limit) at once.
        app._output.append((p.STDOUT, numbered(0, total)))
        app._drain_output()
        assert not app._output
        # The run view's log escaped only the lines it keeps; the trap view's (hidden) none yet.
        assert len(escaped) == MAX_LINES
        assert escaped[0] == f"line {total - MAX_LINES}: \u20ac sp\u00e9cial"
        assert run_log.lines_written == tail.lines_written == total
        assert run_log.lines_pruned == total - MAX_LINES
        assert run_log.border_subtitle == f"the last {MAX_LINES:,} of {total:,} lines"
        assert tail.border_subtitle is None  # nothing drawn there yet
        expected = [(f"line {i}: \u20ac sp\u00e9cial", None) for i in range(total - MAX_LINES, total)]
        before = len(escaped)
        assert held(run_log) == expected
        assert len(escaped) == before  # already escaped: inspecting it costs no second pass
        # What the screen shows is the end (the log follows the output).
        await pilot.pause()
        shown, _ = rendered(run_log)
        assert f"line {total - 1}: \u20ac sp\u00e9cial" in shown and f"line {total - MAX_LINES}:" not in shown


async def test_the_hidden_tail_log_is_filled_when_the_trap_view_is_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    total = 2 * MAX_LINES + 7
    app = scripted(monkeypatch, [], finish=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.live is not None and app.state == RUNNING, "the scripted run")
        escaped = count_escapes(monkeypatch)
        tail = app.query_one("#output-tail", OutputLog)
        for piece in in_pieces(numbered(0, total), 8191):
            app._output.append((p.STDOUT, piece))
        app._drain_output(everything=True)  # one batch of many chunks
        assert len(escaped) == MAX_LINES  # the visible log's: only the lines it keeps of the batch
        escaped.clear()
        await pilot.press("2")
        assert app.query_one("#views", TabbedContent).active == "trap"
        await wait_for(pilot, lambda: tail.border_subtitle is not None, "the tail drawn once shown")
        assert len(escaped) == MAX_LINES  # the lines it keeps, once each
        assert tail.border_subtitle == f"the last {MAX_LINES:,} of {total:,} lines"
        assert held(tail) == [(f"line {i}: \u20ac sp\u00e9cial", None) for i in range(total - MAX_LINES, total)]
        await pilot.pause()
        shown, _ = rendered(tail)
        assert f"line {total - 1}: \u20ac sp\u00e9cial" in shown


LAST_LINES = [
    (p.STDOUT, b"[@click=app.quit]click[/] \x1b[31mred\x1b[0m [bold]not bold[/bold]\r\n"),
    (p.STDERR, b"err: \xe2\x80\xae reversed?\n"),
    (p.STDOUT, b"x" * (MAX_LINE_CHARS + 10) + b"\n"),
    (p.STDERR, b"err: the last stderr line, unfinished"),
    (p.STDOUT, b"the last stdout line, unfinished \xe2\x82"),  # a UTF-8 sequence cut off by the end
]


async def test_a_flooded_run_ends_on_exactly_its_last_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    chunks: list[tuple[str, bytes]] = []
    everything: list[tuple[str, str | None]] = []  # every line, in the order the log gets it
    lines = 0
    for block in range(6):  # stdout in pieces that cut lines and characters, stderr lines between them
        chunks += [(p.STDOUT, piece) for piece in in_pieces(numbered(lines, lines + 2_000), 4093)]
        everything += [(f"line {i}: \u20ac sp\u00e9cial", None) for i in range(lines, lines + 2_000)]
        lines += 2_000
        chunks.append((p.STDERR, f"err {block}\n".encode()))
        everything.append((f"err {block}", "red"))
    chunks += LAST_LINES
    everything += [
        ("[@click=app.quit]click[/] \\x1b[31mred\\x1b[0m [bold]not bold[/bold]", None),
        ("err: \\u202e reversed?", "red"),
        ("x" * MAX_LINE_CHARS + " … (10 more characters)", None),
        ("the last stdout line, unfinished \ufffd", None),  # at the end: stdout's partial line, then stderr's
        ("err: the last stderr line, unfinished", "red"),
    ]
    app = scripted(monkeypatch, chunks, finish=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.finished is not None, "the end of the run")
        assert app.query_one("#views", TabbedContent).active == "trap"
        tail = app.query_one("#output-tail", OutputLog)
        await wait_for(pilot, lambda: tail.border_subtitle is not None, "the tail drawn")
        total = len(everything)
        for log in app.query(OutputLog):
            assert log.lines_written == total
            assert log.border_subtitle == f"the last {MAX_LINES:,} of {total:,} lines"
            assert held(log) == everything[-MAX_LINES:]
        # Drawn, it stays text: no escape reaches the terminal, no markup or action is applied.
        await pilot.pause()
        shown, metas = rendered(tail)
        assert "\\x1b[31mred" in shown and "[@click=app.quit]click[/]" in shown and "\x1b" not in shown
        assert "err: the last stderr line, unfinished" in shown
        assert not any("@click" in meta or "link" in str(meta) for meta in metas)
        # A restart empties both logs; the second run (the same output) ends on the same lines.
        await pilot.press("r")
        await wait_for(pilot, lambda: app.generation == 2, "the restart")
        await wait_for(pilot, lambda: app.finished is not None, "the second run's end")
        await wait_for(pilot, lambda: tail.border_subtitle is not None, "the tail drawn again")
        for log in app.query(OutputLog):
            assert log.lines_written == total
            assert held(log) == everything[-MAX_LINES:]


async def test_output_the_agent_did_not_forward_is_said_under_both_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    # The agent forwards 1 MiB per stream and counts the rest: the logs must not pass for all of it.
    app = scripted(monkeypatch, [(p.STDOUT, numbered(0, 10))], finish=True, dropped=5 << 20)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the run's report")
        assert [log.border_subtitle for log in app.query(OutputLog)] == ["5 MiB more not forwarded"] * 2
        for log in app.query(OutputLog):
            log.reset()  # what a restart does first
            assert log.border_subtitle is None


async def test_a_report_arriving_as_the_app_closes_is_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Found in CI: a test (or a user's `q`) ended the app just as the run's report came; showing it
    # then looked up the torn-down trap view and raised out of the app's teardown.
    from wasmdbg.tui.messages import ReportReady

    app = scripted(monkeypatch, [(p.STDOUT, numbered(0, 3))], finish=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.report is not None, "the run's report")
        report = app.report
        assert report is not None
        await app.trap_view.remove()  # what teardown does first
        app.on_report_ready(ReportReady(report, app.generation, None))
        assert app.report is report

"""make_console: terminals wrap at their width; pipes, files and CI logs are never hard-wrapped."""

from __future__ import annotations

import io

import pytest
from rich.table import Table
from rich.text import Text

from tests.helpers import SAMPLES
from wasmdbg.cli.environment import Environment
from wasmdbg.cli.main import main
from wasmdbg.render.console import make_console

LONG_PATH = "/" + "/".join(f"directory{n:03d}" for n in range(27)) + "/main.c:42"


class TerminalStringIO(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _printed(stream: io.StringIO, *renderables: object, width: int | None = None) -> list[str]:
    console = make_console(stream, width=width)
    for renderable in renderables:
        console.print(renderable)
    return stream.getvalue().splitlines()


@pytest.fixture(autouse=True)
def _no_terminal_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich reads these; the tests must not depend on the shell that runs them."""
    for name in ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)


def test_a_long_path_stays_one_line_when_not_on_a_terminal() -> None:
    assert len(LONG_PATH) >= 300
    lines = _printed(io.StringIO(), Text("  main  " + LONG_PATH))
    assert lines == ["  main  " + LONG_PATH]


def test_non_terminal_lines_end_without_padding() -> None:
    grid = Table.grid(padding=(0, 2))
    grid.add_column()
    grid.add_column()
    grid.add_row("file", LONG_PATH)
    grid.add_row("line", "42")
    table = Table(title="Frames", title_justify="left", box=None, pad_edge=False)
    table.add_column("function")
    table.add_column("location")
    table.add_row("main", LONG_PATH)
    table.add_row("f", "a.c:1")
    lines = _printed(io.StringIO(), Text("short"), grid, table)
    assert lines[:3] == ["short", f"file  {LONG_PATH}", "line  42"]
    assert lines[3:] == ["Frames", "function  location", f"main      {LONG_PATH}", "f         a.c:1"]
    assert all(line == line.rstrip() for line in lines)


def test_a_line_longer_than_any_width_is_not_wrapped_either() -> None:
    line = "x" * 50_000
    assert _printed(io.StringIO(), Text(line)) == [line]


def test_an_unfinished_line_keeps_its_spaces() -> None:
    stream = io.StringIO()
    console = make_console(stream)
    console.print("a ", end="")
    console.print("b  ")
    assert stream.getvalue() == "a b\n"


def test_a_terminal_wraps_at_its_width() -> None:
    lines = _printed(TerminalStringIO(), Text(LONG_PATH), width=80)
    assert len(lines) > 1 and all(len(line) <= 80 for line in lines)
    assert "".join(line.strip() for line in lines) == LONG_PATH


def test_a_terminal_without_a_width_uses_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    lines = _printed(TerminalStringIO(), Text(LONG_PATH))
    assert len(lines) > 1 and all(len(line) <= 50 for line in lines)


def test_columns_does_not_wrap_a_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    assert _printed(io.StringIO(), Text(LONG_PATH)) == [LONG_PATH]


def test_force_color_colours_a_pipe_but_does_not_wrap_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    lines = _printed(io.StringIO(), Text(LONG_PATH, style="bold"))
    assert len(lines) == 1 and LONG_PATH in lines[0] and "\x1b[" in lines[0]


def test_an_explicit_width_wraps_even_a_pipe() -> None:
    lines = _printed(io.StringIO(), Text(LONG_PATH), width=80)
    assert len(lines) > 1 and all(len(line) <= 80 for line in lines)


def test_info_into_a_pipe_is_unwrapped_and_unpadded() -> None:
    """The real command, with the Environment a pipe gives it (no width)."""
    stdout = io.StringIO()
    env = Environment(stdin=io.StringIO(""), stdout=stdout, stderr=io.StringIO(), width=None)
    assert main(["info", str(SAMPLES / "build" / "abort.O0.wasm")], env) == 0
    lines = stdout.getvalue().splitlines()
    assert any(line.endswith("(func (param i32 i64 i32 i32) (result i32))") for line in lines)
    assert all(line == line.rstrip() for line in lines)

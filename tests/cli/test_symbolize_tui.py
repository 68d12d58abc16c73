"""`wasmdbg symbolize MODULE --tui`: the paste screen on a terminal, and one-line refusals without one.

Without --tui the command stays a filter that imports no Textual; with it, on a real pty, the
screen opens, shows the symbolized frames of `--input FILE`, and ctrl+q hands the terminal back.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.cli.test_app_cli import HANG_S, WASMDBG, assert_terminal_restored, terminal
from tests.helpers import ROOT, run_cli

DIVZERO_O2 = "sample_modules/build/divzero.O2.wasm"  # relative to ROOT, as a user in the checkout types it
TRACE = "tests/fixtures/backtraces/wasmtime/python_print_divzero.txt"
"""wasmtime 50's `print(trap)` for divzero.O2.wasm (a local run; see that directory's README)."""


def _piped(*argv: str) -> subprocess.CompletedProcess[bytes]:
    """wasmdbg with stdout and stderr piped, stdin /dev/null: no terminal anywhere."""
    return subprocess.run(
        [str(WASMDBG), *argv], stdin=subprocess.DEVNULL, capture_output=True, timeout=120, cwd=ROOT, check=False
    )


def test_tui_without_a_terminal_is_refused_in_one_line() -> None:
    result = _piped("symbolize", DIVZERO_O2, "--tui", "--input", TRACE)
    assert result.returncode == 2 and result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wasmdbg: error: --tui needs a terminal; "), lines
    in_process = run_cli("symbolize", DIVZERO_O2, "--tui")  # StringIO streams are no terminal either
    assert in_process.status == 2 and in_process.stderr.startswith("wasmdbg: error: --tui needs a terminal; ")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([DIVZERO_O2, "0x1f4", "--tui"], "--tui takes no ADDR"),
        (["--tui"], "--tui needs a MODULE"),
        ([DIVZERO_O2, "--tui", "--format", "json"], "--format json"),
        ([DIVZERO_O2, "--tui", "--format", "llvm"], "--format llvm"),
    ],
    ids=["addr", "no-module", "json", "llvm"],
)
def test_tui_with_arguments_it_cannot_use_is_a_usage_error(argv: list[str], expected: str) -> None:
    result = run_cli("symbolize", *argv)
    assert result.status == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("wasmdbg symbolize: error: "), result.stderr
    assert expected in result.stderr


def test_the_filter_imports_no_textual() -> None:
    code = (
        "import io, sys\n"
        "from wasmdbg.cli.environment import Environment\n"
        "from wasmdbg.cli.main import main\n"
        f"trace = open({TRACE!r}).read()\n"
        "out = io.StringIO()\n"
        f"status = main(['symbolize', {DIVZERO_O2!r}], Environment(io.StringIO(trace), out, io.StringIO()))\n"
        "assert status == 0 and 'quotient at' in out.getvalue(), out.getvalue()\n"
        "assert 'textual' not in sys.modules, 'the filter imported Textual'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr


def test_on_a_terminal_it_shows_the_symbolized_frames_and_ctrl_q_restores_the_terminal() -> None:
    with terminal("symbolize", DIVZERO_O2, "--tui", "--input", TRACE) as app:
        # "quotient" is nowhere in the trace: only the symbolizer (an inlined frame) names it.
        app.wait_for(b"quotient", b"7 frames in 1 trace", b"Clear paste")
        app.press(b"\x11")  # ctrl+q
        status = app.wait_exit(HANG_S)
    assert status == 0, app.text[-3000:]
    assert_terminal_restored(bytes(app.output))
    assert b"Traceback" not in app.text

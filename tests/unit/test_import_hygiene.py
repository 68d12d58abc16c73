"""The layering promises, proved at run time (deferred imports are invisible to import-linter)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, SAMPLES

HEAVY = ("rich", "textual", "wasmtime", "elftools")


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


@pytest.mark.parametrize(
    "code",
    [
        "import wasmdbg",
        "import wasmdbg.wasm.module",
        f"from wasmdbg.wasm.module import read_module; read_module(open({str(SAMPLES / 'build' / 'divzero.O2.wasm')!r}, 'rb').read()).check_code()",
        f"from wasmdbg.inspection.module_info import inspect_module; inspect_module({str(SAMPLES / 'build' / 'multi.wasm')!r}, validate=False)",
        f"from wasmdbg.symbols.symbolizer import Symbolizer, SymbolizeOptions; "
        f"Symbolizer.open({str(SAMPLES / 'build' / 'divzero.O2.wasm')!r}, SymbolizeOptions(use_cache=False)).symbolize(500)",
        f"from wasmdbg.inspection.module_info import inspect_module; "
        f"assert inspect_module({str(SAMPLES / 'build' / 'divzero.stripped.wasm')!r}, validate=False).debug_file",
        f"from wasmdbg.runner.text_format import module_bytes; module_bytes({str(SAMPLES / 'build' / 'multi.wasm')!r})",
        f"from wasmdbg.session.session import Session; s = Session.open({str(SAMPLES / 'build' / 'divzero.O2.wasm')!r}); "
        "s.info(validate=False); s.symbolize(500); s.disassemble(8)",
        "import wasmdbg.runner.protocol, wasmdbg.runner.client, wasmdbg.session.live, wasmdbg.session.report",
    ],
    ids=[
        "package", "reader", "reading-a-module", "inspecting-without-validation", "symbolizing",
        "inspecting-a-stripped-module", "reading-a-binary-module-file", "a-session-without-running",
        "the-run-protocol-and-live-run",
    ],
)
def test_core_loads_no_ui_and_no_engine(code: str) -> None:
    # elftools among them: pyelftools runs only in the index builder's child process.
    assert loaded_after(code).isdisjoint(HEAVY)


def test_text_format_loads_the_engine_only_when_the_module_is_text() -> None:
    # The probe itself: assembling a .wat needs wasmtime, so the check above is not vacuous.
    assert "wasmtime" in loaded_after(
        f"from wasmdbg.runner.text_format import module_bytes; module_bytes({str(SAMPLES / 'wat' / 'multi.wat')!r})"
    )


def test_import_contracts_hold() -> None:
    """The contracts in pyproject.toml ([tool.importlinter]), checked by import-linter."""
    lint = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(lint)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


_SPAWN_SPY = """
import io, subprocess, sys
seen = []
real = subprocess.Popen
def spy(args, *rest, **options):
    if "wasmdbg.runner.agent" in args and not seen:
        seen.append(sorted(sys.modules))
    return real(args, *rest, **options)
subprocess.Popen = spy
"""
HELLO = str(SAMPLES / "build" / "hello.O2.wasm")


def _modules_at_spawn(body: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `body` in a fresh interpreter with Popen spied on: the modules loaded when the agent was spawned."""
    probe = _SPAWN_SPY + body + '\nsys.stderr.write("modules: " + " ".join(seen[0] if seen else []) + "\\n")\n'
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT)
    last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    assert last.startswith("modules: ") and last != "modules: ", proc.stderr
    return proc, set(last.removeprefix("modules: ").split())


def test_wasmdbg_run_spawns_its_agent_before_loading_the_engine_ui_or_symbolizer() -> None:
    # The agent starts first so that its start-up and compile overlap the parent's own work: what
    # the parent has imported when it spawns the agent must be the run's plumbing, nothing more.
    # (rich is not asserted: `wasmdbg.cli.main` imports every command, and `open` imports the
    # renderer at its top.)
    proc, before = _modules_at_spawn(f"""
from wasmdbg.cli.environment import Environment
from wasmdbg.cli.main import main
env = Environment(stdin=io.StringIO(""), stdout=io.StringIO(), stderr=io.StringIO())
status = main(["run", {HELLO!r}], env)
assert status == 0, (status, env.stderr.getvalue())
""")
    assert proc.returncode == 0, proc.stderr
    assert {m.split(".")[0] for m in before}.isdisjoint({"textual", "wasmtime", "elftools"})
    assert not {m for m in before if m.startswith(("wasmdbg.symbols", "wasmdbg.dwarf", "wasmdbg.session.session", "wasmdbg.tui"))}
    # `main` starts the agent before it parses the arguments, so not even the run's plumbing is loaded.
    assert "wasmdbg.runner.spawn" in before and "wasmdbg.session.live" not in before


def test_the_wasmdbg_command_spawns_runs_agent_before_importing_the_cli() -> None:
    # Through the console script's entry point the agent starts before argparse and the commands:
    # at that moment wasmdbg has loaded only the launcher and the spawner.
    proc, modules = _modules_at_spawn(f"""
sys.argv = ["wasmdbg", "run", "--format", "json", {HELLO!r}]
from wasmdbg.cli.launch import run
try:
    run()
except SystemExit as exit_:
    assert exit_.code == 0, exit_.code
""")
    assert proc.returncode == 0 and '"outcome": "returned"' in proc.stdout, proc.stderr
    ours = {m for m in modules if m.split(".")[0] == "wasmdbg"}
    assert ours == {"wasmdbg", "wasmdbg.cli", "wasmdbg.cli.launch", "wasmdbg.runner", "wasmdbg.runner.spawn"}
    assert "argparse" not in modules

"""The `wasmdbg` command's entry point: `run`'s agent is started before the CLI is imported.

The agent's own interpreter start and imports are most of a trivial run's time, and they overlap
with whatever the parent does after starting it; importing the CLI (argparse, the commands, their
records) first would put that import on the path to the guest's first instruction too.
"""

from __future__ import annotations

import sys


def wants_spare_agent(argv: list[str]) -> bool:
    """Whether these arguments are a `run` that will want an agent (not a --help)."""
    return argv[:1] == ["run"] and not {"-h", "--help"} & set(argv)


def run() -> None:
    """Console-script entry point (`wasmdbg`, `python -m wasmdbg`)."""
    spare = None
    if wants_spare_agent(sys.argv[1:]):
        from wasmdbg.runner.spawn import AgentProcess

        spare = AgentProcess()
    from wasmdbg.cli.main import run as run_main

    run_main(spare)

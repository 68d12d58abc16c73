"""The `wasmdbg` command's entry point: `run`'s agent is started before the CLI is imported.

The agent's own interpreter start and imports are most of a trivial run's time, and they overlap
with whatever the parent does after starting it; importing the CLI (argparse, the commands, their
records) first would put that import on the path to the guest's first instruction too.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wasmdbg.runner.spawn import AgentProcess


def spare_agent_for(argv: list[str]) -> AgentProcess | None:
    """An agent started now when these arguments are a `run` (not a --help), for the run to take."""
    if argv[:1] != ["run"] or {"-h", "--help"} & set(argv):
        return None
    from wasmdbg.runner.spawn import AgentProcess

    return AgentProcess()


def run() -> None:
    """Console-script entry point (`wasmdbg`, `python -m wasmdbg`)."""
    spare = spare_agent_for(sys.argv[1:])
    from wasmdbg.cli.main import run as run_main

    run_main(spare)

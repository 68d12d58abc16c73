"""`wasmdbg run` starts its agent before parsing: the run takes it, and nothing else leaves it behind."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from tests.helpers import SAMPLES, run_cli
from wasmdbg.runner import spawn

HELLO = SAMPLES / "build" / "hello.O2.wasm"


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[spawn.AgentProcess]]:
    """Every agent process started during the test, in order."""
    made: list[spawn.AgentProcess] = []
    original = spawn.AgentProcess.__init__

    def record(self: spawn.AgentProcess, **kwargs: object) -> None:
        original(self, **kwargs)  # type: ignore[arg-type]
        made.append(self)

    monkeypatch.setattr(spawn.AgentProcess, "__init__", record)
    yield made


def _ended(agent: spawn.AgentProcess) -> bool:
    return agent.process.poll() is not None and not os.path.exists(agent.output_dir) and agent.stderr.closed


def test_the_run_takes_the_agent_started_before_parsing(started: list[spawn.AgentProcess]) -> None:
    result = run_cli("run", "--format", "json", str(HELLO))
    assert result.status == 0 and json.loads(result.stdout)["outcome"] == "returned"
    assert len(started) == 1, "the run started a second agent instead of taking the spare"
    assert _ended(started[0])


@pytest.mark.parametrize(
    "argv",
    [
        ("run", "/nonexistent/m.wasm"),  # the session cannot open the module
        ("run", "-W", "memory=lots", str(HELLO)),  # limits refused before any run
        ("run", "--format", "yaml", str(HELLO)),  # argparse's usage error
    ],
)
def test_a_spare_no_run_takes_is_ended_and_its_files_removed(started: list[spawn.AgentProcess], argv: tuple[str, ...]) -> None:
    result = run_cli(*argv)
    assert result.status != 0
    assert len(started) == 1 and _ended(started[0])


def test_help_and_other_commands_start_no_agent(started: list[spawn.AgentProcess]) -> None:
    assert run_cli("run", "--help").status == 0
    assert run_cli("info", str(HELLO)).status == 0
    assert started == []


def test_a_run_given_wasmdbgs_stdin_discards_the_spare_and_passes_the_descriptor(
    started: list[spawn.AgentProcess],
) -> None:
    result = run_cli("run", "--format", "json", "--stdin", "-", str(HELLO))
    assert result.status == 0 and json.loads(result.stdout)["outcome"] == "returned"
    # The spare was started without the descriptor, so a second agent ran the guest with it.
    assert len(started) == 2 and started[0].guest_stdin is None and started[1].guest_stdin is not None
    assert all(_ended(agent) for agent in started)

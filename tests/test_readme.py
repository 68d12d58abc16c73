"""The README's two commands are the contract with new users; CI must run the second verbatim."""

from __future__ import annotations

import re

from tests.helpers import ROOT


def readme_commands() -> list[str]:
    quick_start = (ROOT / "README.md").read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", quick_start)


def test_ci_runs_the_readmes_test_command_exactly() -> None:
    main_job, test_command = readme_commands()
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert test_command in ci_lines
    assert "pytest" in test_command


def test_main_command_names_a_committed_sample() -> None:
    main_job, _ = readme_commands()
    sample = re.search(r"(sample_modules/\S+\.wasm)", main_job)
    assert sample and (ROOT / sample.group(1)).is_file()

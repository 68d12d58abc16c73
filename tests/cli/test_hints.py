"""cli.hints: the CLI's flags added to the core's findings read as the messages always did."""

from __future__ import annotations

import pytest

from wasmdbg.cli.hints import HINTS, describe
from wasmdbg.findings import (
    DEBUG_FILE_ABSOLUTE,
    DEBUG_FILE_MISSING,
    DEBUG_FILE_OUTSIDE,
    DEBUG_FILE_URL,
    OUTSIDE_CODE,
    REMEMBERED_FAILURE,
    Finding,
)


@pytest.mark.parametrize(
    ("finding", "shown"),
    [
        (
            Finding(OUTSIDE_CODE, "0x10 is outside the code section (0x1b5-0x6400): is it a code-section offset?"),
            "0x10 is outside the code section (0x1b5-0x6400): is it a code-section offset? (--code-offsets)",
        ),
        (
            Finding(DEBUG_FILE_URL, "external_debug_info names a URL (https://x/m.wasm); wasmdbg never fetches"),
            "external_debug_info names a URL (https://x/m.wasm); wasmdbg never fetches: pass the file with --debug-file",
        ),
        (
            Finding(DEBUG_FILE_ABSOLUTE, "external_debug_info names an absolute path (/etc/m.wasm)"),
            "external_debug_info names an absolute path (/etc/m.wasm); pass it with --debug-file to use it",
        ),
        (
            Finding(DEBUG_FILE_OUTSIDE, "external_debug_info points outside the module's directory (../m.wasm)"),
            "external_debug_info points outside the module's directory (../m.wasm); pass it with --debug-file",
        ),
        (
            Finding(REMEMBERED_FAILURE, "DWARF not used: too slow (remembered from an earlier run)"),
            "DWARF not used: too slow (remembered from an earlier run; --no-cache retries)",
        ),
        (
            Finding(DEBUG_FILE_MISSING, "external_debug_info names m.wasm, which is not beside the module"),
            "external_debug_info names m.wasm, which is not beside the module",
        ),
    ],
)
def test_a_finding_reads_as_the_core_once_worded_it_when_the_cli_adds_its_hint(finding: Finding, shown: str) -> None:
    assert describe(finding) == shown
    assert "--" not in finding.message  # the core itself names no flag


def test_every_hint_names_a_flag() -> None:
    assert all("--" in hint("m") for hint in HINTS.values())

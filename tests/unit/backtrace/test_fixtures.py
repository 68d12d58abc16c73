"""Every captured backtrace fixture parses to its expected data.

tests/fixtures/backtraces/<runtime>/<case>.txt is text as a runtime (or a person pasting it)
produced it; <case>.json beside it is the expected result of `parse_text`: a list of traces, each
`dataclasses.asdict(Trace)`. The expectations are written from the runtime's own formatting code and
the real reports the fixtures come from, not from this parser's output.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from wasmdbg.backtrace.detect import parse_text

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "backtraces"
CASES = sorted(FIXTURES.glob("*/*.txt"))


def _jsonable(value: object) -> object:
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_parses_as_expected(case: Path) -> None:
    expected = json.loads(case.with_suffix(".json").read_text())
    text = case.read_bytes().decode("utf-8", "replace")
    assert _jsonable([dataclasses.asdict(t) for t in parse_text(text)]) == expected


def test_every_runtime_has_fixtures() -> None:
    runtimes = {p.parent.name for p in CASES}
    assert runtimes >= {
        "wasmtime", "wasmer", "v8", "spidermonkey", "jsc", "wamr", "wavm", "wazero", "wasm3", "wasmedge",
        "wasmkit", "chicory", "go",
    }  # fmt: skip

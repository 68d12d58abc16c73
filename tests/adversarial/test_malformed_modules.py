"""Malformed modules through every command: one line, exit 1, nothing left behind, bounded.

The spec suite's malformed modules (../shared/corpus/spec/malformed, present in CI) and damaged
copies of the samples (truncated, bytes changed, seeded) go through `info`, `symbolize`, `run` and
`open` as a user would run them (`harness.guarded`: a child process with its own temp dir).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tests.adversarial.harness import assert_contained, guarded
from tests.helpers import CORPUS, SAMPLES

MALFORMED = CORPUS / "spec" / "malformed.jsonl"
ERROR = 1


def _malformed_sample(step: int = 24) -> list[Path]:
    """Every `step`-th assert_malformed module of the spec suite (all of them go through the reader's own tests)."""
    if not MALFORMED.exists():
        return []
    cases = [json.loads(line) for line in MALFORMED.read_text().splitlines() if line.strip()]
    files = [CORPUS / "spec" / c["file"] for c in cases if c["assertion"] == "assert_malformed"]
    return files[::step]


COMMANDS = {
    "info": lambda m: ("info", m),
    "info-json": lambda m: ("info", "--format", "json", m),
    "symbolize": lambda m: ("symbolize", m, "0x10"),
    "run": lambda m: ("run", "-W", "timeout=5s", m),
    "run-json": lambda m: ("run", "--format", "json", "-W", "timeout=5s", m),
    "open": lambda m: ("open", m),
}


@pytest.mark.corpus
@pytest.mark.skipif(not MALFORMED.exists(), reason="../shared/corpus is absent (present in CI)")
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_spec_malformed_modules_are_one_line_and_exit_1(command: str) -> None:
    modules = _malformed_sample()
    assert len(modules) >= 25
    refused = 0
    for module in modules:
        result = guarded(*COMMANDS[command](str(module)))
        # `symbolize` reads only what the address needs: a module malformed in a body it does not
        # decode still gets its (degraded) answer. Every other command refuses the module.
        assert_contained(result, {ERROR, 0} if command == "symbolize" else {ERROR}, max_stderr_lines=1)
        if result.status == ERROR:
            refused += 1
            assert result.err.startswith("wasmdbg") and result.err.count("\n") == 1, result.err
        else:
            assert result.stdout.startswith(b"0x10"), result.stdout[:200]
        if command.endswith("json"):
            assert result.stdout in (b"",) or json.loads(result.stdout)  # a report, or nothing at all
    assert refused >= len(modules) // 2


def _damaged(data: bytes, seed: int) -> bytes:
    rng = random.Random(seed)
    if seed % 2:
        return data[: rng.randrange(8, len(data))]  # truncated past the header
    out = bytearray(data)
    for _ in range(rng.randrange(1, 8)):
        out[rng.randrange(8, len(out))] = rng.randrange(256)
    return bytes(out)


@pytest.mark.parametrize("sample", ["divzero.O0.wasm", "panic.O2.wasm", "cpp_abort.O2.wasm"])
def test_damaged_samples_give_an_answer_or_one_line_never_a_traceback(sample: str, tmp_path: Path) -> None:
    original = (SAMPLES / "build" / sample).read_bytes()
    for seed in range(6):
        damaged = tmp_path / f"{seed}-{sample}"
        damaged.write_bytes(_damaged(original, seed))
        for command in ("info", "symbolize", "run-json"):
            result = guarded(*COMMANDS[command](str(damaged)))
            # A damage the reader cannot see (inside a data segment, say) still runs: any guest outcome
            # is fine (0, its exit code, 134 for a trap); what is not is a traceback or a leftover.
            allowed = {0, ERROR} if command != "run-json" else set(range(256))
            assert_contained(result, allowed, max_stderr_lines=2 if command != "run-json" else 40)
            if result.status == ERROR:
                assert result.err.startswith("wasmdbg") and result.err.count("\n") == 1, result.err

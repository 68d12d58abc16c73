"""`wasmdbg info --format json` against wasm-tools, for every sample module and generated modules."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.differential.test_module_vs_wasm_tools import objdump_sections
from tests.helpers import CORPUS, run_cli, sample_module_paths, smith_module, wasm_tools

pytestmark = pytest.mark.differential

_MEMORY = re.compile(r"\(memory (?:\$\S+ )?\(;(\d+);\) (i64 )?(\d+)(?: (\d+))?( shared)?")


def check_info(path: Path) -> dict[str, object]:
    result = run_cli("info", "--format", "json", "--no-validate", str(path))
    assert result.status == 0, result.stderr
    info = result.json()
    assert isinstance(info, dict)
    sections = [
        (s["id"], s["name"] if s["id"] == 0 else "", s["offset"], s["offset"] + s["size"]) for s in info["sections"]
    ]
    # objdump shows a custom section's range after its name; compare those by their end only.
    theirs = objdump_sections(path)
    assert [(i, n, end) for i, n, _, end in sections] == [(i, n, end) for i, n, _, end in theirs]
    assert [start for i, _, start, _ in sections if i] == [start for i, _, start, _ in theirs if i]
    printed = wasm_tools("print", str(path))
    memories = [(int(m[2]), int(m[3]) if m[3] else None, bool(m[1]), bool(m[4])) for m in _MEMORY.findall(printed)]
    ours = [(m["min_pages"], m["max_pages"], m["memory64"], m["shared"]) for m in info["memories"]]
    assert ours == memories
    defined = len(re.findall(r"^  \(func ", printed, re.M))
    assert info["functions"]["defined"] == defined
    return info


@pytest.mark.parametrize("path", sample_module_paths(), ids=lambda p: p.name)
def test_info_on_every_sample_agrees_with_wasm_tools(path: Path) -> None:
    info = check_info(path)
    validated = run_cli("info", "--format", "json", str(path))
    assert validated.status == 0, f"wasmtime rejects a committed sample: {validated.stderr}"
    checked = validated.json()
    assert isinstance(checked, dict) and checked.pop("validated") is True and info.pop("validated") is False
    assert checked.pop("validation") == {"valid": True, "error": None, "offset": None}
    assert info.pop("validation") == {"valid": None, "error": None, "offset": None}
    assert checked == info  # validation changes nothing but the flag


@pytest.mark.parametrize("seed", range(0, 40, 2))
def test_info_on_generated_modules_agrees_with_wasm_tools(seed: int, tmp_path: Path) -> None:
    path = tmp_path / "m.wasm"
    path.write_bytes(smith_module(seed, 4096, "--compact-imports-enabled", "false"))
    check_info(path)


@pytest.mark.corpus
@pytest.mark.skipif(not (CORPUS / "spec" / "malformed").exists(), reason="../shared/corpus is absent (present in CI)")
def test_every_spec_malformed_module_gets_one_line_and_exit_1() -> None:
    # assert_invalid modules are well formed: described on stdout, wasmtime's refusal marked in it.
    cases = [json.loads(line) for line in (CORPUS / "spec" / "malformed.jsonl").read_text().splitlines() if line]
    invalid = {Path(c["file"]).name for c in cases if c["assertion"] == "assert_invalid"}
    for path in sorted((CORPUS / "spec" / "malformed").glob("*.wasm")):
        result = run_cli("info", str(path))
        assert result.status == 1, path.name
        assert result.stderr.count("\n") == 1, (path.name, result.stderr)
        assert result.stderr.startswith("wasmdbg: error: ")
        if path.name in invalid:
            assert "wasmtime refuses this module" in result.stdout, path.name
        else:
            assert result.stdout == "", (path.name, result.stdout)

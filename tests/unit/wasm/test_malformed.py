"""Malformed input: only WasmFormatError, quickly, whatever the bytes.

Truncations and byte mutations of real modules, and every module the spec test suite requires
runtimes to reject (../shared/corpus/spec/malformed, present in CI).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import CORPUS, SAMPLES
from wasmdbg.errors import InvalidModuleError, WasmFormatError
from wasmdbg.inspection.module_info import inspect_module
from wasmdbg.wasm.module import read_module
from wasmdbg.wasm.sections import read_sections

SEEDS = [SAMPLES / "build" / name for name in ("divzero.O2.wasm", "multi.wasm", "indirect_null.wasm")]


def read_fully(data: bytes) -> None:
    """Everything the reader can be asked: layout, every body decoded, custom sections."""
    module = read_module(data)
    module.check_code()


@pytest.fixture(scope="module", params=SEEDS, ids=lambda p: p.name)
def seed(request: pytest.FixtureRequest) -> bytes:
    return Path(request.param).read_bytes()


def test_every_truncation_raises_only_wasm_format_error(seed: bytes) -> None:
    # A cut at a section boundary can leave a well-formed module; a cut anywhere else cannot.
    boundaries = {8} | {s.end for s in read_sections(seed)}
    step = max(1, len(seed) // 3000)
    for cut in range(0, len(seed), step):
        if cut in boundaries:
            try:
                read_fully(seed[:cut])
            except WasmFormatError:
                pass
            continue
        with pytest.raises(WasmFormatError):
            read_fully(seed[:cut])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_byte_mutations_raise_only_wasm_format_error(seed: bytes, data: st.DataObject) -> None:
    mutated = bytearray(seed)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(8, len(mutated) - 1))
        mutated[position] = data.draw(st.integers(0, 255))
    try:
        read_fully(bytes(mutated))
    except WasmFormatError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_after_a_valid_header_raise_only_wasm_format_error(tail: bytes) -> None:
    try:
        read_fully(b"\0asm\x01\0\0\0" + tail)
    except WasmFormatError:
        pass


def test_huge_declared_counts_fail_without_allocating() -> None:
    # A type section claiming 2**32-1 types in 5 bytes, and an export section likewise.
    for section in (b"\x01\x05\xff\xff\xff\xff\x0f", b"\x07\x05\xff\xff\xff\xff\x0f"):
        with pytest.raises(WasmFormatError, match="exceeds"):
            read_module(b"\0asm\x01\0\0\0" + section)


def _spec_cases() -> list[dict[str, str]]:
    listing = CORPUS / "spec" / "malformed.jsonl"
    if not listing.exists():
        return []
    return [json.loads(line) for line in listing.read_text().splitlines() if line.strip()]


SPEC_CASES = _spec_cases()


@pytest.mark.corpus
@pytest.mark.skipif(not SPEC_CASES, reason="../shared/corpus is absent (it is present in CI)")
def test_reader_rejects_every_spec_malformed_module() -> None:
    """assert_malformed modules break the binary format: the reader alone must refuse them."""
    accepted = []
    for case in SPEC_CASES:
        if case["assertion"] != "assert_malformed":
            continue
        try:
            read_fully((CORPUS / "spec" / case["file"]).read_bytes())
        except WasmFormatError:
            continue
        accepted.append(f"{case['file']} ({case['expected_message']})")
    assert accepted == []


@pytest.mark.corpus
@pytest.mark.skipif(not SPEC_CASES, reason="../shared/corpus is absent (it is present in CI)")
def test_inspection_refuses_malformed_and_describes_invalid_spec_modules_when_validated() -> None:
    """assert_malformed modules are refused; assert_invalid ones are well formed, so they are described,
    with wasmtime's refusal as the finding."""
    outcomes: dict[str, int] = {"malformed": 0, "invalid": 0}
    for case in SPEC_CASES:
        path = CORPUS / "spec" / case["file"]
        if case["assertion"] == "assert_malformed":
            with pytest.raises(WasmFormatError):
                inspect_module(path)
            outcomes["malformed"] += 1
            continue
        info = inspect_module(path)
        assert info.refusal is not None and not info.validated, case["file"]
        assert isinstance(info.refusal_error(), InvalidModuleError)
        outcomes["invalid"] += 1
    assert sum(outcomes.values()) == len(SPEC_CASES) == 722
    assert outcomes == {"malformed": 711, "invalid": 11}

"""inspect_module: verdicts, sizes, and the refusal of modules wasmtime would not run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import shutil

import pytest

from tests.helpers import SAMPLES, wat
from wasmdbg.errors import InvalidModuleError
from wasmdbg.inspection.module_info import inspect_module, memory_bytes
from wasmdbg.text import describe_bytes
from wasmdbg.wasm.types import Limits


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 bytes"), (1023, "1023 bytes"), (65536, "64 KiB"), (1536 << 10, "1.5 MiB"), (512 << 20, "512 MiB"),
     (4 << 30, "4 GiB")],
)
def test_describe_bytes(size: int, text: str) -> None:
    assert describe_bytes(size) == text


def test_memory_bytes_honours_custom_page_sizes() -> None:
    assert memory_bytes(Limits(2, 3)) == (2 * 65536, 3 * 65536)
    assert memory_bytes(Limits(5, None, page_size_log2=0)) == (5, None)


def test_export_names_alone_give_the_indices_verdict(tmp_module: Callable[..., Path]) -> None:
    # No name section: assemble then drop it by writing the module without names.
    data = wat('(module (func (export "run")) (func))')
    from wasmdbg.wasm.sections import read_sections

    name = next(s for s in read_sections(data) if s.name == "name") if b"name" in data else None
    if name is not None:
        data = data[: name.header_offset] + data[name.end :]
    info = inspect_module(tmp_module(data))
    assert info.symbolization == "indices"
    assert "1 exported function is known by export name" in info.verdict


def test_invalid_module_is_described_with_wasmtimes_refusal_when_validated(tmp_module: Callable[..., Path]) -> None:
    path = tmp_module(bytes.fromhex("0061736d01000000010401600000030201000a06010400412a0b"))
    info = inspect_module(path)
    assert info.checked and not info.validated
    assert info.refusal is not None and "type mismatch" in info.refusal
    assert len(info.module.bodies) == 1  # still described
    error = info.refusal_error()
    assert isinstance(error, InvalidModuleError)
    assert error.offset == 0x19  # where wasmtime says the block ends
    assert info.to_json()["validation"] == {"valid": False, "error": info.refusal, "offset": 0x19}
    unchecked = inspect_module(path, validate=False)
    assert unchecked.validated is False and unchecked.refusal is None and unchecked.refusal_error() is None
    assert unchecked.to_json()["validation"] == {"valid": None, "error": None, "offset": None}


def test_legacy_exceptions_are_refused_by_wasmtime_but_read_when_validated(tmp_module: Callable[..., Path]) -> None:
    # wasmtime 50 refuses the legacy exception-handling opcodes (try/catch); the reader reads them.
    path = tmp_module(wat('(module (tag $e) (func (export "f") try throw $e catch $e end))'))
    info = inspect_module(path)
    assert info.refusal is not None and "legacy_exceptions" in info.refusal
    assert [e.name for e in info.module.exports] == ["f"]
    assert info.module.check_code() > 0


def test_stripped_module_is_judged_from_its_debug_file_when_beside_it() -> None:
    info = inspect_module(SAMPLES / "build" / "divzero.stripped.wasm", validate=False)
    assert info.symbolization == "source"
    assert info.debug_file == str((SAMPLES / "build" / "divzero.debug.wasm").resolve())
    assert info.debug_file in info.verdict
    assert info.named_functions == 0  # the module's own name section: none


def test_stripped_module_alone_is_judged_without_dwarf_when_its_debug_file_is_absent(tmp_path: Path) -> None:
    alone = tmp_path / "divzero.stripped.wasm"
    shutil.copyfile(SAMPLES / "build" / "divzero.stripped.wasm", alone)
    info = inspect_module(alone, validate=False)
    assert info.symbolization == "indices" and info.debug_file is None
    assert info.debug.notes == ("external_debug_info names divzero.debug.wasm, which is not beside the module",)
    assert info.debug.notes[0] in info.verdict


def test_text_format_module_is_assembled_when_given_a_wat_file(tmp_module: Callable[..., Path]) -> None:
    source = SAMPLES / "wat" / "multi.wat"
    info = inspect_module(source)
    binary = inspect_module(tmp_module(wat(source.read_text())))  # assembled independently, by wasm-tools
    assert info.text_format and not binary.text_format
    assert info.validated
    assert (info.size, info.sha256, info.module.sections) == (binary.size, binary.sha256, binary.module.sections)

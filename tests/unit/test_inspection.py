"""inspect_module: verdicts, sizes, and the refusal of modules wasmtime would not run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import wat
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


def test_invalid_module_raises_invalid_module_error_with_wasmtimes_offset(tmp_module: Callable[..., Path]) -> None:
    path = tmp_module(bytes.fromhex("0061736d01000000010401600000030201000a06010400412a0b"))
    with pytest.raises(InvalidModuleError) as error:
        inspect_module(path)
    assert error.value.offset == 0x19  # where wasmtime says the block ends
    assert inspect_module(path, validate=False).validated is False

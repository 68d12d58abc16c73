"""runner.text_format: text-format modules assembled by wasmtime, binary modules passed through."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import SAMPLES, wat
from wasmdbg.errors import WasmdbgError
from wasmdbg.runner.text_format import is_text_format, module_bytes


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"(module)", True),
        (b"  \r\n\t(module)", True),
        (b";; a comment\n;; another\n(module)", True),
        (b"(; a block comment ;) (module)", True),
        (b"(func)", True),  # a module's fields without `(module ...)` around them
        (b"\0asm\1\0\0\0", False),
        (b"\0asm(", False),
        (b"", False),
        (b"   \n", False),
        (b";; only a comment", False),
        (b"hello world", False),
        (b"\xef\xbb\xbf(module)", False),  # a byte-order mark is not text the reader of .wat accepts either
    ],
)
def test_is_text_format_when_given(data: bytes, text: bool) -> None:
    assert is_text_format(data) is text


@pytest.mark.parametrize("path", sorted((SAMPLES / "wat").glob("*.wat")), ids=lambda p: p.name)
def test_module_bytes_assembles_what_wasm_tools_assembles_when_the_file_is_text(path: Path) -> None:
    assert module_bytes(path) == wat(path.read_text())


def test_module_bytes_returns_the_file_unchanged_when_it_is_not_text(tmp_module: Callable[..., Path]) -> None:
    binary = SAMPLES / "build" / "multi.wasm"
    assert module_bytes(binary) == binary.read_bytes()
    assert module_bytes(tmp_module(b"hello world", "x.wasm")) == b"hello world"  # the reader refuses it later


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (b"(module (func (i32.add)) oops", "m.wat: invalid WebAssembly text at line 1, column 26: expected `(`"),
        (b"(module\n  (func $f (call $nowhere)))", "m.wat: invalid WebAssembly text at line 2, column 18: unknown"),
        (b"(module \xff)", "m.wat: invalid WebAssembly text: "),
    ],
    ids=["syntax", "unknown-name", "not-utf8"],
)
def test_module_bytes_raises_one_printable_line_when_the_text_is_broken(
    tmp_module: Callable[..., Path], source: bytes, message: str
) -> None:
    with pytest.raises(WasmdbgError) as error:
        module_bytes(tmp_module(source, "m.wat"))
    assert message in error.value.message
    assert "\n" not in error.value.message and error.value.message.isprintable()


def test_module_bytes_reports_file_errors_as_read_module_file_does(tmp_path: Path) -> None:
    with pytest.raises(WasmdbgError, match="No such file or directory"):
        module_bytes(tmp_path / "missing.wat")
    with pytest.raises(WasmdbgError, match="is a directory"):
        module_bytes(tmp_path)

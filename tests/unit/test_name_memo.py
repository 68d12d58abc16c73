"""The demangled-name memo beside the cached index: reused when it is this demangler's, ignored otherwise."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tests.helpers import SAMPLES
from wasmdbg.addresses import ModuleOffset
from wasmdbg.symbols import name_memo
from wasmdbg.symbols.symbolizer import SymbolizeOptions, Symbolizer

RUST = SAMPLES / "build" / "panic.O0.wasm"


@pytest.fixture(scope="module")
def _shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache dir for the module, so the index is built once; each test starts without memos."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def cache_dir(_shared_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WASMDBG_CACHE_DIR", str(_shared_cache))
    for memo in _shared_cache.glob("*.names"):
        memo.unlink()
    return _shared_cache


@pytest.fixture(scope="module")
def reference() -> Symbolizer:
    """The module symbolized without any cache: the answers every memo must reproduce."""
    return Symbolizer.open(RUST, SymbolizeOptions(use_cache=False))


def _addresses(symbolizer: Symbolizer, count: int = 300) -> list[int]:
    index, code = symbolizer.index, symbolizer.module.code_section
    assert index is not None and code is not None
    rows = sorted({index.row_addr[r] for r in range(len(index.row_addr)) if 0 < index.row_addr[r] < code.size})
    return [code.offset + a for a in random.Random(7).sample(rows, count)]


def _answers(symbolizer: Symbolizer, addresses: list[int]) -> list[object]:
    return [symbolizer.symbolize(ModuleOffset(a)) for a in addresses]


def _memo_files(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("*.names"))


def test_a_second_run_takes_its_names_from_the_memo_and_answers_alike(
    cache_dir: Path, reference: Symbolizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    addresses = _addresses(reference)
    expected = _answers(reference, addresses)
    assert any(f.linkage_name for r in expected for f in r.frames)  # type: ignore[attr-defined]

    first = Symbolizer.open(RUST)
    assert _answers(first, addresses) == expected
    first.remember_names()
    [memo] = _memo_files(cache_dir)
    stored = json.loads(memo.read_text(encoding="utf-8"))["names"]
    assert any(raw != shown for raw, shown in stored.items())

    def no_demangling(name: str) -> str:
        raise AssertionError(f"demangled {name!r} although the memo has it")

    monkeypatch.setattr(name_memo, "demangle", no_demangling)
    assert _answers(Symbolizer.open(RUST), addresses) == expected


def test_nothing_is_written_without_the_cache_or_without_new_names(cache_dir: Path, reference: Symbolizer) -> None:
    _answers(reference, _addresses(reference, 50))
    reference.remember_names()
    assert _memo_files(cache_dir) == []

    cached = Symbolizer.open(RUST)
    cached.remember_names()  # nothing looked up yet
    assert _memo_files(cache_dir) == []


@pytest.mark.parametrize("damage", ["corrupt", "foreign", "wrong shape"])
def test_a_damaged_or_foreign_memo_is_ignored_and_replaced(cache_dir: Path, reference: Symbolizer, damage: str) -> None:
    addresses = _addresses(reference, 100)
    expected = _answers(reference, addresses)
    first = Symbolizer.open(RUST)
    _answers(first, addresses)
    first.remember_names()
    [memo] = _memo_files(cache_dir)
    stored = json.loads(memo.read_text(encoding="utf-8"))
    lying = {raw: "lie" for raw in stored["names"]}
    if damage == "corrupt":
        memo.write_bytes(b"\x00{not json")
    elif damage == "foreign":  # another demangler's answers (an upgrade): never trusted
        memo.write_text(json.dumps({"identity": "0:other", "names": lying}), encoding="utf-8")
    else:
        memo.write_text(json.dumps({"identity": stored["identity"], "names": list(lying)}), encoding="utf-8")

    again = Symbolizer.open(RUST)
    assert _answers(again, addresses) == expected
    again.remember_names()
    assert json.loads(memo.read_text(encoding="utf-8"))["identity"] == stored["identity"]


@pytest.mark.parametrize("how", ["addresses", "filter"])
def test_the_symbolize_command_keeps_the_names_it_demangled(cache_dir: Path, reference: Symbolizer, how: str) -> None:
    from tests.helpers import run_cli

    address = _addresses(reference, 1)[0]
    if how == "addresses":
        result = run_cli("symbolize", str(RUST), hex(address))
    else:
        import io

        from wasmdbg.cli.environment import Environment
        from wasmdbg.cli.main import main

        body = reference.module.function_at(address)
        assert body is not None
        trace = f"wasm backtrace:\n    0: {address:#x} - <unknown>!<wasm function {body.func_index}>\n"
        env = Environment(stdin=io.StringIO(trace), stdout=io.StringIO(), stderr=io.StringIO(), width=100)
        assert main(["symbolize", str(RUST)], env) == 0
        assert isinstance(env.stdout, io.StringIO) and "::" in env.stdout.getvalue()
        result = None
    assert result is None or result.status == 0
    [memo] = _memo_files(cache_dir)
    assert json.loads(memo.read_text(encoding="utf-8"))["names"]


def test_names_the_demangler_does_not_parse_are_not_kept(cache_dir: Path) -> None:
    # A C module's names are returned as they are at once: a memo of them would only cost its reading.
    c_module = SAMPLES / "build" / "divzero.O0.wasm"
    symbolizer = Symbolizer.open(c_module)
    code = symbolizer.module.code_section
    assert code is not None and symbolizer.index is not None
    for row in range(0, len(symbolizer.index.row_addr), 7):
        symbolizer.symbolize(ModuleOffset(code.offset + symbolizer.index.row_addr[row]))
    symbolizer.remember_names()
    assert _memo_files(cache_dir) == []

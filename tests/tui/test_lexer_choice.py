"""The source pane picks a lexer by suffix: it must be the one Pygments' (slow) guess would pick."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.syntax import Syntax

from tests.helpers import SAMPLES
from wasmdbg.tui.widgets.code_views import LEXERS_BY_SUFFIX, lexer_name

LANGUAGES = (".c", ".cpp", ".rs", ".wat", ".zig", ".go", ".ts")
SOURCES = sorted(p for p in SAMPLES.rglob("*") if p.suffix in LANGUAGES and p.is_file())


def test_the_samples_cover_each_language_they_are_built_from() -> None:
    assert {p.suffix for p in SOURCES} == set(LANGUAGES)


@pytest.mark.parametrize("suffix", sorted(LEXERS_BY_SUFFIX))
def test_each_suffix_gets_what_the_guess_gives_whatever_the_code(suffix: str) -> None:
    # C code in a .cpp file, Rust in a .h: the guess goes by the name for these, and so must we.
    for source in SOURCES:
        code = source.read_text(encoding="utf-8")
        assert Syntax.guess_lexer(f"/src/file{suffix}", code) == LEXERS_BY_SUFFIX[suffix], (suffix, source.name)
        assert lexer_name(f"/src/file{suffix}", code) == LEXERS_BY_SUFFIX[suffix]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_real_sources_get_the_guessed_lexer(source: Path) -> None:
    code = source.read_text(encoding="utf-8")
    assert lexer_name(str(source), code) == Syntax.guess_lexer(str(source), code)


@pytest.mark.parametrize("path", ["/usr/include/c++/v1/vector", "/src/build.py", "/src/notes.txt", "/src/Makefile"])
def test_other_files_are_still_guessed(path: str) -> None:
    code = "#include <vector>\nint main() { return 0; }\n"
    assert lexer_name(path, code) == Syntax.guess_lexer(path, code)

"""session.annotation: a paste split into lines, each with the frames to show under it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import SAMPLES
from wasmdbg.backtrace.detect import parse_text
from wasmdbg.findings import MISMATCH, NOT_BOUNDARY
from wasmdbg.session.annotation import AnnotatedLine, annotate, symbolize_text
from wasmdbg.session.pasted import symbolize_traces
from wasmdbg.symbols.symbolizer import Symbolizer

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "backtraces"
BUILD = SAMPLES / "build"
DIVZERO = (FIXTURES / "wasmtime" / "python_print_divzero.txt").read_text()
DETAILS = (FIXTURES / "wasmtime" / "python_details_inlined.txt").read_text()


def _joined(lines: tuple[AnnotatedLine, ...]) -> str:
    return "".join(line.text + ("\n" if line.newline else "") for line in lines)


@pytest.mark.parametrize("case", sorted(FIXTURES.glob("*/*.txt")), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_lines_give_back_the_input_exactly_for_every_fixture(case: Path) -> None:
    text = case.read_bytes().decode("utf-8", "replace")
    for variant in (text, text.replace("\n", "\r\n"), text.rstrip("\n"), text + "\n\n"):
        lines = annotate(variant, symbolize_traces(parse_text(variant), None))
        assert _joined(lines) == variant
        assert [line.no for line in lines] == list(range(1, len(lines) + 1))


@pytest.mark.parametrize("text", ["", "\n", "\n\n", "x", "x\n", "\r\n", "a\nb"])
def test_the_lines_give_back_the_input_exactly_when_the_text_is_tiny(text: str) -> None:
    assert _joined(annotate(text, ())) == text


def test_a_last_line_without_a_newline_keeps_its_frame() -> None:
    text = "error while executing at wasm backtrace:\n    0:    0x1f4 - <unknown>!compute_ratio"
    pasted = symbolize_text(text, Symbolizer.open(BUILD / "divzero.O2.wasm"))
    last = pasted.lines[-1]
    assert not last.newline and [f.raw.func_name for f in last.frames] == ["compute_ratio"]
    assert [s.function for s in last.frames[0].frames] == ["quotient", "compute_ratio"]


def test_a_runtimes_inline_continuation_lines_are_annotated_once() -> None:
    pasted = symbolize_text(DETAILS, Symbolizer.open(BUILD / "divzero.O2.wasm"))
    at_0x1f4 = [line for line in pasted.lines for f in line.frames if f.module_offset == 0x1F4]
    assert len(at_0x1f4) == 1 and at_0x1f4[0].no == 2  # `0: 0x1f4 - quotient`, not `- compute_ratio` below
    assert len([f for f in pasted.frames if f.module_offset == 0x1F4]) == 2  # both parsed, one shown
    assert at_0x1f4[0].indent == "    "


def test_frames_and_notes_come_with_the_lines() -> None:
    symbolizer = Symbolizer.open(BUILD / "divzero.O2.wasm")
    pasted = symbolize_text(DIVZERO, symbolizer)
    assert pasted.notes == symbolizer.notes == ()
    assert [f for line in pasted.lines for f in line.frames] == list(pasted.frames)
    assert all(f.fits and f.frames for f in pasted.frames)
    unsymbolized = symbolize_text(DIVZERO, None)
    assert unsymbolized.notes == () and all(f.fits and not f.frames for f in unsymbolized.frames)


def test_frames_of_another_binary_have_typed_reasons_and_no_frames() -> None:
    pasted = symbolize_text(DIVZERO, Symbolizer.open(BUILD / "oob.O2.wasm"))
    assert pasted.frames and all(not f.fits and f.frames == () for f in pasted.frames)
    kinds = {w.kind for f in pasted.frames for w in f.warnings}
    assert {MISMATCH, NOT_BOUNDARY} <= kinds

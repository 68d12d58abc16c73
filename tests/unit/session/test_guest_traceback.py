"""Go's printed traceback is used for the stack only where it fits the module: never taken on trust."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import SAMPLES
from wasmdbg.session.guest_traceback import with_go_traceback
from wasmdbg.symbols.go import is_go_module
from wasmdbg.symbols.frames import NAME, TRACEBACK, SourceFrame
from wasmdbg.symbols.stack import StackFrame
from wasmdbg.wasm.module import read_module

BUILD = SAMPLES / "build"
GO = read_module((BUILD / "gopanic.wasm").read_bytes())
TRACE = (Path(__file__).resolve().parents[2] / "fixtures/backtraces/go/go_wasip1_index_panic.txt").read_text()


def test_only_a_go_module_is_taken_for_one() -> None:
    assert is_go_module(GO)
    assert not is_go_module(read_module((BUILD / "divzero.O0.wasm").read_bytes()))


def test_an_exit_gets_the_tracebacks_frames_with_the_modules_function_indices() -> None:
    stack = with_go_traceback((), TRACE, GO)
    names = GO.names.functions if GO.names else {}
    assert [(names[f.func_index or 0], f.sources[0].file, f.sources[0].line) for f in stack] == [
        ("main.__inventory_.pick", "./gopanic.go", 15), ("main.restock", "./gopanic.go", 21), ("main.main", "./gopanic.go", 27),
    ]  # fmt: skip
    assert all(f.module_offset is None and f.sources[0].source == TRACEBACK for f in stack)


def test_a_traceback_naming_a_function_the_module_lacks_is_not_used_at_all() -> None:
    forged = TRACE.replace("main.restock(", "main.refill(")
    assert with_go_traceback((), forged, GO) == ()
    wasm = (StackFrame(1634, 1000, (SourceFrame("main.__inventory_.pick", source=NAME),)),)
    assert with_go_traceback(wasm, forged, GO) == wasm


def test_a_wasm_frame_gets_the_traceback_line_only_where_the_function_matches_in_order() -> None:
    pick = StackFrame(1634, 1000, (SourceFrame("main.__inventory_.pick", source=NAME),))
    other = StackFrame(654, 900, (SourceFrame("runtime.goPanicIndex", source=NAME),))
    stack = with_go_traceback((other, pick), TRACE, GO)
    assert stack[0] == other  # not in this traceback (it hides runtime frames by default)
    assert (stack[1].module_offset, stack[1].sources[0].function, stack[1].sources[0].line) == (1000, "main.(*inventory).pick", 15)


def test_a_traceback_in_a_module_of_another_language_is_ignored() -> None:
    divzero = read_module((BUILD / "divzero.O0.wasm").read_bytes())
    assert with_go_traceback((), TRACE, divzero) == ()

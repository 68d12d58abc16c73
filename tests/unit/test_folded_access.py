"""A memory fault the engine reports at the arithmetic that uses a loaded value names the load, not the arithmetic."""

from __future__ import annotations

from tests.helpers import wat
from wasmdbg.explanation.instruction import memory_access, touches_memory
from wasmdbg.explanation.memory import explain_memory_fault
from wasmdbg.runner.protocol import TRAPPED, Outcome
from wasmdbg.symbols.frames import NAME, SourceFrame
from wasmdbg.symbols.stack import StackFrame
from wasmdbg.wasm.instructions import iter_instructions
from wasmdbg.wasm.module import read_module

MODULE = read_module(wat("""
(module
  (memory 1)
  (func $scale (param $p i32) (param $k i32) (result i32)
    local.get $k
    local.get $p
    i32.load offset=8
    i32.mul))
"""))


def _offset(mnemonic: str) -> int:
    body = MODULE.body(0)
    assert body is not None
    return next(i.offset for i in iter_instructions(MODULE.data, body.code_offset, body.end) if i.mnemonic == mnemonic)


def _stack(offset: int) -> tuple[StackFrame, ...]:
    return (StackFrame(0, offset, (SourceFrame("scale", source=NAME),)),)


def test_a_fault_reported_at_a_mul_is_the_load_before_it() -> None:
    access, reported = memory_access(_stack(_offset("i32.mul")), MODULE)
    assert access is not None and reported is not None
    assert (access.mnemonic, access.offset, reported.mnemonic) == ("i32.load", _offset("i32.load"), "i32.mul")
    outcome = Outcome(TRAPPED, trap_kind="memory_out_of_bounds", fault_address=0x10004, memory_size=0x10000)
    text = " ".join(explain_memory_fault(outcome, _stack(_offset("i32.mul")), MODULE))
    assert f"the i32.load at 0x{_offset('i32.load'):x}" in text and "reports the fault at the i32.mul" in text


def test_a_fault_reported_at_the_load_itself_is_that_load() -> None:
    access, reported = memory_access(_stack(_offset("i32.load")), MODULE)
    assert access is not None and access.mnemonic == "i32.load" and reported is None


def test_a_non_access_with_no_access_before_it_stays_what_was_reported() -> None:
    access, reported = memory_access(_stack(_offset("local.get")), MODULE)
    assert access is not None and access.mnemonic == "local.get" and reported is None


def test_which_instructions_touch_memory() -> None:
    assert all(touches_memory(m) for m in ("i32.load", "i64.store8", "v128.load", "memory.copy", "i32.atomic.rmw.add"))
    assert not any(touches_memory(m) for m in ("i32.mul", "memory.size", "memory.grow", "call", "local.get"))

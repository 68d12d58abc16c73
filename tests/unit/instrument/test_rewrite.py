"""The instrumenting rewriter: shifted references, captured locals, dropped DWARF, exact offsets.

Checked against wasm-tools (an independent parser and printer): the rewritten module validates,
its name section names the same bodies, and every instruction `wasm-tools print --print-offsets`
shows in the rewritten code maps back to an instruction with the same text in the original.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import wasmtime

from tests.helpers import SAMPLES, wasm_tools, wat
from wasmdbg.instrument import ADDED_EXPORT_PREFIX, CALL, POINT, RETURN, Instrumented, instrument, probe_points
from wasmdbg.runner.engine import make_config
from wasmdbg.wasm.module import read_module

_TYPES = {"i32": wasmtime.ValType.i32, "i64": wasmtime.ValType.i64, "f32": wasmtime.ValType.f32, "f64": wasmtime.ValType.f64}

REFERENCES = """(module
  (import "env" "log" (func $log (param i32)))
  (import "env" "base" (global $base i32))
  (table 8 funcref)
  (memory 1)
  (global $ref funcref (ref.func $two))
  (global $counter (mut i32) (i32.const 0))
  (elem (i32.const 0) $one $two)
  (elem func $one)
  (elem (table 0) (i32.const 2) func $three)
  (elem declare func $three)
  (elem (i32.const 3) funcref (ref.func $one))
  (elem funcref (ref.func $two) (ref.null func))
  (start $init)
  (func $init (global.set $counter (i32.const 5)))
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (func $three (result i32) (drop (ref.func $three)) (i32.const 3))
  (func (export "via_table") (param i32) (result i32) (call_indirect (result i32) (local.get 0)))
  (func (export "tail") (result i32) (return_call $two))
  (func (export "counter") (result i32) (i32.add (global.get $counter) (global.get $base)))
  (func (export "log_and_add") (param $a i32) (param $b i64) (param $c f32) (param $d f64) (result i64)
    (local $v v128) (local $e i32)
    (local.set $e (i32.const 9))
    (call $log (local.get $a))
    (i64.add (local.get $b) (i64.extend_i32_s (local.get $e))))
  (func (export "table_init") (result i32) (table.init 0 1 (i32.const 6) (i32.const 0) (i32.const 1)) (call_indirect (result i32) (i32.const 6)))
)"""


def instantiate(data: bytes, instrumented: Instrumented | None, seen: list[tuple[int, tuple[Any, ...]]]) -> tuple[wasmtime.Store, wasmtime.Instance]:
    engine = wasmtime.Engine(make_config())
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    linker.define(store, "env", "log", wasmtime.Func(store, wasmtime.FuncType([wasmtime.ValType.i32()], []), lambda v: None))
    base = wasmtime.Global(store, wasmtime.GlobalType(wasmtime.ValType.i32(), False), wasmtime.Val.i32(100))
    linker.define(store, "env", "base", base)
    if instrumented is not None:
        for spec in instrumented.imports:

            def hit(probe_id: int, *values: Any) -> None:
                seen.append((probe_id, values))

            func_type = wasmtime.FuncType([_TYPES[t]() for t in spec.params], [])
            linker.define(store, "wasmdbg", spec.name, wasmtime.Func(store, func_type, hit))
    return store, linker.instantiate(store, wasmtime.Module(engine, data))


def calls(store: wasmtime.Store, instance: wasmtime.Instance) -> dict[str, object]:
    exports = instance.exports(store)
    out: dict[str, object] = {f"via_table {i}": exports["via_table"](store, i) for i in range(4)}
    out["tail"] = exports["tail"](store)
    out["counter"] = exports["counter"](store)
    out["log_and_add"] = exports["log_and_add"](store, 1, 2, 3.0, 4.0)
    out["table_init"] = exports["table_init"](store)
    return out


def everything(data: bytes) -> Instrumented:
    module = read_module(data)
    sites = [i.offset for b in module.bodies for i in module.instructions(b.func_index) if i.mnemonic.startswith("call")]
    return instrument(data, probe_points(module), call_sites=sites)


def test_every_kind_of_function_reference_is_shifted_and_the_results_are_the_same() -> None:
    data = wat(REFERENCES)
    rewritten = everything(data)
    assert rewritten.added_imports >= 2
    wasm_tools("validate", "-", input=rewritten.data)
    seen: list[tuple[int, tuple[Any, ...]]] = []
    expected = calls(*instantiate(data, None, seen))
    assert calls(*instantiate(rewritten.data, rewritten, seen)) == expected == {
        "via_table 0": 1, "via_table 1": 2, "via_table 2": 3, "via_table 3": 1, "tail": 2, "counter": 105,
        "log_and_add": 11, "table_init": 1,
    }  # fmt: skip
    assert seen  # the probes ran


def test_the_name_section_still_names_each_body() -> None:
    data = wat(REFERENCES)
    rewritten = everything(data)
    printed = wasm_tools("print", "-", input=rewritten.data)
    original = wasm_tools("print", "-", input=data)
    for name in ("init", "one", "two", "three"):
        before = int(re.search(rf"\(func \${name} \(;(\d+);\)", original).group(1))  # type: ignore[union-attr]
        after = int(re.search(rf"\(func \${name} \(;(\d+);\)", printed).group(1))  # type: ignore[union-attr]
        assert after == before + rewritten.added_imports
        assert rewritten.original_function(after) == before
    assert "(start $init)" in printed and "(elem (;0;) (i32.const 0) func $one $two)" in printed
    assert rewritten.original_function(0) == 0  # an import keeps its index
    assert rewritten.original_function(1) is None  # a probe import is not the program's


def test_probes_receive_the_numeric_locals_and_skip_v128() -> None:
    data = wat(REFERENCES)
    module = read_module(data)
    target = next(b for b in module.bodies if (("func", b.func_index) in module.export_names and module.export_names[("func", b.func_index)] == "log_and_add"))
    log_call = next(i for i in module.instructions(target.func_index) if i.mnemonic == "call")
    rewritten = instrument(data, [log_call.offset], call_sites=[log_call.offset])
    kinds = [p.kind for p in rewritten.probes]
    assert kinds == [POINT, CALL, RETURN]
    point = rewritten.probes[0]
    assert point.locals == (0, 1, 2, 3, 5) and point.skipped == (4,)
    seen: list[tuple[int, tuple[Any, ...]]] = []
    store, instance = instantiate(rewritten.data, rewritten, seen)
    instance.exports(store)["log_and_add"](store, -7, 2**40, 1.5, -2.25)
    assert seen[0] == (0, (-7, 2**40, 1.5, -2.25, 9))
    assert seen[1] == (1, (-7, 2**40, 1.5, -2.25, 9)) and seen[2] == (2, ())


def test_memories_globals_and_the_unwind_helper_are_exported_by_unclaimed_names() -> None:
    rewritten = everything(wat(REFERENCES))
    assert rewritten.memory_exports == {0: f"{ADDED_EXPORT_PREFIX}memory_0"}
    assert set(rewritten.global_exports) == {0, 1, 2}
    store, instance = instantiate(rewritten.data, rewritten, [])
    exports = instance.exports(store)
    assert exports[rewritten.global_exports[2]].value(store) == 5  # $counter, set by the start function
    assert isinstance(exports[rewritten.memory_exports[0]], wasmtime.Memory)
    with pytest.raises(wasmtime.Trap) as trap:
        exports[rewritten.unwind_export](store)
    assert trap.value.trap_code == wasmtime.TrapCode.UNREACHABLE


def test_dwarf_and_offset_keyed_sections_are_dropped() -> None:
    data = (SAMPLES / "build" / "ledger.O0.wasm").read_bytes()
    assert read_module(data).dwarf.sections
    rewritten = read_module(instrument(data, []).data)
    assert rewritten.dwarf.sections == () and rewritten.names is not None
    assert {s.name for s in rewritten.sections if s.is_custom} <= {"name", "producers", "target_features"}


_LINE = re.compile(r"^\(;@([0-9a-f]+)\s*;\)\s+(.*)$")


def printed_code(data: bytes) -> dict[int, str]:
    """Instruction offset -> text, as `wasm-tools print --print-offsets` shows the code."""
    out: dict[int, str] = {}
    inside = False
    for line in wasm_tools("print", "--print-offsets", "-", input=data).splitlines():
        match = _LINE.match(line.strip())
        if not match:
            continue
        offset, text = int(match.group(1), 16), match.group(2)
        if text.startswith("(func "):
            inside = True
        elif text.startswith("(") and not text.startswith("(local"):
            inside = text.startswith("(func ")
        elif inside and not text.startswith("(local"):
            # wasm-tools tells apart functions that share a name by their index: `$"#func65 dummy"`.
            out[offset] = re.sub(r"#func\d+ ", "#func ", text)
    return out


@pytest.mark.parametrize("sample", ["ledger.O0.wasm", "ledger.O2.wasm", "cpp_abort.O0.wasm"])
def test_every_rewritten_instruction_maps_back_to_the_same_instruction(sample: str) -> None:
    data = (SAMPLES / "build" / sample).read_bytes()
    rewritten = everything(data)
    before, after = printed_code(data), printed_code(rewritten.data)
    probe_calls = {f"call {rewritten.imported_functions + k}" for k in range(rewritten.added_imports)}
    inserted = sum(2 + len(p.locals) for p in rewritten.probes)
    matched: dict[int, int] = {}
    unmatched, helper = 0, 0
    for offset, text in after.items():
        original = rewritten.original_offset(offset)
        if original is not None and before.get(original) == text:
            matched[original] = matched.get(original, 0) + 1
        elif original is None:
            helper += 1  # the unwind helper's body, which is no original code
            assert text in ("unreachable", ")")  # `)` is its final `end`
        else:
            unmatched += 1
            assert text in probe_calls or text.startswith(("i32.const", "local.get")), (hex(offset), text)
    # A probe's `local.get 0` may read like the instruction it precedes; it is counted as inserted.
    assert unmatched + sum(count - 1 for count in matched.values()) == inserted and helper == 2
    assert set(matched) == set(before)
    assert rewritten.original_offset(len(rewritten.data) - 1) is None


def test_a_module_without_imports_exports_or_functions_gains_them() -> None:
    data = wat("(module (memory 1))")
    rewritten = instrument(data, [])
    wasm_tools("validate", "-", input=rewritten.data)
    module = read_module(rewritten.data)
    assert module.function_count == 1 and module.export_names[("func", 0)] == rewritten.unwind_export


def test_points_that_are_not_instruction_starts_are_ignored() -> None:
    data = wat("(module (func (export \"f\") (result i32) (i32.const 1000)))")
    body = read_module(data).bodies[0]
    rewritten = instrument(data, [body.code_offset + 1, body.end + 10])
    assert rewritten.probes == ()
    wasm_tools("validate", "-", input=rewritten.data)


def test_guarded_probes_run_only_while_their_guard_byte_is_zero() -> None:
    data = wat(REFERENCES)
    module = read_module(data)
    target = next(b for b in module.bodies if module.export_names.get(("func", b.func_index)) == "log_and_add")
    first = next(iter(module.instructions(target.func_index))).offset
    rewritten = instrument(data, [first], guarded=True)
    wasm_tools("validate", "-", input=rewritten.data)
    assert rewritten.guard_export is not None and rewritten.guard_export not in rewritten.memory_exports.values()
    seen: list[tuple[int, tuple[Any, ...]]] = []
    store, instance = instantiate(rewritten.data, rewritten, seen)
    exports = instance.exports(store)
    call = lambda: exports["log_and_add"](store, 1, 2, 3.0, 4.0)  # noqa: E731
    assert call() == 11 and len(seen) == 1  # every guard starts on
    guards = exports[rewritten.guard_export]
    guards.write(store, b"\x01", rewritten.probes[0].id)
    assert call() == 11 and len(seen) == 1  # off: the probe is skipped, the result the same
    guards.write(store, b"\x00", rewritten.probes[0].id)
    assert call() == 11 and len(seen) == 2


def test_a_guarded_module_without_a_memory_gets_one_for_its_guards() -> None:
    data = wat('(module (func (export "f") (result i32) (i32.const 7)))')
    body = read_module(data).bodies[0]
    rewritten = instrument(data, [body.code_offset], guarded=True)
    wasm_tools("validate", "-", input=rewritten.data)
    seen: list[tuple[int, tuple[Any, ...]]] = []
    engine = wasmtime.Engine(make_config())
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    for spec in rewritten.imports:
        linker.define(store, "wasmdbg", spec.name, wasmtime.Func(store, wasmtime.FuncType([wasmtime.ValType.i32()], []), lambda i: seen.append((i, ()))))
    instance = linker.instantiate(store, wasmtime.Module(engine, rewritten.data))
    assert instance.exports(store)["f"](store) == 7 and seen == [(0, ())]

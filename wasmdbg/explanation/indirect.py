"""Traps of `call_indirect` and tables: the expected type, the table's slots and what fills them."""

from __future__ import annotations

from collections.abc import Sequence

from wasmdbg.explanation.instruction import faulting_instruction
from wasmdbg.explanation.names import function_label, innermost
from wasmdbg.symbols.stack import StackFrame
from wasmdbg.wasm.entities import TABLE
from wasmdbg.wasm.module import WasmModule
from wasmdbg.wasm.segments import ACTIVE
from wasmdbg.wasm.types import CompositeType, TableType

MAX_LISTED = 6
"""Table slots listed for a `call_indirect` before the rest are counted instead."""

INDIRECT_TRAPS = ("bad_signature", "indirect_call_to_null", "table_out_of_bounds")
"""The trap kinds this module explains."""

_WHAT = {
    "bad_signature": "made an indirect call to a function of the wrong type",
    "indirect_call_to_null": "made an indirect call through a null (uninitialised) table slot",
    "table_out_of_bounds": "accessed a table beyond its size",
}


def _table_slots(module: WasmModule, table: int) -> dict[int, int]:
    """Slot -> function index, as the active element segments with constant offsets initialise `table`."""
    slots: dict[int, int] = {}
    for segment in module.elements:
        if segment.mode != ACTIVE or segment.table_index != table or segment.offset is None:
            continue
        for i, func in enumerate(segment.functions):
            if func is not None:
                slots[segment.offset + i] = func
    return slots


def _table_type(module: WasmModule, table: int) -> TableType | None:
    imported = [i.type for i in module.imports if i.kind == TABLE]
    tables = [t for t in imported if isinstance(t, TableType)] + list(module.tables)
    return tables[table] if 0 <= table < len(tables) else None


def _same_type(a: CompositeType | None, b: CompositeType | None) -> bool:
    return a is not None and b is not None and (a.kind, a.params, a.results) == (b.kind, b.params, b.results)


def _slot_list(module: WasmModule, entries: list[tuple[int, int]], with_type: bool) -> str:
    shown = []
    for slot, func in entries[:MAX_LISTED]:
        text = f"slot {slot} {function_label(module, func)}"
        ftype = module.function_type(func)
        if with_type and ftype is not None:
            text += f" {ftype.signature()}"
        shown.append(text)
    if len(entries) > MAX_LISTED:
        shown.append(f"{len(entries) - MAX_LISTED} more")
    return ", ".join(shown)


def explain_indirect(kind: str, stack: Sequence[StackFrame], module: WasmModule) -> list[str]:
    """Sentences for a trap of kind `kind` (one of INDIRECT_TRAPS).

    Args:
        kind: the trap kind.
        stack: the symbolized stack, innermost first.
        module: the module that ran; its type, table and element sections give the detail.

    Returns:
        One or two sentences.
    """
    where = innermost(stack)
    instruction = faulting_instruction(stack, module)
    if instruction is None or instruction.mnemonic not in ("call_indirect", "return_call_indirect"):
        return [f"The program {_WHAT[kind]}{where}."]
    type_index, table = instruction.immediates[0], instruction.immediates[1]
    expected = module.types[type_index] if 0 <= type_index < len(module.types) else None
    slots = sorted(_table_slots(module, table).items())
    table_type = _table_type(module, table)
    size = f"{table_type.limits.min}-slot " if table_type is not None else ""
    if kind == "bad_signature":
        signature = expected.signature() if expected is not None else f"type {type_index}"
        sentences = [
            (
                f"An indirect call{where} failed its type check: {instruction.mnemonic} expects type {type_index} "
                f"{signature} (table {table}), but the function in the slot it used has another type."
            )
        ]
        matching = [(s, f) for s, f in slots if _same_type(module.function_type(f), expected)]
        other = [(s, f) for s, f in slots if not _same_type(module.function_type(f), expected)]
        if slots:
            text = "The slot index is computed at run time; as the element segments fill the table, "
            text += f"the functions of type {type_index} are in {_slot_list(module, matching, False)}" if matching else (
                f"no slot holds a function of type {type_index}"
            )
            if other:
                text += f", and those of other types are in {_slot_list(module, other, True)}"
            sentences.append(text + ".")
        return sentences
    if kind == "indirect_call_to_null":
        filled = ", ".join(str(s) for s, _ in slots[: MAX_LISTED * 2])
        fills = f"fill slot{'s' if len(slots) > 1 else ''} {filled}" if slots else "fill no slot"
        return [
            (
                f"An indirect call{where} ({instruction.mnemonic} on table {table}) used a null slot. "
                f"The element segments {fills} of the {size}table; the slot index is computed at run time."
            )
        ]
    return [
        (
            f"An indirect call{where} ({instruction.mnemonic} on table {table}) used a slot index past the end of "
            f"the {size}table; the index is computed at run time."
        )
    ]

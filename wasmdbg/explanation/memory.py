"""Linear memory: faults placed against the module's memory regions, and a run that met the memory cap."""

from __future__ import annotations

from collections.abc import Sequence

from wasmdbg.explanation.instruction import memory_access
from wasmdbg.explanation.names import innermost
from wasmdbg.facts import page_bytes
from wasmdbg.runner.limits import RunLimits, memory_cap_hit
from wasmdbg.runner.protocol import Finished, Outcome
from wasmdbg.symbols.stack import StackFrame
from wasmdbg.text import describe_bytes
from wasmdbg.wasm.entities import GLOBAL
from wasmdbg.wasm.module import WasmModule
from wasmdbg.wasm.segments import ACTIVE, const_value


def _global_values(module: WasmModule) -> dict[str, int]:
    """Constant initial values of globals named by an export or the name section (`__heap_base`, `__stack_pointer`)."""
    imported = sum(1 for i in module.imports if i.kind == GLOBAL)
    names: dict[int, str] = dict(module.names.globals) if module.names else {}
    names.update({e.index: e.name for e in module.exports if e.kind == GLOBAL})
    values = {}
    for index, name in names.items():
        defined = index - imported
        if 0 <= defined < len(module.globals):
            value = const_value(module.globals[defined].init)
            if value is not None:
                values[name] = value
    return values


def explain_memory_fault(outcome: Outcome, stack: Sequence[StackFrame], module: WasmModule) -> list[str]:
    """Sentences for an out-of-bounds memory access: the access, the address against the memory, the regions.

    Args:
        outcome: the trap's outcome (`fault_address` and `memory_size` when wasmtime reported them).
        stack: the symbolized stack, innermost first.
        module: the module that ran; its globals and data segments mark the regions.

    Returns:
        One or two sentences.
    """
    address = outcome.fault_address
    size = outcome.memory_size
    where = innermost(stack)
    instruction, reported = memory_access(stack, module)
    access = instruction.mnemonic if instruction is not None else ""
    if reported is not None and instruction is not None:  # the engine folded the access into its user
        access = (
            f"the {access} at 0x{instruction.offset:x} (the engine reports the fault at the {reported.mnemonic} "
            f"at 0x{reported.offset:x} that uses its value: it folded the access into it)"
        )
    if address is None:
        return [f"The program accessed linear memory out of bounds{where}; wasmtime did not report the address."]
    sentence = f"Memory fault{where}: {access or 'an access'} at 0x{address:x}"
    if size is not None:
        if address >= size:
            sentence += f", beyond the end of the 0x{size:x}-byte ({describe_bytes(size)}) linear memory, 0x{address - size:x} bytes past it"
        else:
            sentence += f", which runs past the end of the 0x{size:x}-byte ({describe_bytes(size)}) linear memory"
    sentences = [sentence + "."]
    regions = _regions(module, address, size)
    if regions:
        sentences.append(regions)
    return sentences


def _regions(module: WasmModule, address: int, size: int | None) -> str:
    values = _global_values(module)
    parts = []
    data = [(d.offset, d.offset + d.size) for d in module.data_segments
            if d.mode == ACTIVE and d.memory_index == 0 and d.offset is not None and d.size]  # fmt: skip
    data_end = values.get("__data_end")
    if data:
        start, end = min(s for s, _ in data), max(e for _, e in data)
        if data_end is not None and data_end >= end:
            parts.append(f"static data occupies 0x{start:x}–0x{data_end:x} (__data_end)")
        else:
            parts.append(f"the data segments occupy 0x{start:x}–0x{end:x}")
        if address < start:
            parts.append(f"0x{address:x} lies below the first data segment, near address 0")
        elif address < max(end, data_end or 0):
            parts.append(f"0x{address:x} lies in static data")
    stack_pointer = values.get("__stack_pointer")
    if stack_pointer is not None:
        parts.append(f"__stack_pointer starts at 0x{stack_pointer:x} and the stack grows down from there")
    heap_base = values.get("__heap_base")
    if heap_base is not None:
        end_text = f" to the end of memory at 0x{size:x}" if size is not None else ""
        parts.append(f"the heap runs from __heap_base 0x{heap_base:x}{end_text}")
        if size is not None and heap_base <= address < size:
            parts.append(f"0x{address:x} lies in the heap")
    elif size is not None:
        parts.append(f"the memory ends at 0x{size:x}")
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _page_bytes(finished: Finished, module: WasmModule) -> int:
    """Bytes per page of memory 0: as the agent measured it, else as the module declares it."""
    if finished.page_bytes:
        return finished.page_bytes[0]
    return page_bytes(module.memories[0].limits.page_size_log2 if module.memories else None)


def explain_memory_cap(finished: Finished, module: WasmModule, limits: RunLimits) -> str:
    """The sentence for a memory that grew into the cap, "" when it did not (or nothing says so).

    Args:
        finished: the run's final figures (`peak_pages`, `page_bytes`).
        module: the module that ran; memory 0's initial size and page size.
        limits: the limits the run had (`max_memory_bytes`).

    Returns:
        One sentence, or "".
    """
    cap = limits.max_memory_bytes
    if cap is None or not finished.peak_pages:
        return ""
    peak_pages = finished.peak_pages[0]
    peak = peak_pages * _page_bytes(finished, module)
    initial = module.memories[0].limits.min if module.memories else None
    # A memory that never grew did not meet the cap, however small the cap is.
    if not memory_cap_hit(peak, cap) or (initial is not None and peak_pages <= initial):
        return ""
    grew = f" (grown from {initial} to {peak_pages} pages)" if initial is not None else f" ({peak_pages} pages)"
    return (
        f"Linear memory reached {describe_bytes(peak)}{grew} of the {describe_bytes(cap)} cap (max-memory-size); "
        f"memory.grow past the cap fails and returns -1, which is how allocators see an exhausted heap."
    )

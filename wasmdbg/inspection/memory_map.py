"""Where a module's linear memory keeps its static data, its stack and its heap.

A wasm module says nothing about a stack or a heap: they are conventions of the linker. This
module reads them back from the layout wasm-ld produces, which clang (wasi-sdk, emscripten) and
rustc all use:

- static data is laid out from the global base (1024 by default) as active data segments of
  memory 0 with constant offsets; `.bss` is zero-filled and has no segment, but `__data_end`
  (when exported) says where it ends;
- the stack is the range the mutable global `__stack_pointer` moves in: it starts at the stack's
  top and grows down. By default the stack sits above the data (`[__data_end, SP)`); with
  `--stack-first` (rustc's default) it sits below it, `[0, SP)`, and the data follows;
- the heap is everything from `__heap_base` (the first byte above the stack, or above the data
  with `--stack-first`) to the end of memory, which `memory.grow` moves.

Every rule here is a guess a module may defeat (a custom linker script, a hand-written module),
so nothing raises: what could be inferred is returned, with `notes` saying how.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from wasmdbg.facts import page_bytes
from wasmdbg.wasm.entities import GLOBAL, Global
from wasmdbg.wasm.instructions import Instruction
from wasmdbg.wasm.module import WasmModule
from wasmdbg.wasm.segments import ACTIVE, PASSIVE
from wasmdbg.wasm.types import GlobalType

DATA, STACK, HEAP = "data", "stack", "heap"
"""The kinds of `MemoryRegion`."""

STACK_POINTER, HEAP_BASE, DATA_END = "__stack_pointer", "__heap_base", "__data_end"
STACK_LOW, HEAP_END = "__stack_low", "__heap_end"
"""wasm-ld's symbols, present as globals when the module exports them (or names them)."""

_ADDRESS_MASKS = {"i32.const": (1 << 32) - 1, "i64.const": (1 << 64) - 1}
"""Constant expressions whose value is an address; immediates are signed, addresses are not."""


@dataclass(frozen=True, slots=True)
class MemoryRegion:
    """A range of linear memory 0 with a role: static data, the stack or the heap."""

    kind: str
    """DATA, STACK or HEAP."""
    start: int
    end: int
    """Exclusive."""
    label: str
    """What it is, for display: `data .rodata`, `stack (grows down from 0x11310)`."""

    def __contains__(self, address: int) -> bool:
        return self.start <= address < self.end


@dataclass(frozen=True, slots=True)
class MemoryMap:
    """The regions of a module's memory 0, as far as its layout gives them away."""

    regions: tuple[MemoryRegion, ...] = ()
    """Sorted by start, non-overlapping, none empty."""
    stack_pointer_global: int | None = None
    """Global index (imports first) of `__stack_pointer`, if found."""
    stack_pointer_initial: int | None = None
    """The stack pointer's initial value: the top of the stack."""
    notes: tuple[str, ...] = ()
    """How the regions were inferred, and what could not be."""
    _starts: tuple[int, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", tuple(r.start for r in self.regions))

    def region_at(self, address: int) -> MemoryRegion | None:
        """The region holding `address`, or None."""
        i = bisect.bisect_right(self._starts, address) - 1
        if i >= 0 and address in self.regions[i]:
            return self.regions[i]
        return None


@dataclass(frozen=True, slots=True)
class _Symbol:
    """A global that a name points at, with its constant initial value if it has one."""

    index: int
    value: int | None
    mutable: bool
    val_type: str
    imported: bool


def memory_map(
    module: WasmModule,
    *,
    memory_size: int | None = None,
    stack_pointer: int | None = None,
) -> MemoryMap:
    """Mark the data segments, the stack and the heap of a module's memory 0.

    Args:
        module: the module, as read by `read_module`.
        memory_size: memory 0's current size in bytes, if known; the heap ends there.
            Without it the heap runs to the largest size the memory may reach.
        stack_pointer: the current value of `__stack_pointer`, if the caller could read it;
            it refines the stack's label, not its range.

    Returns:
        The regions found, with notes on how; an empty map (with a note) for a module without
        memory. Never raises on odd modules.
    """
    if not module.memories:
        return MemoryMap(notes=("the module has no memory",))
    notes: list[str] = []
    symbols = _symbols(module)
    data = _data_regions(module, notes)
    sp, sp_global = _stack_pointer(module, symbols, notes)
    data_end = _value(symbols, DATA_END)
    regions = list(data)
    highest = max((r.end for r in data), default=None)
    if data_end is not None and highest is not None and data_end > highest:
        # wasm-ld drops the zero-filled .bss from the data section; __data_end still counts it.
        regions.append(
            MemoryRegion(DATA, highest, data_end, "data (zero-filled, to __data_end)")
        )
    stack_first = False
    stack_top: int | None = None
    if sp is not None:
        stack, stack_first = _stack_region(sp, data, symbols, stack_pointer, notes)
        if stack is not None:
            regions.append(stack)
            stack_top = stack.end
    heap = _heap_region(
        module, symbols, data, stack_top, stack_first, memory_size, notes
    )
    if heap is not None:
        regions.append(heap)
    return MemoryMap(_without_overlaps(regions, notes), sp_global, sp, tuple(notes))


# -- globals and their names -------------------------------------------------------------


def _const_address(expr: tuple[Instruction, ...]) -> int | None:
    """The unsigned value of an `i32.const`/`i64.const` constant expression, else None."""
    if len(expr) == 2 and expr[0].mnemonic in _ADDRESS_MASKS and expr[0].immediates:
        value = expr[0].immediates[0]
        if isinstance(value, int):
            return value & _ADDRESS_MASKS[expr[0].mnemonic]
    return None


def _symbols(module: WasmModule) -> dict[str, _Symbol]:
    """Globals by name: from the name section, import field names, then exports (which win).

    Name-section and export indices are in the global index space, where imports come first.
    """
    imported = [i for i in module.imports if i.kind == GLOBAL]
    names: dict[str, int] = {}
    if module.names is not None:
        names.update({name: index for index, name in module.names.globals.items()})
    names.update({i.field: index for index, i in enumerate(imported)})
    names.update({e.name: e.index for e in module.exports if e.kind == GLOBAL})
    symbols: dict[str, _Symbol] = {}
    for name, index in names.items():
        symbol = _symbol(module, index, len(imported))
        if symbol is not None:
            symbols[name] = symbol
    return symbols


def _symbol(module: WasmModule, index: int, imported: int) -> _Symbol | None:
    if index < imported:
        global_type = [i.type for i in module.imports if i.kind == GLOBAL][index]
        if not isinstance(global_type, GlobalType):
            return None
        return _Symbol(index, None, global_type.mutable, global_type.val_type, True)
    defined = index - imported
    if not 0 <= defined < len(module.globals):
        return None
    g: Global = module.globals[defined]
    value = _const_address(g.init)
    return _Symbol(index, value, g.type.mutable, g.type.val_type, imported=False)


def _value(symbols: dict[str, _Symbol], name: str) -> int | None:
    symbol = symbols.get(name)
    return symbol.value if symbol is not None else None


def _stack_pointer(
    module: WasmModule, symbols: dict[str, _Symbol], notes: list[str]
) -> tuple[int | None, int | None]:
    """(initial value, global index) of the stack pointer, or Nones with a note."""
    symbol = symbols.get(STACK_POINTER)
    if symbol is not None:
        if symbol.imported:
            # PIC and shared-memory builds import it: the host (or the dynamic linker) sets it.
            notes.append(
                "__stack_pointer is imported: its initial value is set by the host, "
                "so the stack is not marked"
            )
            return None, symbol.index
        if symbol.value is None:
            notes.append(
                "__stack_pointer has no constant initial value: stack not marked"
            )
            return None, symbol.index
        return symbol.value, symbol.index
    # Without a name section, wasm-ld still puts __stack_pointer first: global 0, a mutable
    # i32 (i64 on wasm64) initialised to the top of the stack.
    imported = sum(1 for i in module.imports if i.kind == GLOBAL)
    if imported == 0 and module.globals:
        g = module.globals[0]
        value = _const_address(g.init)
        if g.type.mutable and g.type.val_type in ("i32", "i64") and value is not None:
            notes.append(
                "no global is named __stack_pointer: assumed global 0 is the stack "
                "pointer (wasm-ld's layout), as it is a mutable "
                f"{g.type.val_type} initialised to 0x{value:x}"
            )
            return value, 0
    notes.append("no __stack_pointer global: stack not marked")
    return None, None


# -- regions ------------------------------------------------------------------------------


def _data_regions(module: WasmModule, notes: list[str]) -> list[MemoryRegion]:
    """One DATA region per active segment of memory 0 with a constant offset."""
    names = module.names.data_segments if module.names is not None else {}
    regions: list[MemoryRegion] = []
    passive = other_memory = unplaced = 0
    for index, segment in enumerate(module.data_segments):
        if segment.mode == PASSIVE:
            passive += 1  # copied by memory.init at run time, to wherever the code says
            continue
        if segment.mode != ACTIVE or segment.memory_index != 0:
            other_memory += 1
            continue
        start = _segment_offset(module, segment.offset)
        if start is None:
            unplaced += 1  # e.g. `global.get $__memory_base` in a PIC module
            continue
        if segment.size == 0:
            continue
        name = names.get(index)
        label = f"data {name}" if name else f"data segment {index}"
        regions.append(MemoryRegion(DATA, start, start + segment.size, label))
    if passive:
        notes.append(
            f"{_count(passive, 'passive data segment')} not marked: "
            "memory.init places such segments at run time"
        )
    if other_memory:
        notes.append(
            f"{_count(other_memory, 'data segment')} of other memories not marked"
        )
    if unplaced:
        notes.append(
            f"{_count(unplaced, 'data segment')} with a non-constant offset not marked"
        )
    regions.sort(key=lambda r: r.start)
    return regions


def _segment_offset(module: WasmModule, offset: int | None) -> int | None:
    """The segment's address, unsigned; the reader's `offset` is the signed immediate."""
    if offset is None:
        return None
    is64 = module.memories[0].limits.is64
    return offset & ((1 << 64) - 1 if is64 else (1 << 32) - 1)


def _stack_region(
    sp: int,
    data: list[MemoryRegion],
    symbols: dict[str, _Symbol],
    current: int | None,
    notes: list[str],
) -> tuple[MemoryRegion | None, bool]:
    """The stack, from its low end up to the stack pointer's initial value; and whether it
    lies below the data (`--stack-first`)."""
    first_data = min((r.start for r in data), default=None)
    stack_low = _value(symbols, STACK_LOW)
    data_end = _value(symbols, DATA_END)
    stack_first = False
    if stack_low is not None and stack_low <= sp:
        low, how = stack_low, "__stack_low"
    elif first_data is not None and sp <= first_data:
        # --stack-first: the stack takes [0, SP) and the data starts at (or above) SP.
        low, how, stack_first = 0, "address 0 (the stack lies below the data)", True
    elif data_end is not None and data_end <= sp:
        low, how = data_end, "__data_end"
    else:
        below = [r.end for r in data if r.end <= sp]
        if below:
            # .bss (no segment) lies between the last segment and the stack: part of it
            # may be counted as stack here.
            low = max(below)
            how = (
                "the end of the highest data segment below it (.bss may lie above that)"
            )
        else:
            low, how = 0, "address 0 (no data below the stack pointer)"
    notes.append(f"stack: from {how} up to __stack_pointer's initial 0x{sp:x}")
    if low >= sp:
        notes.append("the stack is empty: its low end is at the stack pointer")
        return None, stack_first
    label = f"stack (grows down from 0x{sp:x}"
    if current is not None:
        if low <= current <= sp:
            label += f", in use from 0x{current:x}"
        else:
            label += f", stack pointer now 0x{current:x}, outside it"
            notes.append(
                f"the stack pointer 0x{current:x} is outside the stack "
                f"0x{low:x}-0x{sp:x}: overflowed or corrupted"
            )
    return MemoryRegion(STACK, low, sp, label + ")"), stack_first


def _heap_region(
    module: WasmModule,
    symbols: dict[str, _Symbol],
    data: list[MemoryRegion],
    stack_top: int | None,
    stack_first: bool,
    memory_size: int | None,
    notes: list[str],
) -> MemoryRegion | None:
    """The heap: from `__heap_base` (or where wasm-ld would put it) to the end of memory."""
    heap_base = _value(symbols, HEAP_BASE)
    if heap_base is not None:
        start, how = heap_base, "__heap_base"
    elif stack_top is not None and not stack_first:
        # wasm-ld sets __heap_base to the top of the stack when the stack follows the data.
        start, how = stack_top, "the stack top"
        notes.append("no __heap_base global: assumed the heap starts at the stack top")
    elif stack_first and data:
        data_end = _value(symbols, DATA_END)
        start = data_end if data_end is not None else max(r.end for r in data)
        how = "__data_end" if data_end is not None else "the end of the data"
        notes.append(f"no __heap_base global: assumed the heap starts at {how}")
    else:
        notes.append("no __heap_base global and no stack: heap not marked")
        return None
    heap_end = _value(symbols, HEAP_END)
    if memory_size is not None:
        end, to = memory_size, ""
    elif heap_end is not None and heap_end > start:
        end, to = heap_end, " to __heap_end"
    else:
        # Open-ended: the heap runs to the largest size memory 0 may reach (its declared
        # maximum, else the whole address space), so region_at still finds heap addresses.
        end, to = _memory_limit(module), " to the end of memory"
    if end <= start:
        notes.append(
            f"the heap would start at 0x{start:x}, at or past the end of memory"
        )
        return None
    return MemoryRegion(HEAP, start, end, f"heap (from {how}{to})")


def _memory_limit(module: WasmModule) -> int:
    """The most bytes memory 0 may ever have: its declared maximum, else the address space."""
    limits = module.memories[0].limits
    if limits.max is not None:
        return limits.max * page_bytes(limits.page_size_log2)
    return 1 << (64 if limits.is64 else 32)


def _without_overlaps(
    regions: list[MemoryRegion], notes: list[str]
) -> tuple[MemoryRegion, ...]:
    """Sorted by start; a region overlapping an earlier one loses the overlap."""
    kept: list[MemoryRegion] = []
    for region in sorted(regions, key=lambda r: (r.start, r.end)):
        start = region.start
        if kept and start < kept[-1].end:
            start = kept[-1].end
            notes.append(f"{region.label} overlaps {kept[-1].label}: trimmed")
        if start < region.end:
            kept.append(MemoryRegion(region.kind, start, region.end, region.label))
    return tuple(kept)


def _count(n: int, what: str) -> str:
    return f"1 {what}" if n == 1 else f"{n} {what}s"

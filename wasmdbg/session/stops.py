"""Breakpoint stops: planning an instrumented run, and what a stop shows (frames and their variables).

`BreakPlanner` resolves the user's specs and picks the call sites whose callers' locals the
agent keeps (calls made by functions with DWARF in the user's own code: there outer frames have
variables worth showing, and runtime code stays unprobed). `describe_stop` turns the agent's
`Stopped` event into a `BreakpointStop`: the symbolized stack and each frame's variables, read by
DWARF from the captured locals, the globals and live reads of linear memory; without DWARF, the
raw wasm locals by index.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from wasmdbg.addresses import ModuleOffset
from wasmdbg.dwarf.variables import ScopeVariables, Variable, VariableReader
from wasmdbg.errors import WasmdbgError
from wasmdbg.runner import protocol as p
from wasmdbg.symbols.breakpoints import Breakpoint, BreakpointResolver, locations
from wasmdbg.symbols.frames import DWARF
from wasmdbg.symbols.runtime import is_runtime_frame
from wasmdbg.symbols.stack import StackFrame, symbolize_stack
from wasmdbg.symbols.symbolizer import Symbolizer
from wasmdbg.wasm.module import WasmModule

MAX_CALL_SITES = 50_000
"""Call sites wrapped for callers' variables; past this, outer frames show none (each costs two host calls)."""
_PAGE = 4096


@dataclass(frozen=True)
class BreakPlan:
    """What a run with breakpoints needs: the resolved specs and the offsets to instrument."""

    breakpoints: tuple[Breakpoint, ...]
    offsets: tuple[ModuleOffset, ...]
    call_sites: tuple[int, ...]
    live_points: tuple[int, ...] = ()
    """With `live`: the offsets probed behind guards, where breakpoints can be set while the guest runs."""


@dataclass(frozen=True)
class FrameVariables:
    """The variables of one physical frame at a stop."""

    frame: int
    """Index in `BreakpointStop.stack`."""
    function: str | None
    variables: tuple[Variable, ...]
    notes: tuple[str, ...] = ()
    from_dwarf: bool = True
    """False when these are the raw wasm locals (no DWARF covers the frame)."""


@dataclass(frozen=True)
class BreakpointStop:
    """Where the guest is held, and what its frames hold."""

    stopped: p.Stopped
    breakpoint: Breakpoint | None
    """The spec that stopped it (the first whose locations include the offset)."""
    stack: tuple[StackFrame, ...]
    variables: tuple[FrameVariables, ...]


class BreakPlanner:
    """Plans runs with breakpoints for one module, reading its line tables and call graph once.

    The app plans again each time a breakpoint is set or cleared; the line tables (pyelftools)
    and the call graph (every body decoded) are the costly part and never change.
    """

    def __init__(self, symbolizer: Symbolizer) -> None:
        self.symbolizer = symbolizer
        self.resolver = BreakpointResolver(symbolizer)
        self._callers: dict[int, set[int]] | None = None
        self._graph: dict[int, list[tuple[int, set[int]]]] = {}
        self._live_points: tuple[int, ...] | None = None

    def plan(self, specs: Sequence[str], *, live: bool = False) -> BreakPlan:
        """Resolve specs and choose the call sites to wrap; `live` also probes every user line behind guards.

        Raises:
            BreakpointError: a spec names no code.
        """
        breakpoints = self.resolver.resolve_all(specs)
        targets = {loc.func_index for bp in breakpoints for loc in bp.locations}
        live_points: tuple[int, ...] = ()
        if live:
            if self._live_points is None:
                self._live_points = self.resolver.live_points()
            live_points = self._live_points
        return BreakPlan(breakpoints, locations(breakpoints), self._call_sites(targets), live_points)

    def _call_sites(self, targets: set[int]) -> tuple[int, ...]:
        """The calls that can lead to a breakpoint, in the user's functions with DWARF.

        Only a call whose callee can reach a breakpoint's function (in the static call graph, an
        indirect call reaching every function of its type that a table or `ref.func` holds) can be
        on the stack at a stop; wrapping only those keeps the cost off the rest of the program.
        """
        symbolizer = self.symbolizer
        if symbolizer.index is None or not targets:
            return ()
        module = symbolizer.module
        if self._callers is None:
            self._graph = _call_graph(module)
            callers: dict[int, set[int]] = {}
            for caller, sites in self._graph.items():
                for _, callees in sites:
                    for callee in callees:
                        callers.setdefault(callee, set()).add(caller)
            self._callers = callers
        reaches = set(targets)  # functions from which a breakpoint's function can be called
        todo = list(targets)
        while todo:
            for caller in self._callers.get(todo.pop(), ()):
                if caller not in reaches:
                    reaches.add(caller)
                    todo.append(caller)
        sites_out: list[int] = []
        for func, sites in self._graph.items():
            if func not in reaches:
                continue
            body = module.body(func)
            if body is None:
                continue
            frames = symbolizer.symbolize(ModuleOffset(body.code_offset)).frames
            if not frames or frames[-1].source != DWARF or is_runtime_frame(frames[-1]):
                continue
            sites_out.extend(offset for offset, callees in sites if callees & reaches)
            if len(sites_out) > MAX_CALL_SITES:
                return ()
        return tuple(sorted(sites_out))


def _call_graph(module: WasmModule) -> dict[int, list[tuple[int, set[int]]]]:
    """Per defined function, its call instructions (offset, possible callees)."""
    referenced: set[int] = {f for segment in module.elements for f in segment.functions if f is not None}
    bodies: dict[int, list[Any]] = {}
    for body in module.bodies:
        instructions = list(module.instructions(body.func_index))
        bodies[body.func_index] = instructions
        referenced.update(i.immediates[0] for i in instructions if i.mnemonic == "ref.func")
    by_signature: dict[object, set[int]] = {}
    for func in referenced:
        by_signature.setdefault(_signature(module, module.function_type(func)), set()).add(func)
    graph: dict[int, list[tuple[int, set[int]]]] = {}
    for func, instructions in bodies.items():
        sites = []
        for i in instructions:
            if i.mnemonic == "call":
                sites.append((i.offset, {i.immediates[0]}))
            elif i.mnemonic in ("call_indirect", "call_ref"):
                wanted = _signature(module, module.types[i.immediates[0]] if i.immediates[0] < len(module.types) else None)
                sites.append((i.offset, by_signature.get(wanted, set())))
        graph[func] = sites
    return graph


def _signature(module: WasmModule, func_type: object) -> object:
    return (getattr(func_type, "params", None), getattr(func_type, "results", None))


class _Memory:
    """Reads of linear memory 0 through the run, a page at a time, cached for one stop."""

    def __init__(self, read: Callable[[int, int], bytes]) -> None:
        self._read = read
        self._pages: dict[int, bytes | None] = {}

    def page(self, number: int) -> bytes | None:
        if number not in self._pages:
            try:
                self._pages[number] = self._read(number * _PAGE, _PAGE)
            except WasmdbgError:
                self._pages[number] = None
        return self._pages[number]

    def read(self, address: int, size: int) -> bytes | None:
        if address < 0 or size < 0 or size > 1 << 20:
            return None
        out = bytearray()
        at = address
        while len(out) < size:
            page = self.page(at // _PAGE)
            if page is None:
                return None
            chunk = page[at % _PAGE : at % _PAGE + size - len(out)]
            if not chunk:
                return None  # past the end of memory
            out += chunk
            at += len(chunk)
        return bytes(out)


@dataclass
class _FrameState:
    locals_: tuple[p.Local, ...] | None
    globals_: tuple[p.Local, ...]
    memory: _Memory

    def local(self, index: int) -> int | float | None:
        if self.locals_ is None or not 0 <= index < len(self.locals_):
            return None
        return self.locals_[index]

    def global_value(self, index: int) -> int | float | None:
        return self.globals_[index] if 0 <= index < len(self.globals_) else None

    def read_memory(self, address: int, size: int) -> bytes | None:
        return self.memory.read(address, size)


class StopDescriber:
    """Builds `BreakpointStop`s for one module (the DWARF is parsed once, on the first stop)."""

    def __init__(self, symbolizer: Symbolizer, breakpoints: Sequence[Breakpoint] = ()) -> None:
        self.symbolizer = symbolizer
        self.breakpoints = tuple(breakpoints)
        sections = symbolizer.debug.dwarf_sections()
        self._reader = VariableReader(sections) if ".debug_info" in sections else None

    def set_breakpoints(self, breakpoints: Sequence[Breakpoint]) -> None:
        """The specs stops are named by, after breakpoints changed during the run."""
        self.breakpoints = tuple(breakpoints)

    def describe(self, stopped: p.Stopped, read_memory: Callable[[int, int], bytes]) -> BreakpointStop:
        """The stop's stack and variables; `read_memory(address, length)` reads memory 0 of the held guest."""
        stack = symbolize_stack(stopped.frames, self.symbolizer)
        memory = _Memory(read_memory)
        code = self.symbolizer.module.code_section
        variables = []
        for i, frame in enumerate(stack):
            captured = stopped.frame_locals[i] if i < len(stopped.frame_locals) else None
            state = _FrameState(captured, stopped.global_values, memory)
            scope: ScopeVariables | None = None
            if self._reader is not None and code is not None and frame.module_offset is not None:
                scope = self._reader.variables_at(frame.module_offset - code.offset, state)
            if scope is not None:
                notes = scope.notes
                if captured is None:
                    notes = (*notes, "this frame's wasm locals were not captured (no call-site probe): values held in locals are unavailable")
                variables.append(FrameVariables(i, scope.function, scope.variables, notes))
            elif captured is not None and frame.func_index is not None:
                variables.append(raw_locals(i, self.symbolizer.module, frame.func_index, captured))
            else:
                variables.append(FrameVariables(i, None, (), ("no variables: no DWARF covers this frame and its locals were not captured",), False))
        hit = None
        if stopped.hit:  # a step's stop is no breakpoint's, unless one is set there too
            hit = next((bp for bp in self.breakpoints if any(loc.offset == stopped.offset for loc in bp.locations)), None)
        return BreakpointStop(stopped, hit, stack, tuple(variables))


def variable_json(variable: Variable) -> dict[str, object]:
    """One variable as `run --format json` gives it."""
    return {
        "name": variable.name, "type": variable.type_name, "kind": variable.kind, "value": variable.value,
        "address": variable.address, "unavailable": variable.unavailable,
        "children": [variable_json(child) for child in variable.children],
    }  # fmt: skip


def variables_json(frame: FrameVariables) -> dict[str, object]:
    """One frame's variables (the `variables` key of a frame in the JSON report)."""
    return {
        "function": frame.function, "from_dwarf": frame.from_dwarf, "notes": list(frame.notes),
        "variables": [variable_json(v) for v in frame.variables],
    }  # fmt: skip


def stop_json(stop: BreakpointStop) -> dict[str, object]:
    """The `breakpoint` key of the JSON report."""
    bp = stop.breakpoint
    return {
        "spec": bp.spec if bp else None, "chosen": bp.chosen if bp else None,
        "module_offset": stop.stopped.offset, "hit": stop.stopped.hit,
    }  # fmt: skip


def _local_types(module: WasmModule, func_index: int) -> list[str]:
    func_type = module.function_type(func_index)
    params = [str(t) for t in getattr(func_type, "params", ())]
    body = module.body(func_index)
    declared = [str(t) for count, t in (body.locals if body else ()) for _ in range(min(count, 100_000))]
    return params + declared


def raw_locals(frame: int, module: WasmModule, func_index: int, captured: Sequence[p.Local]) -> FrameVariables:
    """The wasm locals of a frame by index (no DWARF): parameters, then declared locals."""
    types = _local_types(module, func_index)
    n_params = len(getattr(module.function_type(func_index), "params", ()))
    out = []
    for index, value in enumerate(captured):
        kind = "parameter" if index < n_params else "local"
        type_name = types[index] if index < len(types) else "?"
        if value is None:
            out.append(Variable(f"local {index}", type_name, kind, None, None, f"a {type_name} local is not captured"))
        else:
            shown = repr(value) if isinstance(value, float) else str(value)
            out.append(Variable(f"local {index}", type_name, kind, shown, None, None))
    return FrameVariables(frame, None, tuple(out), ("no DWARF for this function: raw wasm locals by index",), False)

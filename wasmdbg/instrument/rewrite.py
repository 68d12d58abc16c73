"""The instrumenting rewriter: a module that calls the debugger at chosen instructions.

Before each probe point the rewritten code pushes the probe's id and the function's numeric
locals and calls an added host import (one per distinct signature of captured locals); a wrapped
call site gets a probe before the call (the caller's locals, for the shadow stack of outer frames)
and one after it (the pop). Nothing else changes: probe calls are stack-neutral, so validation,
results and traps are the original's. Adding imports shifts every defined function's index, so
each reference is rewritten: `call`, `return_call` and `ref.func` in bodies and in constant
expressions (globals, tables, element segments), element index lists, exports, the start
function and the `name` section. An exported helper that executes `unreachable` lets the host
unwind the guest's stack from inside a probe, and every memory and global is exported so the
host can read them. DWARF and the other offset-keyed custom sections describe the original code,
not this one, so they are dropped; `OffsetMap` turns the new code's offsets back into original
ones. This layer uses the binary reader and the standard library only.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from wasmdbg.instrument.offsets import OffsetMap
from wasmdbg.wasm import sections as S
from wasmdbg.wasm.code import FunctionBody
from wasmdbg.wasm.encode import custom_section, name, section, sleb, uleb, vector
from wasmdbg.wasm.entities import FUNC, GLOBAL, MEMORY, TABLE, TAG
from wasmdbg.wasm.instructions import iter_instructions, read_const_expr
from wasmdbg.wasm.module import WasmModule, read_module
from wasmdbg.wasm.reader import Reader
from wasmdbg.wasm.types import read_global_type, read_limits, read_ref_type, read_table_type

POINT, CALL, RETURN = "point", "call", "return"
PROBE_MODULE = "wasmdbg"
"""Import module of the probes (the host defines them there)."""
ADDED_EXPORT_PREFIX = "__wasmdbg_"
MAX_CAPTURED = 200
"""Locals handed to a probe per function (parameters first); later ones are not captured."""
_CAPTURED_TYPES = {"i32": 0x7F, "i64": 0x7E, "f32": 0x7D, "f64": 0x7C}
_KEPT_CUSTOM = frozenset({"producers", "target_features"})
_KIND_CODES = {FUNC: 0, TABLE: 1, MEMORY: 2, GLOBAL: 3, TAG: 4}
_CALLS = frozenset({"call", "call_indirect", "call_ref"})
_I32_CONST, _LOCAL_GET, _CALL_OP, _RETURN_CALL_OP, _REF_FUNC_OP = 0x41, 0x20, 0x10, 0x12, 0xD2
_I32_LOAD8_U, _I32_EQZ, _IF, _EMPTY_BLOCK, _END = 0x2D, 0x45, 0x04, 0x40, 0x0B
_UNWIND_BODY = b"\x03\x00\x00\x0b"
"""The unwind helper's body: size 3, no locals, `unreachable`, `end`."""
_SECTION_ORDER = (
    S.TYPE, S.IMPORT, S.FUNCTION, S.TABLE, S.MEMORY, S.TAG, S.GLOBAL, S.EXPORT, S.START, S.ELEMENT, S.DATA_COUNT, S.CODE, S.DATA,
)
_FUNC_REFS = {"call": _CALL_OP, "return_call": _RETURN_CALL_OP, "ref.func": _REF_FUNC_OP}


@dataclass(frozen=True, slots=True)
class Probe:
    """One call into the debugger placed in the rewritten code."""

    id: int
    offset: int
    """Original module offset of the instruction the probe precedes (for RETURN: the call it follows)."""
    func_index: int
    """Original index of the function it is in."""
    kind: str
    """POINT (a breakpoint can stop here), CALL (a caller's locals, pushed) or RETURN (popped)."""
    locals: tuple[int, ...] = ()
    """Indices of the locals whose values the probe passes, in order."""
    skipped: tuple[int, ...] = ()
    """Locals not passed (v128 and reference types)."""
    import_name: str = ""


@dataclass(frozen=True, slots=True)
class ProbeImport:
    """One added host import: `wasmdbg.<name>` taking the probe id then the captured locals."""

    name: str
    params: tuple[str, ...]


@dataclass(frozen=True)
class Instrumented:
    """A rewritten module and how to speak of it in the original's terms."""

    data: bytes
    probes: tuple[Probe, ...]
    """Indexed by probe id."""
    imports: tuple[ProbeImport, ...]
    unwind_export: str
    """Export name of the helper whose `unreachable` unwinds the stack from inside a probe."""
    memory_exports: Mapping[int, str]
    """Every memory, by index: the export name to reach it by."""
    global_exports: Mapping[int, str]
    """Every global, by index: the export name to reach it by."""
    imported_functions: int
    """Functions the original module imports (the probes are numbered right after them)."""
    original_functions: int
    """Size of the original function index space."""
    added_exports: frozenset[str]
    """Names of the exports the rewriter added (the module's own are the others)."""
    offsets: OffsetMap = field(repr=False, compare=False)
    guard_export: str | None = None
    """With `guarded`: the memory whose byte at a point's probe id turns it off (nonzero) or on."""

    @property
    def added_imports(self) -> int:
        """How far defined functions moved in the index space."""
        return len(self.imports)

    def original_offset(self, offset: int) -> int | None:
        """The original module offset of an offset in the rewritten code (None: added code or none)."""
        return self.offsets.original(offset)

    def original_function(self, func_index: int) -> int | None:
        """The original index of a rewritten function (None for the probes and the helper)."""
        if func_index < self.imported_functions:
            return func_index
        original = func_index - self.added_imports
        if original < self.imported_functions or original >= self.original_functions:
            return None
        return original


def instrument(data: bytes, points: Iterable[int], *, call_sites: Iterable[int] = (), guarded: bool = False) -> Instrumented:
    """Rewrite a module with a probe before each of `points` and around each of `call_sites`.

    Args:
        data: the original module.
        points: module offsets of instructions to probe; offsets that are not an instruction's
            start are ignored.
        call_sites: module offsets of `call`/`call_indirect`/`call_ref` instructions to wrap.
        guarded: put each point's probe behind a guard byte (its probe id's) in an added memory,
            exported as `Instrumented.guard_export`: a nonzero byte skips the probe, so the host
            turns breakpoints on and off while the guest runs. Every guard starts at zero (on).

    Raises:
        WasmFormatError: the module is malformed.
    """
    return _Rewriter(read_module(data), set(points), set(call_sites), guarded).run()


def _captured(module: WasmModule, body: FunctionBody) -> tuple[tuple[int, ...], tuple[int, ...], tuple[str, ...]]:
    """(locals passed, locals skipped, their types) for one function, within MAX_CAPTURED."""
    func_type = module.function_type(body.func_index)
    types = list(func_type.params if func_type else ())
    for count, value_type in body.locals:
        if len(types) >= MAX_CAPTURED:
            break
        types.extend([value_type] * min(count, MAX_CAPTURED - len(types)))
    passed = tuple(i for i, t in enumerate(types[:MAX_CAPTURED]) if t in _CAPTURED_TYPES)
    skipped = tuple(i for i, t in enumerate(types[:MAX_CAPTURED]) if t not in _CAPTURED_TYPES)
    return passed, skipped, tuple(types[i] for i in passed)


class _Rewriter:
    def __init__(self, module: WasmModule, points: set[int], call_sites: set[int], guarded: bool = False) -> None:
        self.module = module
        self.guarded = guarded
        self.guard_memory = len(module.memories)
        self.data = module.data
        self.points = points
        self.call_sites = call_sites
        self.imported = module.imported_function_count
        self.probes: list[Probe] = []
        self.offsets = OffsetMap()
        self.added_export_names: list[str] = []
        self._taken = {export.name for export in module.exports}
        # Per probed function: captured locals and the import (index into `self.signatures`).
        self.signatures: list[tuple[str, ...]] = []
        self.captures: dict[int, tuple[tuple[int, ...], tuple[int, ...], int]] = {}
        self._plan_imports()
        self.shift = len(self.signatures)
        self.first_new_type = len(module.types)
        self.helper_type = self.first_new_type + len(self.signatures)
        self.helper_index = module.function_count + self.shift

    # -- planning ---------------------------------------------------------------------------------

    def _plan_imports(self) -> None:
        wanted = sorted(self.points | self.call_sites)
        by_signature: dict[tuple[str, ...], int] = {}
        for body in self.module.bodies:
            i = bisect_left(wanted, body.code_offset)
            if i == len(wanted) or wanted[i] >= body.end:
                continue
            passed, skipped, types = _captured(self.module, body)
            signature = ("i32", *types)
            slot = by_signature.setdefault(signature, len(by_signature))
            self.captures[body.func_index] = (passed, skipped, slot)
        self.return_slot = -1
        if self.call_sites:
            self.return_slot = by_signature.setdefault(("i32",), len(by_signature))
        self.signatures = list(by_signature)

    def func(self, index: int) -> int:
        return index if index < self.imported else index + self.shift

    def import_name(self, slot: int) -> str:
        return f"probe_{slot}"

    # -- the module -------------------------------------------------------------------------------

    def run(self) -> Instrumented:
        module = self.module
        payloads: dict[int, bytes] = {}
        customs: list[bytes] = []
        for s in module.sections:
            if s.is_custom:
                if s.name == "name":
                    rewritten = self._names(s)
                    if rewritten is not None:
                        customs.append(custom_section("name", rewritten))
                elif s.name in _KEPT_CUSTOM:
                    customs.append(self.data[s.header_offset : s.end])
                continue
            payloads[s.id] = self._section(s)
        payloads[S.TYPE] = self._types(payloads.get(S.TYPE))
        payloads[S.IMPORT] = self._imports(payloads.get(S.IMPORT))
        payloads[S.FUNCTION] = self._appended(payloads.get(S.FUNCTION), uleb(self.helper_type))
        memory_exports, global_exports, unwind = self._export_names()
        guard = None
        if self.guarded:  # one byte per probe id: the points and, at most, two per call site
            pages = max(1, -(-(len(self.points) + 2 * len(self.call_sites)) // 65536))
            payloads[S.MEMORY] = self._appended(payloads.get(S.MEMORY), b"\x00" + uleb(pages))
            guard = self._fresh_export("guards")
        payloads[S.EXPORT] = self._exports(memory_exports, global_exports, unwind, guard)
        out = bytearray(self.data[:8])
        for section_id in _SECTION_ORDER:
            if section_id == S.CODE:
                out += self._code(len(out))
            elif section_id in payloads:
                out += section(section_id, payloads[section_id])
        for custom in customs:
            out += custom
        imports = tuple(ProbeImport(self.import_name(k), sig) for k, sig in enumerate(self.signatures))
        return Instrumented(
            bytes(out), tuple(self.probes), imports, unwind, memory_exports, global_exports,
            self.imported, module.function_count, frozenset(self.added_export_names), self.offsets, guard,
        )  # fmt: skip

    def _section(self, s: S.Section) -> bytes:
        payload = self.data[s.offset : s.end]
        r = Reader(self.data, s.offset, s.end)
        if s.id == S.TABLE:
            return self._tables(r)
        if s.id == S.GLOBAL:
            return self._globals(r)
        if s.id == S.START:
            return uleb(self.func(r.u32()))
        if s.id == S.ELEMENT:
            return self._elements(r)
        return payload

    @staticmethod
    def _appended(payload: bytes | None, *items: bytes) -> bytes:
        """A vector section's payload with items added at its end."""
        if payload is None:
            return vector(items)
        r = Reader(payload)
        count = r.u32()
        return uleb(count + len(items)) + payload[r.pos :] + b"".join(items)

    def _types(self, payload: bytes | None) -> bytes:
        def func_type(params: tuple[str, ...]) -> bytes:
            return b"\x60" + vector(bytes([_CAPTURED_TYPES[t]]) for t in params) + b"\x00"

        return self._appended(payload, *(func_type(sig) for sig in self.signatures), func_type(()))

    def _imports(self, payload: bytes | None) -> bytes:
        added = [
            name(PROBE_MODULE) + name(self.import_name(k)) + b"\x00" + uleb(self.first_new_type + k)
            for k in range(len(self.signatures))
        ]  # fmt: skip
        return self._appended(payload, *added)

    # -- references to functions --------------------------------------------------------------------

    def _expr(self, r: Reader) -> bytes:
        """A constant expression with its `ref.func`s shifted; `r` is left after it."""
        instructions = read_const_expr(r)
        out = bytearray()
        for k, instruction in enumerate(instructions):
            end = instructions[k + 1].offset if k + 1 < len(instructions) else r.pos
            opcode = _FUNC_REFS.get(instruction.mnemonic)
            if opcode is not None:
                out.append(opcode)
                out += uleb(self.func(instruction.immediates[0]))
            else:
                out += self.data[instruction.offset : end]
        return bytes(out)

    def _copy(self, r: Reader, start: int) -> bytes:
        return self.data[start : r.pos]

    def _tables(self, r: Reader) -> bytes:
        count = r.u32()
        out = bytearray(uleb(count))
        for _ in range(count):
            start = r.pos
            if r.peek() == 0x40:
                r.skip(2)
                read_ref_type(r)
                read_limits(r, "table type")
                out += self._copy(r, start) + self._expr(r)
            else:
                read_table_type(r)
                out += self._copy(r, start)
        return bytes(out)

    def _globals(self, r: Reader) -> bytes:
        count = r.u32()
        out = bytearray(uleb(count))
        for _ in range(count):
            start = r.pos
            read_global_type(r)
            out += self._copy(r, start) + self._expr(r)
        return bytes(out)

    def _elements(self, r: Reader) -> bytes:
        count = r.u32()
        out = bytearray(uleb(count))
        for _ in range(count):
            flags = r.u32()
            out += uleb(flags)
            if not flags & 0x01:  # active: an explicit table, then the offset
                if flags & 0x02:
                    out += uleb(r.u32())
                out += self._expr(r)
            if flags & 0x03:
                start = r.pos
                if flags & 0x04:
                    read_ref_type(r)
                else:
                    r.u8()
                out += self._copy(r, start)
            items = r.u32()
            out += uleb(items)
            for _ in range(items):
                out += self._expr(r) if flags & 0x04 else uleb(self.func(r.u32()))
        return bytes(out)

    def _export_names(self) -> tuple[dict[int, str], dict[int, str], str]:
        module = self.module
        fresh = self._fresh_export

        global_count = sum(1 for i in module.imports if i.kind == GLOBAL) + len(module.globals)
        memories = {m.index: module.export_names.get((MEMORY, m.index)) or fresh(f"memory_{m.index}") for m in module.memories}
        globals_ = {g: module.export_names.get((GLOBAL, g)) or fresh(f"global_{g}") for g in range(global_count)}
        return memories, globals_, fresh("unwind")

    def _fresh_export(self, base: str) -> str:
        """An export name no export of the module has, marked as added."""
        candidate, n = ADDED_EXPORT_PREFIX + base, 0
        while candidate in self._taken:
            n += 1
            candidate = f"{ADDED_EXPORT_PREFIX}{base}_{n}"
        self._taken.add(candidate)
        self.added_export_names.append(candidate)
        return candidate

    def _exports(self, memories: dict[int, str], globals_: dict[int, str], unwind: str, guard: str | None) -> bytes:
        module = self.module

        def entry(export_name: str, kind: str, index: int) -> bytes:
            return name(export_name) + bytes([_KIND_CODES[kind]]) + uleb(index)

        items = [entry(e.name, e.kind, self.func(e.index) if e.kind == FUNC else e.index) for e in module.exports]
        items += [entry(n, MEMORY, i) for i, n in memories.items() if (MEMORY, i) not in module.export_names]
        items += [entry(n, GLOBAL, i) for i, n in globals_.items() if (GLOBAL, i) not in module.export_names]
        items.append(entry(unwind, FUNC, self.helper_index))
        if guard is not None:
            items.append(entry(guard, MEMORY, self.guard_memory))
        return vector(items)

    # -- code ---------------------------------------------------------------------------------------

    def _code(self, at: int) -> bytes:
        """The code section, placed at module offset `at`; fills the offset map."""
        bodies = [self._body(body) for body in self.module.bodies]
        payload_head = uleb(len(bodies) + 1)
        size = len(payload_head) + sum(len(uleb(len(b))) + len(b) for b, _ in bodies) + len(_UNWIND_BODY)
        position = at + 1 + len(uleb(size)) + len(payload_head)
        out = bytearray(bytes([S.CODE]) + uleb(size) + payload_head)
        for encoded, entries in bodies:
            code_start = position + len(uleb(len(encoded)))
            for relative, original in entries:
                self.offsets.add(code_start + relative, original)
            out += uleb(len(encoded)) + encoded
            position = code_start + len(encoded)
        self.offsets.close(position)
        out += _UNWIND_BODY
        return bytes(out)

    def _probe(self, out: bytearray, kind: str, offset: int, body: FunctionBody) -> None:
        passed, skipped, slot = self.captures[body.func_index]
        if kind == RETURN:
            passed, skipped, slot = (), (), self.return_slot
        probe = Probe(len(self.probes), offset, body.func_index, kind, passed, skipped, self.import_name(slot))
        self.probes.append(probe)
        guarded = self.guarded and kind == POINT
        if guarded:  # if (guards[id] == 0) { probe }
            memarg = b"\x00\x00" if self.guard_memory == 0 else b"\x40" + uleb(self.guard_memory) + b"\x00"
            out += bytes([_I32_CONST]) + sleb(probe.id) + bytes([_I32_LOAD8_U]) + memarg + bytes([_I32_EQZ, _IF, _EMPTY_BLOCK])
        out.append(_I32_CONST)
        out += sleb(probe.id)
        for index in passed:
            out.append(_LOCAL_GET)
            out += uleb(index)
        out.append(_CALL_OP)
        out += uleb(self.imported + slot)
        if guarded:
            out.append(_END)

    def _body(self, body: FunctionBody) -> tuple[bytes, list[tuple[int, int]]]:
        """One body re-encoded, with (offset in the body's bytes, original offset) per instruction."""
        data = self.data
        out = bytearray(data[body.locals_offset : body.code_offset])
        entries: list[tuple[int, int]] = []
        probed = body.func_index in self.captures
        instructions = list(iter_instructions(data, body.code_offset, body.end))
        for k, instruction in enumerate(instructions):
            at = instruction.offset
            end = instructions[k + 1].offset if k + 1 < len(instructions) else body.end
            wrapped = probed and at in self.call_sites and instruction.mnemonic in _CALLS
            if probed and (at in self.points or wrapped):
                entries.append((len(out), at))
                if at in self.points:
                    self._probe(out, POINT, at, body)
                if wrapped:
                    self._probe(out, CALL, at, body)
            entries.append((len(out), at))
            opcode = _FUNC_REFS.get(instruction.mnemonic)
            if opcode is not None:
                out.append(opcode)
                out += uleb(self.func(instruction.immediates[0]))
            else:
                out += data[at:end]
            if wrapped:
                entries.append((len(out), end))
                self._probe(out, RETURN, at, body)
        return bytes(out), entries

    # -- the name section ---------------------------------------------------------------------------

    def _names(self, s: S.Section) -> bytes | None:
        """The name section with function indices shifted; None (dropped) if it cannot be read."""
        r = Reader(self.data, s.data_offset, s.end)
        out = bytearray()
        try:
            while not r.at_end():
                sub_id = r.u8()
                size = r.u32()
                sub = r.sub(size, "name subsection")
                if sub_id == 1:
                    payload = self._name_map(sub, shift=True)
                elif sub_id in (2, 3):
                    payload = self._indirect_name_map(sub)
                else:
                    payload = self.data[sub.pos : sub.end]
                out += bytes([sub_id]) + uleb(len(payload)) + payload
        except Exception:  # noqa: BLE001 - a damaged name section is dropped, as runtimes ignore it
            return None
        return bytes(out)

    def _name_map(self, r: Reader, *, shift: bool) -> bytes:
        count = r.u32()
        out = bytearray(uleb(count))
        for _ in range(count):
            index = r.u32()
            length = r.u32()
            raw = r.bytes(length)
            out += uleb(self.func(index) if shift else index) + uleb(length) + raw
        return bytes(out)

    def _indirect_name_map(self, r: Reader) -> bytes:
        count = r.u32()
        out = bytearray(uleb(count))
        for _ in range(count):
            index = r.u32()
            out += uleb(self.func(index)) + self._name_map(r, shift=False)
        return bytes(out)


def probe_points(module: WasmModule, functions: Collection[int] | None = None) -> list[int]:
    """Every instruction start of the given defined functions (all when None): probe-everything tests and benchmarks."""
    out: list[int] = []
    for body in module.bodies:
        if functions is None or body.func_index in functions:
            out.extend(i.offset for i in iter_instructions(module.data, body.code_offset, body.end))
    return out

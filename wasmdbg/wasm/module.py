"""WasmModule: a core module read exactly, with every offset a module offset."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property

from wasmdbg.wasm import sections as S
from wasmdbg.wasm.code import FunctionBody, read_function_body
from wasmdbg.wasm.custom import (
    DwarfSummary,
    Producers,
    read_build_id,
    read_producers,
    read_string_section,
    read_unit_versions,
)
from wasmdbg.wasm.entities import (
    FUNC,
    MEMORY,
    Export,
    Global,
    Import,
    read_export,
    read_global,
    read_imports,
    read_table,
    read_tag_type,
)
from wasmdbg.errors import WasmFormatError
from wasmdbg.wasm.instructions import Instruction, iter_instructions
from wasmdbg.wasm.names import NameSection, read_name_section
from wasmdbg.wasm.reader import Reader
from wasmdbg.wasm.sections import Section
from wasmdbg.wasm.segments import DataSegment, ElementSegment, read_data_segment, read_element_segment
from wasmdbg.wasm.types import CompositeType, Limits, TableType, read_limits, read_rec_group


@dataclass(frozen=True, slots=True)
class Memory:
    """A memory in the memory index space (imports first)."""

    index: int
    limits: Limits
    imported: bool


@dataclass(frozen=True)
class WasmModule:
    """Everything wasmdbg reads from a module's bytes; build it with `read_module`."""

    data: bytes
    sections: tuple[Section, ...]
    types: tuple[CompositeType, ...] = ()
    imports: tuple[Import, ...] = ()
    function_type_indices: tuple[int, ...] = ()
    """Type index of each defined function, in definition order."""
    tables: tuple[TableType, ...] = ()
    """Tables defined by the module (imported ones are in `imports`)."""
    defined_memories: tuple[Limits, ...] = ()
    tags: tuple[int, ...] = ()
    globals: tuple[Global, ...] = ()
    exports: tuple[Export, ...] = ()
    start: int | None = None
    elements: tuple[ElementSegment, ...] = ()
    data_count: int | None = None
    bodies: tuple[FunctionBody, ...] = ()
    data_segments: tuple[DataSegment, ...] = ()
    names: NameSection | None = None
    producers: Producers | None = None
    build_id: str | None = None
    external_debug_info: str | None = None
    source_mapping_url: str | None = None
    dwarf: DwarfSummary = field(default_factory=lambda: DwarfSummary((), (), 0))
    warnings: tuple[str, ...] = ()
    """Problems in advisory custom sections, which were read as absent."""

    # -- index spaces -------------------------------------------------------------------------

    @cached_property
    def imported_function_count(self) -> int:
        """Functions imported; defined functions are numbered after them."""
        return sum(1 for i in self.imports if i.kind == FUNC)

    @property
    def function_count(self) -> int:
        """Size of the function index space."""
        return self.imported_function_count + len(self.function_type_indices)

    @cached_property
    def memories(self) -> tuple[Memory, ...]:
        """The memory index space: imported memories first."""
        imported = [i.type for i in self.imports if i.kind == MEMORY]
        limits = [(lim, True) for lim in imported if isinstance(lim, Limits)]
        limits += [(lim, False) for lim in self.defined_memories]
        return tuple(Memory(index, lim, imp) for index, (lim, imp) in enumerate(limits))

    def function_type(self, func_index: int) -> CompositeType | None:
        """The type of a function by index, or None if the index or its type is out of range."""
        if func_index < self.imported_function_count:
            type_index = [i.type for i in self.imports if i.kind == FUNC][func_index]
        elif func_index < self.function_count:
            type_index = self.function_type_indices[func_index - self.imported_function_count]
        else:
            return None
        if isinstance(type_index, int) and type_index < len(self.types):
            return self.types[type_index]
        return None

    # -- sections -----------------------------------------------------------------------------

    @cached_property
    def code_section(self) -> Section | None:
        """The code section, whose contents' offset is the origin of DWARF addresses."""
        return next((s for s in self.sections if s.id == S.CODE), None)

    def custom_sections(self, name: str) -> tuple[Section, ...]:
        """Custom sections with this name, in module order."""
        return tuple(s for s in self.sections if s.is_custom and s.name == name)

    # -- functions ----------------------------------------------------------------------------

    @cached_property
    def _body_starts(self) -> list[int]:
        return [body.offset for body in self.bodies]

    def body(self, func_index: int) -> FunctionBody | None:
        """The body of a defined function, or None for imported or out-of-range indices."""
        i = func_index - self.imported_function_count
        return self.bodies[i] if 0 <= i < len(self.bodies) else None

    def function_at(self, offset: int) -> FunctionBody | None:
        """The body whose entry in the code section contains a module offset, if any."""
        i = bisect.bisect_right(self._body_starts, offset) - 1
        if i >= 0 and offset in self.bodies[i]:
            return self.bodies[i]
        return None

    def instructions(self, func_index: int) -> Iterator[Instruction]:
        """Decode a defined function's instructions."""
        body = self.body(func_index)
        if body is None:
            raise ValueError(f"function {func_index} has no body in this module")
        return iter_instructions(self.data, body.code_offset, body.end)

    def check_code(self) -> int:
        """Decode every function body, raising WasmFormatError at the first malformed one.

        Returns:
            The number of instructions decoded.
        """
        count = 0
        for body in self.bodies:
            for instruction in iter_instructions(self.data, body.code_offset, body.end):
                count += 1
                if self.data_count is None and instruction.mnemonic in ("memory.init", "data.drop"):
                    raise WasmFormatError(instruction.offset, "data count section required")
        return count

    @cached_property
    def export_names(self) -> dict[tuple[str, int], str]:
        """(kind, index) -> first export name."""
        names: dict[tuple[str, int], str] = {}
        for export in self.exports:
            names.setdefault((export.kind, export.index), export.name)
        return names


def read_module(data: bytes) -> WasmModule:
    """Read a core WebAssembly module.

    Args:
        data: the module's bytes.

    Returns:
        The module; function bodies are located but their instructions are decoded on demand
        (`WasmModule.instructions`, `WasmModule.check_code`).

    Raises:
        WasmFormatError: the bytes are not a well-formed module.
    """
    sections = S.read_sections(data)
    fields: dict[str, object] = {}
    warnings: list[str] = []
    function_types: tuple[int, ...] = ()
    for section in sections:
        r = Reader(data, section.data_offset, section.end)
        if section.is_custom:
            _read_custom(section, data, fields, warnings)
            continue
        if section.id == S.TYPE:
            types: list[CompositeType] = []
            for _ in range(r.count("type", 2)):
                types.extend(read_rec_group(r))
            fields["types"] = tuple(types)
        elif section.id == S.IMPORT:
            fields["imports"] = tuple(i for _ in range(r.count("import", 4)) for i in read_imports(r))
        elif section.id == S.FUNCTION:
            function_types = tuple(r.u32() for _ in range(r.count("function")))
            fields["function_type_indices"] = function_types
        elif section.id == S.TABLE:
            fields["tables"] = tuple(read_table(r) for _ in range(r.count("table", 3)))
        elif section.id == S.MEMORY:
            fields["defined_memories"] = tuple(read_limits(r, "memory type") for _ in range(r.count("memory", 2)))
        elif section.id == S.TAG:
            fields["tags"] = tuple(read_tag_type(r) for _ in range(r.count("tag", 2)))
        elif section.id == S.GLOBAL:
            fields["globals"] = tuple(read_global(r) for _ in range(r.count("global", 3)))
        elif section.id == S.EXPORT:
            fields["exports"] = tuple(read_export(r) for _ in range(r.count("export", 3)))
        elif section.id == S.START:
            fields["start"] = r.u32()
        elif section.id == S.ELEMENT:
            fields["elements"] = tuple(read_element_segment(r) for _ in range(r.count("element segment", 2)))
        elif section.id == S.DATA_COUNT:
            fields["data_count"] = r.u32()
        elif section.id == S.CODE:
            fields["bodies"] = _read_code(r, section, fields, function_types)
        elif section.id == S.DATA:
            fields["data_segments"] = tuple(read_data_segment(r) for _ in range(r.count("data segment", 2)))
        r.expect_end(f"section size mismatch: {section.name}")
    _check_counts(data, sections, fields, function_types)
    fields["warnings"] = tuple(warnings)
    return WasmModule(data, sections, **fields)  # type: ignore[arg-type]


def _read_code(
    r: Reader, section: Section, fields: dict[str, object], function_types: tuple[int, ...]
) -> tuple[FunctionBody, ...]:
    count_at = r.pos
    count = r.count("function body", 2)
    if count != len(function_types):
        raise r.error(
            f"function and code section have inconsistent lengths ({len(function_types)} functions, {count} bodies)",
            count_at,
        )
    imports = fields.get("imports", ())
    assert isinstance(imports, tuple)
    first = sum(1 for i in imports if i.kind == FUNC)
    return tuple(read_function_body(r, first + i, function_types[i]) for i in range(count))


def _check_counts(
    data: bytes, sections: tuple[Section, ...], fields: dict[str, object], function_types: tuple[int, ...]
) -> None:
    if function_types and "bodies" not in fields:
        raise WasmFormatError(len(data), "function and code section have inconsistent lengths (no code section)")
    data_count = fields.get("data_count")
    if data_count is not None:
        segments = len(fields.get("data_segments", ()))  # type: ignore[arg-type]
        if segments != data_count:
            where = next(s.offset for s in sections if s.id == S.DATA_COUNT)
            raise WasmFormatError(
                where,
                f"data count and data section have inconsistent lengths ({data_count} declared, {segments} segments)",
            )


def _read_custom(section: Section, data: bytes, fields: dict[str, object], warnings: list[str]) -> None:
    start, end, name = section.data_offset, section.end, section.name
    try:
        if name == "name" and "names" not in fields:
            names = read_name_section(data, start, end)
            warnings.extend(names.warnings)
            fields["names"] = names
        elif name == "producers" and "producers" not in fields:
            fields["producers"] = read_producers(data, start, end)
        elif name == "build_id":
            fields["build_id"] = read_build_id(data, start, end)
        elif name == "external_debug_info":
            fields["external_debug_info"] = read_string_section(data, start, end, name)
        elif name == "sourceMappingURL":
            fields["source_mapping_url"] = read_string_section(data, start, end, name)
        elif name.startswith(".debug_"):
            dwarf = fields.get("dwarf") or DwarfSummary((), (), 0)
            assert isinstance(dwarf, DwarfSummary)
            dwarf = replace(dwarf, sections=dwarf.sections + (name,))
            fields["dwarf"] = dwarf
            if name == ".debug_info":
                versions, units = read_unit_versions(data, start, end)
                fields["dwarf"] = replace(dwarf, versions=versions, unit_count=units)
    except WasmFormatError as error:
        warnings.append(f"{name} section ignored: {error.message}")

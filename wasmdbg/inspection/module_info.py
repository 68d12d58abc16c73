"""What `wasmdbg info` knows about a module: facts from the reader plus wasmtime's verdict on validity."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

from wasmdbg.errors import InvalidModuleError
from wasmdbg.wasm.entities import FUNC, GLOBAL, MEMORY, TABLE, Import
from wasmdbg.wasm.files import read_module_file
from wasmdbg.wasm.module import WasmModule, read_module
from wasmdbg.wasm.types import GlobalType, Limits, TableType

SOURCE, NAMES, INDICES = "source", "names", "indices"
"""How far symbolization can go: file:line, function names, or bare indices."""


@dataclass(frozen=True)
class ModuleInfo:
    """A module file read and judged; render it with `render.module` or `to_json`."""

    path: str
    size: int
    sha256: str
    module: WasmModule
    symbolization: str
    """"source", "names" or "indices"."""
    verdict: str
    """One sentence on what symbolization will be possible, and why."""
    named_functions: int
    validated: bool
    """True when wasmtime validated the module (it is then known to be valid)."""

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of `wasmdbg info --format json` (a contract with scripts: extend, never rename)."""
        m = self.module
        code = m.code_section
        dwarf = m.dwarf
        return {
            "path": self.path,
            "size": self.size,
            "sha256": self.sha256,
            "sections": [
                {"id": s.id, "name": s.name, "offset": s.offset, "size": s.size, "header_offset": s.header_offset}
                for s in m.sections
            ],
            "code_section": {"offset": code.offset, "size": code.size} if code else None,
            "functions": {"imported": m.imported_function_count, "defined": len(m.bodies)},
            "imports": [
                {"module": i.module, "field": i.field, "kind": i.kind, "type": describe_import_type(m, i)}
                for i in m.imports
            ],
            "exports": [{"name": e.name, "kind": e.kind, "index": e.index} for e in m.exports],
            "memories": [
                {
                    "index": mem.index,
                    "min_pages": mem.limits.min,
                    "max_pages": mem.limits.max,
                    "imported": mem.imported,
                    "shared": mem.limits.shared,
                    "memory64": mem.limits.is64,
                    "page_size": 1 << (mem.limits.page_size_log2 if mem.limits.page_size_log2 is not None else 16),
                }
                for mem in m.memories
            ],
            "start": m.start,
            "debug": {
                "dwarf_sections": list(dwarf.sections),
                "dwarf_version": max(dwarf.versions) if dwarf.versions else None,
                "dwarf_versions": list(dwarf.versions),
                "dwarf_units": dwarf.unit_count,
                "name_section": m.names is not None,
                "named_functions": self.named_functions,
                "build_id": m.build_id,
                "external_debug_info": m.external_debug_info,
                "source_mapping_url": m.source_mapping_url,
                "producers": (
                    {field: [{"name": n, "version": v} for n, v in values] for field, values in m.producers}
                    if m.producers is not None
                    else None
                ),
            },
            "symbolization": {"level": self.symbolization, "summary": self.verdict},
            "validated": self.validated,
            "warnings": list(m.warnings),
        }


def describe_limits(limits: Limits) -> str:
    """Text-format spelling of limits, e.g. `i64 1 16 shared`."""
    parts = ["i64"] if limits.is64 else []
    parts.append(str(limits.min))
    if limits.max is not None:
        parts.append(str(limits.max))
    if limits.shared:
        parts.append("shared")
    if limits.page_size_log2 is not None:
        parts.append(f"(pagesize {1 << limits.page_size_log2})")
    return " ".join(parts)


def memory_bytes(limits: Limits) -> tuple[int, int | None]:
    """(minimum, maximum) size in bytes of a memory with these limits."""
    page = 1 << (limits.page_size_log2 if limits.page_size_log2 is not None else 16)
    return limits.min * page, None if limits.max is None else limits.max * page


def describe_import_type(module: WasmModule, imp: Import) -> str:
    """Text-format spelling of an import's type, e.g. `(func (param i32) (result i32))`."""
    t = imp.type
    if imp.kind == FUNC or isinstance(t, int):
        if isinstance(t, int) and t < len(module.types) and module.types[t].kind == "func":
            return module.types[t].signature()
        return f"(type {t})"
    if imp.kind == MEMORY and isinstance(t, Limits):
        return f"(memory {describe_limits(t)})"
    if imp.kind == TABLE and isinstance(t, TableType):
        return f"(table {describe_limits(t.limits)} {t.element_type})"
    if imp.kind == GLOBAL and isinstance(t, GlobalType):
        return f"(global (mut {t.val_type}))" if t.mutable else f"(global {t.val_type})"
    return str(t)


def _judge(module: WasmModule) -> tuple[str, str, int]:
    """(level, verdict, named functions)."""
    names = module.names.functions if module.names else {}
    named = sum(1 for index in names if index < module.function_count)
    dwarf = module.dwarf
    separate = (
        f"; its DWARF is in a separate file named by external_debug_info: {module.external_debug_info}"
        if module.external_debug_info
        else ""
    )
    if ".debug_info" in dwarf.sections and ".debug_line" in dwarf.sections:
        versions = "/".join(str(v) for v in dwarf.versions) or "?"
        return (
            SOURCE,
            f"source lines: DWARF {versions} line tables and {dwarf.unit_count} compile units map code to file:line",
            named,
        )
    if named:
        reason = "no DWARF" if not dwarf.sections else "DWARF incomplete (no .debug_info or .debug_line)"
        return NAMES, f"function names only: the name section names {named} of {module.function_count} functions; {reason}{separate}", named
    exported = sum(1 for e in module.exports if e.kind == FUNC)
    extra = (
        f"; {exported} exported function{' is' if exported == 1 else 's are'} known by export name"
        if exported
        else ""
    )
    return INDICES, f"indices only: no DWARF and no function names{extra}{separate}", named


def inspect_module(path: str | os.PathLike[str], *, validate: bool = True) -> ModuleInfo:
    """Read, check and judge a module file.

    Args:
        path: the module file.
        validate: have wasmtime validate the whole module, function bodies included, so a module
            wasmtime would refuse to run is reported as such. (wasmtime's validator is native code
            and does in milliseconds what decoding every body in Python would take seconds for.)

    Raises:
        WasmdbgError: the file cannot be read.
        WasmFormatError: the module is malformed, or (InvalidModuleError) invalid when `validate` is set.
    """
    data = read_module_file(path)
    module = read_module(data)
    if validate:
        # Deferred so that reading a module without validating never loads the engine.
        from wasmdbg.runner.validate import validation_error

        error = validation_error(data)
        if error is not None:
            raise InvalidModuleError(_error_offset(error), f"{error} (wasmtime)")
    level, verdict, named = _judge(module)
    return ModuleInfo(
        path=os.fspath(path),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        module=module,
        symbolization=level,
        verdict=verdict,
        named_functions=named,
        validated=validate,
    )


def _error_offset(message: str) -> int:
    """The `(at offset 0x…)` wasmtime appends to validation errors, else 0."""
    marker = "(at offset 0x"
    at = message.rfind(marker)
    if at >= 0:
        digits = message[at + len(marker) :].split(")", 1)[0]
        try:
            return int(digits, 16)
        except ValueError:
            pass
    return 0

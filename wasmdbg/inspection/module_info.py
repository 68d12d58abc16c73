"""What `wasmdbg info` knows about a module: facts from the reader, where its DWARF is, and wasmtime's verdict.

The symbolization level is judged from the same debug information the symbolizer uses
(`symbols.debug_files.find_debug_info`), so `info` and `symbolize` agree on a stripped module
whose debug file lies beside it. A module wasmtime refuses is still described, with the refusal
as a finding (`ModuleInfo.refusal`).
"""

from __future__ import annotations

from collections.abc import Callable

import hashlib
import os
from dataclasses import dataclass
from typing import Any

from wasmdbg.facts import page_bytes
from wasmdbg.findings import Finding
from wasmdbg.errors import InvalidModuleError, WasmFormatError
from wasmdbg.runner.text_format import read_module_source
from wasmdbg.symbols.debug_files import DebugInfo, find_debug_info
from wasmdbg.wasm.entities import FUNC, GLOBAL, MEMORY, TABLE, Import
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
    """Functions named by the module's own name section."""
    validated: bool
    """True when wasmtime validated the module and accepted it (it is then known to be valid)."""
    debug: DebugInfo
    """Which file's DWARF and names symbolization uses (`debug.path` is the debug file, if any)."""
    checked: bool = False
    """True when wasmtime was asked (not `--no-validate`), whatever its answer."""
    refusal: str | None = None
    """wasmtime's one-line reason for refusing the module, or None (accepted, or not checked)."""
    text_format: bool = False
    """True when the file is in the text format; size, sha256 and offsets are then those of the assembled binary."""

    @property
    def debug_file(self) -> str | None:
        """The separate debug file symbolization takes the DWARF from, or None."""
        return self.debug.path

    def refusal_error(self) -> InvalidModuleError | None:
        """The refusal as the error to report (exit status 1), or None when there is none."""
        if self.refusal is None:
            return None
        return InvalidModuleError(_error_offset(self.refusal), f"{self.refusal} (wasmtime)")

    def to_json(self, describe: Callable[[Finding], str] = str) -> dict[str, Any]:
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
                    "page_size": page_bytes(mem.limits.page_size_log2),
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
                "debug_file": self._debug_file_json(),
            },
            "symbolization": {
                "level": self.symbolization,
                "summary": self.verdict,
                "debug_file": self.debug.path,
                "notes": [describe(f) for f in self.debug.findings],
            },
            "validated": self.validated,
            "validation": {
                "valid": (self.refusal is None) if self.checked else None,
                "error": self.refusal,
                "offset": _error_offset(self.refusal) if self.refusal is not None else None,
            },
            "format": "text" if self.text_format else "binary",
            "warnings": list(m.warnings),
        }

    def _debug_file_json(self) -> dict[str, Any] | None:
        if self.debug.path is None:
            return None
        d = self.debug.module
        return {
            "path": self.debug.path,
            "dwarf_sections": list(d.dwarf.sections),
            "dwarf_version": max(d.dwarf.versions) if d.dwarf.versions else None,
            "dwarf_versions": list(d.dwarf.versions),
            "dwarf_units": d.dwarf.unit_count,
            "name_section": d.names is not None,
            "named_functions": _named(d, self.module.function_count),
            "build_id": d.build_id,
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
    page = page_bytes(limits.page_size_log2)
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


def _judge(module: WasmModule, debug: DebugInfo) -> tuple[str, str, int]:
    """(level, verdict, functions the module names), from the DWARF and names the symbolizer will use.

    The symbolizer names a function from the module's name section, else the debug file's.
    """
    own = _named(module, module.function_count)
    named = len(
        {
            index
            for source in (module, debug.module)
            for index in (source.names.functions if source.names else {})
            if index < module.function_count
        }
    )
    dwarf = debug.module.dwarf
    if debug.notes:
        separate = "; " + "; ".join(debug.notes)
    elif module.external_debug_info and debug.path is None:
        separate = f"; its DWARF is in a separate file named by external_debug_info: {module.external_debug_info}"
    else:
        separate = ""
    where = f" in the debug file {debug.path}" if debug.path is not None else ""
    if ".debug_info" in dwarf.sections and ".debug_line" in dwarf.sections:
        versions = "/".join(str(v) for v in dwarf.versions) or "?"
        return (
            SOURCE,
            f"source lines: DWARF {versions} line tables and {dwarf.unit_count} compile units{where} "
            "map code to file:line",
            own,
        )
    if named:
        reason = "no DWARF" if not dwarf.sections else f"DWARF{where} incomplete (no .debug_info or .debug_line)"
        names_from = " of the debug file" if own < named else ""
        return (
            NAMES,
            f"function names only: the name section{names_from} names {named} of {module.function_count} "
            f"functions; {reason}{separate}",
            own,
        )
    exported = sum(1 for e in module.exports if e.kind == FUNC)
    extra = (
        f"; {exported} exported function{' is' if exported == 1 else 's are'} known by export name"
        if exported
        else ""
    )
    lacking = "no DWARF" if not dwarf.sections else f"incomplete DWARF{where}"
    return INDICES, f"indices only: {lacking} and no function names{extra}{separate}", own


def _named(module: WasmModule, function_count: int) -> int:
    """How many of the first `function_count` functions `module`'s name section names."""
    names = module.names.functions if module.names else {}
    return sum(1 for index in names if index < function_count)


def inspect_module(path: str | os.PathLike[str], *, validate: bool = True) -> ModuleInfo:
    """Read, check and judge a module file (binary or text format).

    A module wasmtime refuses is still described: the refusal is a finding (`refusal`, and
    `refusal_error()` for the caller that must fail on it), not an exception.

    Args:
        path: the module file, binary or text format (assembled with wasmtime's wat2wasm).
        validate: have wasmtime validate the whole module, function bodies included, so a module
            wasmtime would refuse to run is reported as such. (wasmtime's validator is native code
            and does in milliseconds what decoding every body in Python would take seconds for.)

    Raises:
        WasmdbgError: the file cannot be read, or is text that does not assemble.
        WasmFormatError: the module is malformed (the reader cannot read it); InvalidModuleError,
            with wasmtime's reason, when wasmtime refuses a module whose function bodies the reader
            cannot decode either.
    """
    data, text_format = read_module_source(path)
    return describe_module(os.fspath(path), read_module(data), validate=validate, text_format=text_format)


def describe_module(
    path: str, module: WasmModule, *, validate: bool = True, text_format: bool = False, debug_file: str | None = None
) -> ModuleInfo:
    """Check and judge a module already read (what `inspect_module` does after reading the file).

    Args:
        debug_file: the separate debug file the user named, if any (else it is found as `symbolize` finds it).

    Raises:
        InvalidModuleError: as for `inspect_module`.
        WasmdbgError: `debug_file` cannot be used.
    """
    shown, data = path, module.data
    refusal = None
    if validate:
        # Deferred so that reading a module without validating never loads the engine.
        from wasmdbg.runner.validate import validation_error

        refusal = validation_error(data)
        if refusal is not None:
            try:
                module.check_code()
            except WasmFormatError:
                # Malformed inside a function body, where the reader fails too: refused in one line,
                # with wasmtime's reason, rather than described.
                raise InvalidModuleError(_error_offset(refusal), f"{refusal} (wasmtime)") from None
    debug = find_debug_info(module, shown, debug_file)
    level, verdict, named = _judge(module, debug)
    return ModuleInfo(
        path=shown,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        module=module,
        symbolization=level,
        verdict=verdict,
        named_functions=named,
        validated=validate and refusal is None,
        debug=debug,
        checked=validate,
        refusal=refusal,
        text_format=text_format,
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

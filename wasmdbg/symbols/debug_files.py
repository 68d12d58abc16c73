"""Finding a module's DWARF: in the module, in a given debug file, or where `external_debug_info` points.

A stripped production module names its debug file in an `external_debug_info` section. That name
comes from the module, which is untrusted, so it is followed only to a relative path inside the
module's own directory (never a URL, never `..` or a symlink out of it); anywhere else the user has
to pass the file explicitly. Whichever file supplies the DWARF must be the module's: equal build
ids when both carry one, else the same code section size and function count.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from wasmdbg.errors import WasmdbgError
from wasmdbg.findings import (
    DEBUG_FILE_ABSOLUTE,
    DEBUG_FILE_MISSING,
    DEBUG_FILE_OUTSIDE,
    DEBUG_FILE_UNUSABLE,
    DEBUG_FILE_URL,
    Finding,
)
from wasmdbg.symbols.sources import regular_file_size
from wasmdbg.text import printable
from wasmdbg.runner.text_format import module_bytes
from wasmdbg.wasm.module import WasmModule, read_module


class DebugFileMismatchError(WasmdbgError):
    """A debug file that does not belong to the module it was given for."""


@dataclass(frozen=True)
class DebugInfo:
    """Where a module's DWARF sections come from, and why."""

    module: WasmModule
    """The module whose `.debug_*` sections (and name section) describe the code."""
    path: str | None
    """The debug file, or None when the DWARF is in the module itself or absent."""
    findings: tuple[Finding, ...] = ()
    """What was not used and why (kinds `DEBUG_FILE_*`), worded without CLI flags."""

    @property
    def notes(self) -> tuple[str, ...]:
        """The findings' messages, for callers that show plain text without a front end's hints."""
        return tuple(finding.message for finding in self.findings)

    def dwarf_sections(self) -> dict[str, bytes]:
        """`.debug_*` section name -> payload (the first of each name)."""
        out: dict[str, bytes] = {}
        for s in self.module.sections:
            if s.is_custom and s.name.startswith(".debug_") and s.name not in out:
                out[s.name] = self.module.data[s.data_offset : s.end]
        return out


def check_match(module: WasmModule, debug: WasmModule, debug_path: str) -> None:
    """Raise DebugFileMismatchError unless `debug` describes the same code as `module`."""
    shown = printable(debug_path)
    if module.build_id is not None and debug.build_id is not None:
        if module.build_id != debug.build_id:
            raise DebugFileMismatchError(
                f"{shown} is not this module's debug file: build ids differ "
                f"(module {module.build_id}, debug file {debug.build_id})"
            )
        return
    ours, theirs = module.code_section, debug.code_section
    if ours is None or theirs is None or ours.size != theirs.size or module.function_count != debug.function_count:
        raise DebugFileMismatchError(
            f"{shown} is not this module's debug file: its code section or function count differs "
            f"(and the two do not both carry a build id)"
        )


def _load_debug_file(module: WasmModule, path: str) -> WasmModule:
    debug = read_module(module_bytes(path))
    check_match(module, debug, path)
    return debug


def external_debug_path(module_path: str, name: str) -> tuple[Path | None, Finding | None]:
    """Where `external_debug_info` may lead: (path, None), or (None, why it is not followed)."""
    shown = printable(name)
    if "://" in name or name.startswith(("//", "\\\\")):
        return None, Finding(DEBUG_FILE_URL, f"external_debug_info names a URL ({shown}); wasmdbg never fetches")
    if os.path.isabs(name) or (len(name) > 1 and name[1] == ":"):
        return None, Finding(DEBUG_FILE_ABSOLUTE, f"external_debug_info names an absolute path ({shown})")
    directory = Path(module_path).resolve().parent
    candidate = (directory / name).resolve()
    if candidate.parent != directory and directory not in candidate.parents:
        return None, Finding(DEBUG_FILE_OUTSIDE, f"external_debug_info points outside the module's directory ({shown})")
    if regular_file_size(candidate) is None:  # absent, not a file, or a name too long to look up
        return None, Finding(DEBUG_FILE_MISSING, f"external_debug_info names {shown}, which is not beside the module")
    return candidate, None


def find_debug_info(module: WasmModule, module_path: str | None, debug_file: str | None = None) -> DebugInfo:
    """Decide which file's DWARF describes `module`.

    Raises:
        WasmdbgError: `debug_file` cannot be read or is malformed.
        DebugFileMismatchError: `debug_file` is another build's (a file found through
            external_debug_info that does not match is only noted).
    """
    if debug_file is not None:
        return DebugInfo(_load_debug_file(module, debug_file), debug_file)
    if module.dwarf.sections:
        return DebugInfo(module, None)
    if module.external_debug_info is None or module_path is None:
        return DebugInfo(module, None)
    path, why_not = external_debug_path(module_path, module.external_debug_info)
    if path is None:
        return DebugInfo(module, None, (why_not,) if why_not is not None else ())
    try:
        return DebugInfo(_load_debug_file(module, str(path)), str(path))
    except WasmdbgError as error:
        # The user did not ask for this file: say why it is unused rather than refuse to work.
        return DebugInfo(
            module, None, (Finding(DEBUG_FILE_UNUSABLE, f"not using the external debug file: {error.message}"),)
        )

"""Demangled DWARF names remembered beside a module's cached index, so a warm run need not demangle.

The demangler is pure Python (~0.1 ms a name): on a Rust module, 5,000 addresses meet a thousand
or so distinct names, and demangling them (with the library's import) was a third of a warm
`symbolize`. A memo file maps each raw name met so far to its demangled form. It is tied to the
index's cache key (the DWARF's content) and to the demangler itself (wasmdbg's caps and the
library's installed file), so an upgrade or another build is a miss; a missing, corrupt or foreign
memo is a miss too, and failing to write it only costs the next run the demangling.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

from wasmdbg.symbols.demangle import MAX_DEMANGLED_CHARS, MAX_NAME_CHARS, demangle, might_be_mangled

MEMO_FORMAT = 1
MAX_NAMES = 200_000
"""Names kept at most (a memo stops growing there; lookups past it still demangle)."""


def _demangler_identity() -> str:
    """What the memo's answers depend on besides the names: our caps and the library's file."""
    spec = importlib.util.find_spec("demangle")
    origin = spec.origin if spec is not None else None
    try:
        stat = os.stat(origin) if origin else None
    except OSError:
        stat = None
    library = f"{origin}:{stat.st_size}:{stat.st_mtime_ns}" if stat else "absent"
    return f"{MEMO_FORMAT}:{MAX_NAME_CHARS}:{MAX_DEMANGLED_CHARS}:{library}"


class NameMemo:
    """Raw name -> demangled form for one index, loaded from and saved to `path`."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._identity = _demangler_identity()
        self._names: dict[str, str] = {}
        self._added = 0
        try:
            stored = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return
        if not isinstance(stored, dict) or stored.get("identity") != self._identity:
            return
        names = stored.get("names")
        if isinstance(names, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in names.items()):
            self._names = names

    def demangle(self, name: str) -> str:
        """`demangle(name)`, from the memo when it has it (only names the demangler would parse are kept)."""
        if not might_be_mangled(name):
            return name  # what `demangle` returns at once: a C name, say
        shown = self._names.get(name)
        if shown is None:
            shown = demangle(name)
            if len(self._names) < MAX_NAMES:
                self._names[name] = shown
                self._added += 1
        return shown

    def save(self) -> None:
        """Write the memo if this run added names (atomically; a failure is ignored)."""
        if not self._added:
            return
        from wasmdbg.dwarf.cache import store_file

        try:
            data = json.dumps({"identity": self._identity, "names": self._names}, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return  # a name with a lone surrogate: not worth remembering
        store_file(self._path, data)
        self._added = 0

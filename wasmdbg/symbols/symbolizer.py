"""Symbolizer: module offsets to source frames, DWARF first, then name section, export, index.

Built once per module (`Symbolizer.open`) and reused for every address. The DWARF index is built
in a bounded child process and cached on disk; when it cannot be built, symbolization carries on
from the `name` section and `notes` says why in one line (a typed `Finding`, worded without CLI flags).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from wasmdbg.symbols.debug_files import DebugInfo, find_debug_info
from wasmdbg.symbols.demangle import demangle
from wasmdbg.symbols.name_memo import NameMemo
from wasmdbg.dwarf import cache
from wasmdbg.dwarf.index import DwarfFrame, DwarfIndex
from wasmdbg.dwarf.isolate import DEFAULT_TIMEOUT_S, DwarfBuildCancelled, DwarfBuildError, build_index_bytes
from wasmdbg.dwarf.progress import IndexProgress
from wasmdbg.symbols.frames import DWARF, EXPORT, IMPORT, INDEX, NAME, SourceFrame, SymbolizedAddress
from wasmdbg.wasm.code import FunctionBody
from wasmdbg.wasm.entities import FUNC
from wasmdbg.runner.text_format import module_bytes
from wasmdbg.wasm.boundaries import BoundariesFormatError, CodeBoundaries, boundaries_key, build_boundaries
from wasmdbg.wasm.module import WasmModule, read_module
from wasmdbg.errors import WasmdbgError
from wasmdbg.findings import (
    DWARF_NOTE,
    DWARF_UNUSED,
    IN_HEADER,
    NO_CODE_SECTION,
    NOT_BOUNDARY,
    NOT_IN_BODY,
    OUTSIDE_CODE,
    REMEMBERED_FAILURE,
    UNCHECKED_BODY,
    Finding,
)
from wasmdbg.text import printable
from wasmdbg.addresses import ModuleOffset, to_code_offset


@dataclass(frozen=True)
class SymbolizeOptions:
    """How to find and index the DWARF."""

    debug_file: str | None = None
    dwp: str | None = None
    use_cache: bool = True
    timeout_s: float = DEFAULT_TIMEOUT_S


@dataclass
class Symbolizer:
    """Answers `symbolize(module_offset)` for one module."""

    module: WasmModule
    debug: DebugInfo
    index: DwarfIndex | None
    notes: tuple[Finding, ...] = ()
    """One-line explanations of debug information that was not used (debug file, DWARF index)."""
    use_cache: bool = True
    _boundaries: CodeBoundaries | None = field(default=None, init=False, repr=False, compare=False)
    _boundaries_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _memo: NameMemo | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        options: SymbolizeOptions | None = None,
        *,
        on_progress: Callable[[IndexProgress], None] | None = None,
    ) -> Symbolizer:
        """Read a module and its debug information (`on_progress`: as for `for_module`).

        Raises:
            WasmdbgError: the module or the given debug file cannot be read, is malformed, or the
                debug file belongs to another build.
        """
        options = options or SymbolizeOptions()
        module = read_module(module_bytes(path))
        return cls.for_module(module, os.fspath(path), options, on_progress=on_progress)

    @classmethod
    def for_module(
        cls,
        module: WasmModule,
        path: str | None,
        options: SymbolizeOptions,
        *,
        cancel: threading.Event | None = None,
        on_progress: Callable[[IndexProgress], None] | None = None,
    ) -> Symbolizer:
        """A symbolizer for an already-read module (path locates its external debug file).

        Args:
            module: the module.
            path: where it was read from, to find its debug file, `.dwo` and `.dwp` files.
            options: how to find and index the DWARF.
            cancel: set it (from any thread) to stop a DWARF index build; the build's child
                process is killed at once and nothing is cached.
            on_progress: progress of a DWARF index build, called in this thread; a cached index
                reports none.

        Raises:
            DwarfBuildCancelled: `cancel` was set while the DWARF index was being built.
            WasmdbgError: the given debug file or `.dwp` cannot be read or belongs to another build.
        """
        debug = find_debug_info(module, path, options.debug_file)
        notes = list(debug.findings)
        index = None
        sections = debug.dwarf_sections()
        symbolizer = cls(module, debug, None, (), options.use_cache)
        if ".debug_info" in sections:
            dwarf_path = debug.path or path
            index, note, key = _load_index(
                sections, options, dwarf_path, cancel=cancel, on_progress=on_progress,
                while_building=symbolizer._prepare_boundaries,
            )
            if note:
                notes.append(note)
            if index is not None:
                notes.extend(Finding(DWARF_NOTE, note) for note in index.notes)
                if options.use_cache:
                    symbolizer._memo = NameMemo(cache.cache_dir() / f"{key}.names")
        symbolizer.index = index
        symbolizer.notes = tuple(notes)
        return symbolizer

    # -- names --------------------------------------------------------------------------------

    def _name_frame(self, func_index: int) -> SourceFrame:
        """The best name outside DWARF: name section (module, then debug file), export, import, index."""
        for source_module in (self.module, self.debug.module):
            names = source_module.names.functions if source_module.names else {}
            if func_index in names:
                return _named(names[func_index], NAME)
        exported = self.module.export_names.get((FUNC, func_index))
        if exported is not None:
            return _named(exported, EXPORT)
        if func_index < self.module.imported_function_count:
            imported = [i for i in self.module.imports if i.kind == FUNC][func_index]
            return SourceFrame(f"{imported.module}.{imported.field}", None, source=IMPORT)
        return SourceFrame(f"<wasm function {func_index}>", None, source=INDEX)

    def function_name(self, func_index: int) -> SourceFrame:
        """How a function index is named when no address inside it is known (e.g. imports)."""
        return self._name_frame(func_index)

    # -- addresses ----------------------------------------------------------------------------

    def symbolize(self, module_offset: ModuleOffset) -> SymbolizedAddress:
        """Frames for a module offset (what runtimes print), innermost first, with warnings."""
        code = self.module.code_section
        warnings: list[Finding] = []
        body = self.module.function_at(module_offset)
        code_offset = None if code is None else to_code_offset(module_offset, ModuleOffset(code.offset))
        if code is None:
            warnings.append(Finding(NO_CODE_SECTION, "the module has no code section"))
        elif not code.offset <= module_offset < code.end:
            warnings.append(
                Finding(
                    OUTSIDE_CODE,
                    f"0x{module_offset:x} is outside the code section (0x{code.offset:x}-0x{code.end:x}): "
                    "is it a code-section offset?",
                )
            )
        elif body is None:
            warnings.append(Finding(NOT_IN_BODY, f"0x{module_offset:x} is in the code section but in no function body"))
        else:
            warning = self._boundary_warning(body, module_offset)
            if warning:
                warnings.append(warning)
        frames: list[SourceFrame] = []
        if self.index is not None and code_offset is not None and code_offset >= 0:
            frames = [self._dwarf_frame(f, body) for f in self.index.find_frames(code_offset)]
        if not frames and body is not None:
            frames = [self._name_frame(body.func_index)]
        return SymbolizedAddress(
            module_offset, code_offset, None if body is None else body.func_index, tuple(frames), tuple(warnings)
        )

    def _dwarf_frame(self, frame: DwarfFrame, body: FunctionBody | None) -> SourceFrame:
        if frame.name is None:
            # DWARF knows the line but not the function: name it from outside DWARF, and say so.
            named = self._name_frame(body.func_index) if body is not None and not frame.inlined else None
            return SourceFrame(
                named.function if named else None,
                named.linkage_name if named else None,
                frame.file,
                frame.line,
                frame.column,
                frame.inlined,
                named.source if named else DWARF,
            )
        shown = self._memo.demangle(frame.name) if self._memo is not None else demangle(frame.name)
        return SourceFrame(
            shown,
            frame.name if frame.is_linkage_name else None,
            frame.file,
            frame.line,
            frame.column,
            frame.inlined,
            DWARF,
        )

    def remember_names(self) -> None:
        """Keep the DWARF names demangled so far beside the cached index, for the next run to reuse."""
        if self._memo is not None:
            self._memo.save()

    def boundaries(self) -> CodeBoundaries | None:
        """Every instruction boundary of the code: from the cache, else decoded now (and cached).

        None without a code section. Safe from any thread; the first caller decodes, others wait.
        """
        with self._boundaries_lock:
            if self._boundaries is None:
                code = self.module.code_section
                if code is None:
                    return None
                if not self.use_cache:
                    self._boundaries = build_boundaries(self.module.data, code.offset, code.end, self.module.bodies)
                    return self._boundaries
                key = boundaries_key(self.module.data[code.offset : code.end])
                path = cache.cache_dir() / f"{key}.bnd"
                try:
                    self._boundaries = CodeBoundaries.from_bytes(path.read_bytes(), key)
                except (OSError, BoundariesFormatError):  # a miss, or a file that is not this map
                    self._boundaries = build_boundaries(self.module.data, code.offset, code.end, self.module.bodies)
                    cache.store_file(path, self._boundaries.to_bytes(key))
            return self._boundaries

    def _prepare_boundaries(self) -> None:
        try:
            self.boundaries()
        except Exception:  # noqa: BLE001 - a head start only; the first real check decodes again and reports
            pass

    def _boundary_warning(self, body: FunctionBody, offset: int) -> Finding | None:
        if offset < body.code_offset:
            return Finding(
                IN_HEADER, f"0x{offset:x} is in the header of function {body.func_index}'s body, not on an instruction"
            )
        boundaries = self.boundaries()
        if boundaries is None or not boundaries.decoded(body):
            return Finding(
                UNCHECKED_BODY, f"function {body.func_index}'s body could not be decoded, so 0x{offset:x} was not checked"
            )
        if not boundaries.is_boundary(offset):
            start = boundaries.instruction_start(offset, body)
            where = f" (inside the instruction at 0x{start:x})" if start is not None else ""
            return Finding(
                NOT_BOUNDARY,
                f"0x{offset:x} is not on an instruction boundary{where}: does this trace come from this binary?",
            )
        return None



def _named(raw: str, source: str) -> SourceFrame:
    shown = demangle(raw)
    return SourceFrame(shown, raw if shown != raw else None, source=source)


def _find_dwp(dwarf_path: str | None, given: str | None) -> str | None:
    """The DWARF package: as given, else `M.wasm.dwp` or `M.dwp` beside the module."""
    if given is not None:
        return given
    if dwarf_path is None:
        return None
    path = Path(dwarf_path)
    for candidate in (path.with_name(path.name + ".dwp"), path.with_suffix(".dwp")):
        if candidate.is_file():
            return str(candidate)
    return None


def _load_index(
    sections: dict[str, bytes],
    options: SymbolizeOptions,
    dwarf_path: str | None,
    *,
    cancel: threading.Event | None = None,
    on_progress: Callable[[IndexProgress], None] | None = None,
    while_building: Callable[[], object] | None = None,
) -> tuple[DwarfIndex | None, Finding | None, str]:
    """The DWARF index from the cache or a fresh bounded build, else None and why in one line; its cache key.

    A cache hit returns at once, without progress. A cancelled build raises DwarfBuildCancelled
    and is not remembered: the next call builds again. `while_building` runs in a thread while
    the child builds (the parent only waits on a pipe then, so it has a core to spare).
    """
    dwp = _find_dwp(dwarf_path, options.dwp)
    if options.dwp is not None and not Path(options.dwp).is_file():
        raise WasmdbgError(f"{printable(options.dwp)}: no such DWARF package file")
    split_dir = str(Path(dwarf_path).resolve().parent) if dwarf_path else None
    key = cache.cache_key(sections, Path(dwp).read_bytes() if dwp else b"", split_dir=split_dir)
    if options.use_cache:
        cached = cache.load(key)
        if isinstance(cached, DwarfIndex):
            return cached, None, key
        if isinstance(cached, str):
            return None, Finding(REMEMBERED_FAILURE, f"DWARF not used: {cached} (remembered from an earlier run)"), key
    if while_building is not None:
        threading.Thread(target=while_building, name="wasmdbg-boundaries", daemon=True).start()
    try:
        data = build_index_bytes(
            sections, key, timeout_s=options.timeout_s, split_dir=split_dir, dwp=dwp, cancel=cancel,
            on_progress=on_progress,
        )
        index = DwarfIndex.from_bytes(data, key)
    except DwarfBuildCancelled:
        raise  # not a property of the DWARF: never cached, never turned into a note
    except DwarfBuildError as error:
        if options.use_cache:
            cache.store_failure(key, error.message)
        return None, Finding(DWARF_UNUSED, f"DWARF not used: {error.message}; frames come from the name section"), key
    except Exception as error:  # an index that does not load is a bug, but must not stop symbolization
        return None, Finding(DWARF_UNUSED, f"DWARF not used: its index could not be loaded ({error})"), key
    if options.use_cache:
        cache.store(key, data)
    return index, None, key

"""Reading source files named by DWARF, only where the user's source roots allow.

Paths in debug info come from the module, which is untrusted: a file is read only if, after
`--substitute-path` mapping and resolving symlinks, it lies inside one of the source roots, is a
regular file, and is not larger than MAX_SOURCE_BYTES.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MAX_SOURCE_BYTES = 4 << 20


def regular_file_size(path: Path) -> int | None:
    """The size of the regular file at `path`; None for anything else, or a path that cannot even be looked at.

    Not `Path.is_file()`: it raises on errors other than "no such file" (a DWARF path too long for the
    system, a directory that may not be searched), and a path from the module must only ever be not found.
    """
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None

OUTSIDE_ROOTS, NOT_FOUND, TOO_LARGE, UNREADABLE = "outside_roots", "not_found", "too_large", "unreadable"
"""Why a source file was not shown (SourceMissing.kind); the front end adds what the user can do."""


@dataclass(frozen=True, slots=True)
class SourceExcerpt:
    """Lines of a source file around one line."""

    file: str
    """The path as the debug information names it."""
    path: str
    """The local file that was read."""
    line: int
    """The line of interest (the frame's)."""
    lines: tuple[tuple[int, str], ...]
    """(line number, text) pairs, in order; untrusted text, escaped only when shown."""


@dataclass(frozen=True, slots=True)
class SourceMissing:
    """Why a source file could not be shown."""

    file: str
    kind: str
    """OUTSIDE_ROOTS, NOT_FOUND, TOO_LARGE or UNREADABLE."""
    message: str
    """One line, without command-line flags."""


@dataclass(frozen=True)
class SourceRoots:
    """Where sources may be read from, and how build paths map to local ones."""

    roots: tuple[Path, ...]
    substitutions: tuple[tuple[str, str], ...] = ()
    base: Path | None = None
    """Where relative DWARF paths start: the module's directory (DWARF joins them to a relative comp_dir)."""

    @classmethod
    def for_module(
        cls, module_path: str, given: Sequence[str], substitutions: Sequence[str], comp_dirs: Sequence[str] = ()
    ) -> SourceRoots:
        """The roots given with --source-root, else the module's directory and existing DWARF comp_dirs.

        The directory a --substitute-path maps to is a root too: the user named it as where the
        sources are (a relative one is taken from the working directory, as --source-root is).
        """
        if given:
            roots = [Path(r) for r in given]
        else:
            roots = [Path(module_path).resolve().parent]
            roots += [Path(d) for d in comp_dirs if os.path.isabs(d) and os.path.isdir(d)]
        pairs = []
        for spec in substitutions:
            source, sep, target = spec.partition("=")
            if sep and source:
                target = os.path.abspath(target) if target else target
                pairs.append((source, target))
                if target and os.path.isdir(target):
                    roots.append(Path(target))
        return cls(tuple(r.resolve() for r in roots), tuple(pairs), Path(module_path).resolve().parent)

    def locate(self, file: str) -> Path | None:
        """The readable local file for a DWARF path, or None."""
        for source, target in self.substitutions:
            if file.startswith(source):
                file = target + file[len(source) :]
                break
        normalized = file.replace("\\", "/")
        if os.path.isabs(normalized):
            candidates = [Path(normalized)]
        else:
            bases = ([self.base] if self.base is not None else []) + list(self.roots)
            candidates = [base / normalized for base in bases]
        for candidate in candidates:
            try:
                real = candidate.resolve()
            except OSError:
                continue
            if not any(real == root or root in real.parents for root in self.roots):
                continue
            size = regular_file_size(real)
            if size is not None and size <= MAX_SOURCE_BYTES:
                return real
        return None

    def why_missing(self, file: str) -> SourceMissing:
        """Why `locate(file)` found nothing: outside the roots, absent, or too large."""
        for source, target in self.substitutions:
            if file.startswith(source):
                file = target + file[len(source) :]
                break
        normalized = file.replace("\\", "/")
        bases = ([self.base] if self.base is not None else []) + list(self.roots)
        candidates = [Path(normalized)] if os.path.isabs(normalized) else [base / normalized for base in bases]
        inside = False
        for candidate in candidates:
            try:
                real = candidate.resolve()
            except OSError:
                continue
            if any(real == root or root in real.parents for root in self.roots):
                inside = True
                size = regular_file_size(real)
                if size is not None and size > MAX_SOURCE_BYTES:
                    return SourceMissing(file, TOO_LARGE, f"{file} is larger than {MAX_SOURCE_BYTES >> 20} MiB")
            elif regular_file_size(real) is not None:
                return SourceMissing(file, OUTSIDE_ROOTS, f"{file} is outside the source roots, so it is not read")
        if inside:
            return SourceMissing(file, NOT_FOUND, f"{file} is not a readable file under the source roots")
        return SourceMissing(file, NOT_FOUND, f"{file} was not found under the source roots")

    def read_excerpt(self, file: str, line: int, context: int = 3) -> SourceExcerpt | SourceMissing:
        """The lines around `line` of the file DWARF names, or why they cannot be shown."""
        path = self.locate(file)
        if path is None:
            return self.why_missing(file)
        try:
            lines = path.read_bytes().decode("utf-8", "replace").splitlines()
        except OSError as error:
            return SourceMissing(file, UNREADABLE, f"{file} could not be read: {error.strerror or error}")
        first, last = max(1, line - context), min(len(lines), line + context)
        if line < 1 or first > last:
            return SourceMissing(file, NOT_FOUND, f"{file} has no line {line} (is it the source the module was built from?)")
        return SourceExcerpt(file, str(path), line, tuple((n, lines[n - 1]) for n in range(first, last + 1)))

    def excerpt(self, file: str, line: int, context: int = 3) -> list[tuple[int, str]] | None:
        """(line number, text) around `line`, or None when the file may not or cannot be read."""
        path = self.locate(file)
        if path is None or line < 1:
            return None
        try:
            lines = path.read_bytes().decode("utf-8", "replace").splitlines()
        except OSError:
            return None
        first, last = max(1, line - context), min(len(lines), line + context)
        return [(n, lines[n - 1]) for n in range(first, last + 1)] if first <= last else None

"""Demangled function names: Rust (legacy and v0) and C++ Itanium, within fixed bounds.

Names reach wasmdbg from modules it did not build (the `name` section, DWARF linkage
names), so a name is untrusted input: mangling schemes are recursive and back-referencing,
and a few hundred bytes can describe an output of gigabytes. The work is done by the
`demangle` package (pure Python, with its own depth, substitution and output limits); this
module is its one home in wasmdbg and adds the project's caps and a cache.

The spelling follows the tools wasmdbg is compared with: Rust as rustc-demangle's
alternate format (`{:#}`, no `::h<hash>`), the form `wasm-tools addr2line` prints; C++ as
GNU c++filt (`vector<int, allocator<int> >`), the form of wasm-tools' cpp_demangle.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["CACHE_SIZE", "MAX_DEMANGLED_CHARS", "MAX_NAME_CHARS", "demangle", "is_mangled", "might_be_mangled"]

MAX_NAME_CHARS = 4096
"""Longer names are returned unchanged without being parsed (real ones stay under ~1,000)."""

MAX_DEMANGLED_CHARS = 16384
"""A name whose demangled form would be longer is returned unchanged, not truncated."""

CACHE_SIZE = 4096
"""Distinct names remembered; the same few hundred repeat across frames and views."""

_PREFIXES = ("_Z", "_R")
"""Itanium C++ and Rust legacy (`_ZN`), Rust v0: anything else is left as it is."""

_SCHEMES = ("itanium", "rust")
_STYLE = "gnu"
_LIMITS: Any = None
"""The library's limits, made with it on the first mangled name: C modules have none, and the
import is a tenth of a warm `symbolize`'s start."""


def demangle(name: str) -> str:
    """The demangled form of a Rust (legacy, v0) or C++ Itanium symbol name.

    Rust legacy names lose their `::h<16 hex>` hash and a ThinLTO `.llvm.<digits>` suffix
    (`_ZN5panic6lookup17h3a77a11ead1e674cE` -> `panic::lookup`); C++ names are spelled in
    full (`_ZNK9inventory5ShelfIiE4pickEm` -> `inventory::Shelf<int>::pick(unsigned long) const`).
    Pure and cached. The result is not sanitised: escape it before showing it on a terminal.

    Args:
        name: a function or symbol name as found in a module, mangled or not.

    Returns:
        The demangled name; `name` itself when it is not mangled, was already demangled,
        is malformed, or is longer than `MAX_NAME_CHARS` or would demangle to more than
        `MAX_DEMANGLED_CHARS`.
    """
    if not might_be_mangled(name):
        return name
    return _demangle(name)


def might_be_mangled(name: str) -> bool:
    """Whether `demangle` parses `name` at all (else it returns it at once, unchanged)."""
    return len(name) <= MAX_NAME_CHARS and name.startswith(_PREFIXES)


def is_mangled(name: str) -> bool:
    """Whether `demangle` gives `name` a different, readable spelling.

    Args:
        name: a function or symbol name as found in a module.

    Returns:
        True when `demangle(name) != name`.
    """
    return demangle(name) != name


@lru_cache(maxsize=CACHE_SIZE)
def _demangle(name: str) -> str:
    global _LIMITS
    import demangle as _library

    if _LIMITS is None:
        _LIMITS = _library.Limits(max_input=MAX_NAME_CHARS, max_output=MAX_DEMANGLED_CHARS)
    try:
        spelled = _library.demangle(name, language=_SCHEMES, style=_STYLE, limits=_LIMITS)
    except Exception:  # the library promises not to raise over a name; a bug there must not reach a view
        return name
    return spelled if len(spelled) <= MAX_DEMANGLED_CHARS else name


_RUST_HASH = re.compile(r"::h[0-9a-f]{16}$")


def without_rust_hash(name: str) -> str:
    """A demangled Rust legacy name without its `::h<16 hex digits>` hash suffix."""
    return _RUST_HASH.sub("", name)

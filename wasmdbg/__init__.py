"""wasmdbg: a terminal debugging assistant for WebAssembly.

Importing the package loads nothing heavy: no rich, textual or wasmtime.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]

"""Go's functions in a Go-built module, found by the names Go's own traceback prints."""

from __future__ import annotations

from wasmdbg.backtrace.formats.go import name_section_spelling
from wasmdbg.wasm.module import WasmModule


_GO_ENTRIES = frozenset({"_rt0_wasm_wasip1", "_rt0_wasm_js"})
"""Functions only Go's linker puts in a module: the module is Go's."""


def is_go_module(module: WasmModule) -> bool:
    """Whether the module was linked by Go (its name section has Go's wasm entry point)."""
    names = module.names.functions if module.names else {}
    return any(name in _GO_ENTRIES for name in names.values())


class GoFunctions:
    """The module's functions by name-section name, looked up by the name Go prints (`main.(*T).m`)."""

    def __init__(self, module: WasmModule) -> None:
        names = module.names.functions if module.names else {}
        self._by_name = {name: index for index, name in names.items()}

    @staticmethod
    def spelled(name: str) -> str:
        """The name as the module's name section spells it."""
        return name_section_spelling(name)

    def index(self, name: str) -> int | None:
        """The function index of the function Go calls `name`, None when the module has no such function."""
        return self._by_name.get(name_section_spelling(name)) if name else None

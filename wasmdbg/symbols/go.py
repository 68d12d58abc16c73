"""Go's functions in a Go-built module, found by the names Go's own traceback prints."""

from __future__ import annotations

from wasmdbg.backtrace.formats.go import name_section_spelling
from wasmdbg.wasm.module import WasmModule


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

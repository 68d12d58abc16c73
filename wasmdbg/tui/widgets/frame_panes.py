"""Source over disassembly for one frame: what the trap view and the symbolize screen show of a selected frame.

The panes read through a `CodeSource` (a `Session` is one): the sources under the user's roots
and the module's function bodies. Without a module (a report or coredump whose module was not
found) there is no code source and the panes say why.
"""

from __future__ import annotations

from typing import Protocol

from textual.app import ComposeResult
from textual.containers import Vertical

from wasmdbg.errors import WasmdbgError
from wasmdbg.render.symbols import location
from wasmdbg.session.disassembly import Disassembly
from wasmdbg.session.postmortem import SourcesOnly
from wasmdbg.symbols.frames import SourceFrame
from wasmdbg.symbols.sources import SourceRoots
from wasmdbg.tui.widgets.code_views import SOURCE_CONTEXT, DisassemblyView, SourceView


class CodeSource(Protocol):
    """Where a frame's source and instructions come from (`Session` is one)."""

    @property
    def sources(self) -> SourceRoots: ...

    def disassemble(self, func_index: int) -> Disassembly: ...


class FramePanes(Vertical):
    """The selected frame's source (over) and its function's instructions (under)."""

    def __init__(self, *, source_hint: str | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source_hint = source_hint
        self._code: CodeSource | None = None
        self._no_code = "no module: the source and the instructions cannot be shown"
        self._disassembly: dict[int, Disassembly | str] = {}

    def compose(self) -> ComposeResult:
        yield SourceView(id="source", source_hint=self.source_hint)
        yield DisassemblyView(id="disassembly")

    def bind(self, code: CodeSource | None, *, no_code: str | None = None) -> None:
        """Read from `code` from now on (None: say `no_code` instead); forget disassembled functions."""
        self._code = code
        if no_code is not None:
            self._no_code = no_code
        self._disassembly.clear()

    def show_note(self, note: str) -> None:
        """No frame: say why in the source pane."""
        self.query_one(SourceView).show_note(note)
        self.query_one(DisassemblyView).show_note("")

    def show(
        self, frame: SourceFrame, func_index: int | None, module_offset: int | None, *, innermost: bool,
        innermost_label: str = "◀ faulting",
    ) -> None:  # fmt: skip
        """Show `frame`'s source line and its function with the instruction at `module_offset` marked.

        Args:
            innermost: whether the instruction is the one that faulted (else the call of a caller).
        """
        source_view = self.query_one(SourceView)
        disassembly_view = self.query_one(DisassemblyView)
        code = self._code
        dark = self.app.current_theme.dark
        if code is None:
            source_view.show_note(self._no_code)
            disassembly_view.show(None, None, innermost=innermost, error=self._no_code)
            return
        excerpt = None
        if frame.file and frame.line:
            excerpt = code.sources.read_excerpt(frame.file, frame.line, SOURCE_CONTEXT)
        if excerpt is None and isinstance(code, SourcesOnly):
            source_view.show_note(code.reason)  # no module, so no DWARF to blame for the missing line
        else:
            source_view.show(location(frame), excerpt, dark=dark)
        if func_index is None:
            disassembly_view.show(None, None, innermost=innermost, error="the frame does not say which function it is in")
            return
        found = self._disassembly.get(func_index)
        if found is None:
            try:
                found = code.disassemble(func_index)
            except WasmdbgError as error:
                found = error.message
            self._disassembly[func_index] = found
        if isinstance(found, str):
            disassembly_view.show(None, None, innermost=innermost, error=found)
        else:
            disassembly_view.show(found, module_offset, innermost=innermost, innermost_label=innermost_label)

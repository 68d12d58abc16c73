"""Session: the symbolizer built in the background with progress and cancel, shared by every caller."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.helpers import SAMPLES
from wasmdbg.dwarf.isolate import DwarfBuildCancelled
from wasmdbg.dwarf.progress import IndexProgress
from wasmdbg.session.session import Session, SessionOptions
from wasmdbg.symbols.symbolizer import SymbolizeOptions

BIG = SAMPLES / "build" / "panic.O0.wasm"
"""5.5 MB with std's DWARF: seconds to index cold."""


def cold(path: str = str(BIG)) -> Session:
    return Session.open(path, SessionOptions(symbolize=SymbolizeOptions(use_cache=False)))


def test_the_index_builds_in_a_worker_with_progress_and_other_callers_share_it() -> None:
    session = cold()
    progress: list[IndexProgress] = []
    built: list[object] = []
    worker = threading.Thread(target=lambda: built.append(session.symbolizer(on_progress=progress.append)))
    worker.start()
    worker.join(120)
    assert not worker.is_alive() and session.symbolizer_ready
    assert progress and progress[-1].units_done >= 1
    assert session.symbolizer() is built[0]  # built once, then shared


def test_a_cancelled_build_raises_and_a_later_one_succeeds() -> None:
    session = cold()
    cancel = threading.Event()
    errors: list[BaseException] = []

    def build() -> None:
        try:
            session.symbolizer(cancel=cancel, on_progress=lambda _: cancel.set())
        except DwarfBuildCancelled as error:
            errors.append(error)

    worker = threading.Thread(target=build)
    worker.start()
    worker.join(60)
    assert not worker.is_alive() and errors and not session.symbolizer_ready
    assert session.symbolizer().index is not None  # the cancellation was not remembered as a failure


def test_a_text_format_module_opens_as_its_binary(tmp_path: Path) -> None:
    from tests.helpers import wat

    source = '(module (func (export "_start") unreachable))'
    path = tmp_path / "m.wat"
    path.write_text(source)
    session = Session.open(str(path))
    assert session.data == wat(source)


def test_info_uses_the_debug_file_the_session_was_given(tmp_path: Path) -> None:
    # A stripped module copied away from its debug file: only the file the user names can give the DWARF.
    stripped = tmp_path / "divzero.stripped.wasm"
    stripped.write_bytes((SAMPLES / "build" / "divzero.stripped.wasm").read_bytes())
    alone = Session.open(str(stripped)).info(validate=False)
    assert alone.debug_file is None and alone.symbolization != "source"
    debug = str(SAMPLES / "build" / "divzero.debug.wasm")
    given = Session.open(str(stripped), SessionOptions(symbolize=SymbolizeOptions(debug_file=debug))).info(validate=False)
    assert given.debug_file == debug and given.symbolization == "source"

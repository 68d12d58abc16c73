"""Hostile input in the app: every screen shows hostile text inert, and bad files never leave the terminal broken.

One module carries hostile strings everywhere the app shows the module's own text: its function
names (name section, one of them 1 MB long), import and export names, global and data-segment
names, its DWARF (the function's name, the compilation directory and file, so the source pane
says why it cannot show a file it will not read) and the bytes its guest writes to stdout and
stderr before it traps; its file name is hostile too. Each string mixes CSI, OSC (title,
clipboard, hyperlink), raw C1 controls, bidi overrides, Textual markup (styles, a click action,
a link) and invalid UTF-8. Pilot then visits every screen: the run view, the trap view's panes,
the module screen's tabs (the functions filter typed with markup and pasted with escapes), the
paste screen, the go-to-address dialog fed junk, the help and the command palette. On each, the
app still runs, the hostile text is shown literally (escapes as `\\x1b`), no segment the screen
draws carries a control character, a bidi override, or an action or link from the module.

Then, on a real pseudo-terminal, malformed modules, truncated coredumps and reports, and a 20 MB
paste file either end in one line and exit 1 before the app takes the screen, or leave the
terminal as it was (alternate screen left, mouse reporting off, termios unchanged).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from textual.app import App

from tests.fixtures.hostile_dwarf import (
    AttrValue,
    DW_AT_comp_dir,
    DW_AT_high_pc,
    DW_AT_name,
    DW_FORM_data4,
    DW_FORM_string,
    Function,
    Raw,
    Unit,
    code_bodies,
    compile_unit,
    custom_section,
    encode_info,
    line_program,
    name_map,
    string,
    subprogram,
    wat_string,
    with_file_name,
)
from tests.helpers import wat

# -- the hostile strings ----------------------------------------------------------------------------

ESCAPES = "\x1b[2J\x1b[31m\x1b]0;pwned-title\x07\x1b]52;c;aGFja2Vk\x07\x1b]8;;https://evil.example/\x1b\\l\x1b]8;;\x1b\\"
C1 = "\u009b2J\u009d0;c1-title\u009c"
BIDI = "\u202eevil\u2066a\u2069"
MARKUP = "[bold red]x[/][@click=app.quit]y[/][link=file:///etc/passwd]z[/link][@click=app.bell('pwned')]w[/]"
INVALID_UTF8 = b"\xff\xc0\xaf"
HOSTILE = ESCAPES + C1 + BIDI + MARKUP
"""Every piece that is valid UTF-8 (import, export and custom-section names must be)."""


def valid(tag: str) -> bytes:
    """A hostile name, valid UTF-8, `tag` first so each can be told apart."""
    return f"{tag}:{HOSTILE}".encode()


def named(tag: str) -> bytes:
    """A hostile name with invalid UTF-8 after it (the name section and DWARF are read lossily)."""
    return valid(tag) + INVALID_UTF8


TRAP_NAME = named("trapper")
DWARF_NAME = named("dwarf_fn")
START_NAME = named("start")
BIG_NAME = b"big\x1b[2J" + b"B" * 1_000_000
"""The 1 MB name, of the function between _start and the trapping one."""
GLOBAL_NAME = named("glob")
DATA_NAME = named("seg")
COMP_DIR = named("/comp") + b"/dir"
FILE_NAME = named("file") + b".c"
GUEST_OUTPUT = f"out:{HOSTILE}\n".encode() + INVALID_UTF8 + b"\x9b31m raw C1 byte\n"
MODULE_FILE = "m\x1b]0;path-title\x07\u202e[bold]p[red].wasm"

SHOWN_MARKUP = "[bold red]x[/][@click=app.quit]y[/][link=file:///etc/passwd]z[/link]"
"""The markup as the screens must show it: as text."""
SHOWN_ESCAPE = "\\x1b]0;pwned-title\\x07"
"""An OSC title as the screens must show it: escaped."""

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""What must never reach the terminal: C0 controls, DEL, C1 controls, bidi overrides and isolates."""
GUEST_META = ("pwned", "etc/passwd", "evil.example", "app.quit")
"""Pieces of the module's actions and links: no segment's meta may hold one."""


# -- the module -------------------------------------------------------------------------------------














@cache
def hostile_module() -> bytes:
    """Functions: 0 fd_write, 1 a hostile import, 2 _start -> 4 (the 1 MB name) -> 3, which writes and traps."""
    iovec = f"(i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const {len(GUEST_OUTPUT)}))"
    write = "(drop (call 0 (i32.const {}) (i32.const 0) (i32.const 1) (i32.const 8)))"
    text = f"""(module
      (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
      (import {wat_string(valid("imod"))} {wat_string(valid("ifield"))} (func))
      (memory (export "memory") 1)
      (global (export {wat_string(valid("gexport"))}) (mut i32) (i32.const 7))
      (func (export "_start") (call 4))
      (func (export {wat_string(valid("export"))}) {iovec} {write.format(1)} {write.format(2)} unreachable)
      (func (call 3))
      (data (i32.const 64) {wat_string(GUEST_OUTPUT)}))"""
    base = wat(text)
    _, bodies = code_bodies(base)
    trap_lo, trap_hi = bodies[1]
    trap_offset = trap_hi - 2  # `unreachable`, then `end` (no locals: a 1-byte size, an empty vector)
    trapper = Function(3, "trapper", 1, trap_lo, trap_hi, ((trap_lo + 2, 2), (trap_offset, 7)))
    root = compile_unit([subprogram(trapper)])
    replaced: dict[int, tuple[int, AttrValue]] = {
        DW_AT_comp_dir: (DW_FORM_string, Raw(COMP_DIR + b"\0")),
        DW_AT_high_pc: (DW_FORM_data4, bodies[-1][1]),  # the unit covers this module's code section
    }
    root.attrs = [(at, *replaced.get(at, (form, value))) for at, form, value in root.attrs]
    sub = root.children[0]  # type: ignore[index]
    sub.attrs = [(at, DW_FORM_string, Raw(DWARF_NAME + b"\0")) if at == DW_AT_name else (at, form, value)
                 for at, form, value in sub.attrs]  # fmt: skip
    dwarf = {**encode_info([Unit(root)]).sections(), ".debug_line": with_file_name(line_program([trapper]), FILE_NAME)}
    functions = {0: b"fd_write", 1: named("import_fn"), 2: START_NAME, 3: TRAP_NAME, 4: BIG_NAME}
    names = (b"\x00" + string(string(named("module"))) + b"\x01" + string(name_map(functions))
             + b"\x07" + string(name_map({0: GLOBAL_NAME})) + b"\x09" + string(name_map({0: DATA_NAME})))  # fmt: skip
    extra = [custom_section("name", names), custom_section(f"sec:{HOSTILE}", b"x")]
    extra += [custom_section(name, payload) for name, payload in dwarf.items()]
    return base + b"".join(extra)


# -- every screen, with Pilot -----------------------------------------------------------------------


def drawn(app: App[int], what: str) -> str:
    """The whole screen as it goes to the terminal (every strip the compositor makes), checked inert."""
    strips = app.screen._compositor.render_strips()  # private: the exact strips the driver writes
    text = "\n".join("".join(segment.text for segment in strip) for strip in strips)
    found = UNSAFE.search(text)
    assert found is None, f"{what}: {found.group()!r} drawn: {text[max(0, found.start() - 80) : found.start() + 80]!r}"
    for strip in strips:
        for segment in strip:
            meta = segment.style.meta if segment.style is not None else None
            if meta:
                assert not any(piece in str(meta) for piece in GUEST_META), f"{what}: a segment's meta {meta}"
    assert app.is_running, f"{what}: the app exited"
    return text


async def test_every_screen_shows_hostile_names_and_output_inert(tmp_path: Path) -> None:
    from textual import events
    from textual.widgets import Input

    from tests.tui.conftest import wait_for
    from wasmdbg.runner.limits import INTERACTIVE_LIMITS
    from wasmdbg.session.live import RunRequest
    from wasmdbg.session.session import Session, SessionOptions
    from wasmdbg.tui.app import make_app
    from wasmdbg.tui.screens.goto import GotoScreen
    from wasmdbg.tui.screens.help import HelpScreen
    from wasmdbg.tui.screens.module import ModuleScreen
    from wasmdbg.tui.screens.symbolize import SymbolizeScreen
    from wasmdbg.tui.widgets.function_browser import FunctionBrowser
    from wasmdbg.tui.widgets.memory_view import MemoryView

    module = tmp_path / MODULE_FILE
    module.write_bytes(hostile_module())
    session = Session.open(module, SessionOptions(source_roots=(str(tmp_path),)))
    request = RunRequest(limits=INTERACTIVE_LIMITS, unknown_imports_trap=True)
    app = make_app(session, request, source_hint="add --source-root DIR")
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.report is not None and app.trap_view.stack.entries, "the trap's report")
        await pilot.pause()
        # The trap view: outcome and explanation, stack, source (why not shown), disassembly, memory.
        trap = drawn(app, "trap view")
        assert app.report is not None and app.report.outcome == "trapped"
        for shown in ("dwarf_fn:\\x1b[2J", "[bold red]x[/][@click=app.quit]y[/]", "source not available", "/comp:\\x1b[2J",
                      "disassembly  func 3  trapper:\\x1b[2J", "big\\x1b[2JBBBB", "m\\x1b]0;path-title\\x07\\u202e[bold]p[red]"):  # fmt: skip
            assert shown in trap, shown
        # The run view: the guest's output, escaped (its invalid UTF-8 replaced).
        await pilot.press("1")
        await pilot.pause()
        run = drawn(app, "run view")
        assert "out:\\x1b[2J\\x1b[31m\\x1b]0;pwned-title\\x07" in run and "\ufffd\ufffd\ufffd" in run
        # Go to address: junk typed and pasted; the memory the guest filled, its ASCII column inert.
        await pilot.press("2", "g")
        await wait_for(pilot, lambda: isinstance(app.screen, GotoScreen), "the go-to dialog")
        box = app.screen.query_one(Input)
        for junk in ("-1", "[b]", "0x"):
            box.value = ""
            await pilot.press(*junk)
            if junk == "0x":
                box.insert_text_at_cursor("9" * 500)
            await pilot.press("enter")
            await pilot.pause()
            if junk != "0x":
                assert "not an address" in drawn(app, f"go to {junk}") and junk in drawn(app, junk)
        assert not isinstance(app.screen, GotoScreen)
        view = app.trap_view.memory.view
        assert isinstance(view, MemoryView) and view.cursor_address == view.memory_size - 1  # clamped
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, GotoScreen), "the go-to dialog")
        app.screen.query_one(Input).post_message(events.Paste(f"0x{ESCAPES}{C1}{BIDI}{MARKUP}"))
        await pilot.pause()
        assert "[@click=app.quit]y[/]" in drawn(app, "go to, pasted")
        app.screen.query_one(Input).value = "64"
        await pilot.press("enter")
        await pilot.pause()
        memory = drawn(app, "memory at 64")
        assert "|out:.[2J.[31m.]0|" in memory and ";pwned-title..]5" in memory
        # Help and the command palette, markup typed into it.
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        assert "Go to address" in drawn(app, "help")
        await pilot.press("escape", "ctrl+p")
        await pilot.pause()
        await pilot.press(*"[@click=app.quit]x[/][b]")
        await pilot.pause(0.3)
        assert "[@click=app.quit]x[/][b]" in drawn(app, "command palette")
        await pilot.press("escape")
        await pilot.pause()
        # The module screen: every tab; the filter typed with markup and pasted with escapes.
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, ModuleScreen), "the module screen")
        browser = app.screen.query_one(FunctionBrowser)
        await wait_for(pilot, lambda: browser.listed, "the functions listed")
        expected = {"1": ("[bold]p[red].wasm", "name section"), "2": ("sec:\\x1b[2J",),
                    "3": ("imod:\\x1b[2J", "ifield:\\x1b[2J", "export:\\x1b[2J", "gexport:\\x1b[2J"),
                    "4": ("trapper:\\x1b[2J", "big\\x1b[2JBBB"), "5": ("seg:\\x1b[2J", "glob:\\x1b[2J")}  # fmt: skip
        for tab, pieces in expected.items():
            await pilot.press(tab)
            await pilot.pause()
            shown = drawn(app, f"module tab {tab}")
            for piece in pieces:
                assert piece in shown, (tab, piece)
        await pilot.press("slash", *"[@click=app.quit]")
        await pilot.pause()
        assert browser.table.shown_count == 3  # the hostile names have it; fd_write and the 1 MB name do not
        assert "[@click=app.quit]" in drawn(app, "functions filtered")
        app.screen.query_one("#function-filter", Input).post_message(events.Paste(f"{ESCAPES}{C1}{BIDI}"))
        await pilot.pause()
        drawn(app, "functions filter pasted")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ModuleScreen), "the module screen closed")
        # The paste screen: a trace naming the hostile functions, with escapes and markup.
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SymbolizeScreen), "the paste screen")
        screen = app.screen
        assert isinstance(screen, SymbolizeScreen)
        trace = (f"{ESCAPES}{MARKUP}\nerror while executing at wasm backtrace:\n"
                 f"    0:    0x3fa - <unknown>!{TRAP_NAME.decode('utf-8', 'replace')}\n"
                 f"    1:    0x3ff - <unknown>!{HOSTILE}\n")  # fmt: skip
        screen.query_one("#paste").insert(trace)  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: screen.listing is not None and screen.listing.frames and not screen.busy, "the paste symbolized")
        await pilot.pause()
        pasted = drawn(app, "paste screen")
        assert "red]x[/][@click=app.quit]y[/]" in pasted and "␛[2J" in pasted and "does not come from this binary" in pasted
        await pilot.press("escape")
        await pilot.pause()
        drawn(app, "back on the trap view")
        await pilot.press("q")
    assert app.return_code == 134


# -- bad files on a real pseudo-terminal ------------------------------------------------------------

ENTER_ALT, LEAVE_ALT, MOUSE_OFF = b"\x1b[?1049h", b"\x1b[?1049l", b"\x1b[?1000l"


@dataclass(frozen=True)
class OnPty:
    status: int
    output: bytes
    termios_kept: bool
    """Whether the terminal's attributes (echo, canonical mode...) are as they were before."""

    @property
    def entered(self) -> bool:
        return ENTER_ALT in self.output


def _controlling_terminal() -> None:
    """In the child, after setsid: make the pty (its stdin) the controlling terminal, as a terminal emulator does."""
    import fcntl
    import termios

    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def on_pty(*argv: str, ready: bytes = b"", quit_key: bytes = b"q", cwd: Path | None = None) -> OnPty:
    """Run `wasmdbg ARGV` on a new pty (160x50); once the app has drawn `ready`, press `quit_key`."""
    import fcntl
    import os
    import select
    import subprocess
    import sys
    import termios
    import time

    from tests.adversarial.harness import HANG_BOUND_S
    from tests.helpers import ROOT

    master, slave = os.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
        before = termios.tcgetattr(slave)
        env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": os.pathsep.join(sys.path)}
        child = subprocess.Popen([sys.executable, "-m", "wasmdbg", *argv], stdin=slave, stdout=slave, stderr=slave,
                                 start_new_session=True, env=env, cwd=cwd or ROOT,
                                 preexec_fn=_controlling_terminal)  # fmt: skip
        out, pressed, began = bytearray(), False, time.monotonic()
        entered: float | None = None
        try:
            while True:
                assert time.monotonic() - began < HANG_BOUND_S, f"wasmdbg {argv} hangs: {bytes(out[-500:])!r}"
                readable, _, _ = select.select([master], [], [], 0.1)
                if readable:
                    out += os.read(master, 1 << 16)
                elif child.poll() is not None:
                    break
                # `ready` may be drawn in pieces (a partial update): after 15 s in the app, press anyway
                # (the callers' exit status says whether the app had got there).
                if ENTER_ALT in out and entered is None:
                    entered = time.monotonic()
                if not pressed and entered is not None and (ready in out[out.index(ENTER_ALT) :] or time.monotonic() - entered > 15):
                    time.sleep(0.3)
                    os.write(master, quit_key)
                    pressed = True
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()
        return OnPty(child.returncode, bytes(out), termios.tcgetattr(slave) == before)
    finally:
        os.close(master)
        os.close(slave)


def assert_refused_or_restored(result: OnPty, what: str, status: int = 1) -> None:
    """One clear line and `status` before the app takes the screen; or, if it took it, the terminal given back."""
    assert result.status == status, f"{what}: exit {result.status}: {result.output[-600:]!r}"
    assert result.termios_kept, f"{what}: the terminal's attributes changed"
    if not result.entered:
        lines = result.output.decode("utf-8", "replace").strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("wasmdbg") and "error" in lines[0], f"{what}: {result.output!r}"
        assert b"\x1b" not in result.output, f"{what}: {result.output!r}"
    else:
        after = result.output[result.output.rindex(ENTER_ALT) :]
        assert LEAVE_ALT in after and MOUSE_OFF in after, f"{what}: the terminal was not restored: {after[-300:]!r}"


def _spec_malformed(count: int) -> list[Path]:
    import json

    from tests.helpers import CORPUS

    listing = CORPUS / "spec" / "malformed.jsonl"
    if not listing.exists():
        return []
    cases = [json.loads(line) for line in listing.read_text().splitlines() if line.strip()]
    files = [CORPUS / "spec" / c["file"] for c in cases if c["assertion"] == "assert_malformed"]
    return files[:: max(1, len(files) // count)][:count]


def test_malformed_modules_in_the_app_say_one_line_or_give_the_terminal_back(tmp_path: Path) -> None:
    from tests.helpers import SAMPLES

    truncated = tmp_path / "truncated.wasm"
    truncated.write_bytes((SAMPLES / "build" / "divzero.O0.wasm").read_bytes()[:300])
    for module in [*_spec_malformed(3), truncated]:
        result = on_pty(str(module), ready=b"could not run")
        assert_refused_or_restored(result, f"wasmdbg {module.name}")
    refused = on_pty("symbolize", str(truncated), "--tui", quit_key=b"\x11")
    assert_refused_or_restored(refused, "symbolize --tui on a truncated module")


def test_truncated_coredump_and_report_and_a_20_mb_paste_on_a_pty(tmp_path: Path) -> None:
    from tests.adversarial.harness import guarded
    from tests.helpers import SAMPLES

    sample = SAMPLES / "build" / "divzero.O0.wasm"
    dump, report = tmp_path / "run.coredump", tmp_path / "run.json"
    made = guarded("run", "--coredump", str(dump), "--report", str(report), str(sample))
    assert made.status == 134 and dump.exists() and report.exists(), made.err
    for whole in (dump, report):
        cut = tmp_path / f"cut-{whole.name}"
        cut.write_bytes(whole.read_bytes()[: len(whole.read_bytes()) // 2])
        result = on_pty("open", str(cut), "--module", str(sample), ready=b"trap")
        # A degraded answer in the app (quit: 0), or one line and 1.
        assert_refused_or_restored(result, f"open {cut.name}", status=0 if result.entered else 1)
    big = tmp_path / "big.log"
    line = b"    0:    0x29d - <unknown>!\x1b[2J[@click=app.quit]x[/]\xff\n"
    big.write_bytes(line * (20_000_000 // len(line)))
    pasted = on_pty("symbolize", str(sample), "--tui", "--input", str(big), ready=b"frames", quit_key=b"\x11")  # ctrl+q: q is typed into the paste
    assert_refused_or_restored(pasted, "symbolize --tui --input 20 MB", status=0)
    assert pasted.entered



def test_the_app_on_a_good_sample_traps_and_gives_the_terminal_back_on_q() -> None:
    result = on_pty("--source-root", "sample_modules", "sample_modules/build/divzero.O0.wasm", ready=b"faulting")
    assert result.entered and b"faulting" in result.output and b"quotient" in result.output
    assert_refused_or_restored(result, "divzero.O0 in the app", status=134)

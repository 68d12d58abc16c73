"""Hostile strings in names, DWARF, producers, paths and guest output, through every headless report.

One module carries them all: its import, export, custom-section and `name` section names, its
`producers` and `sourceMappingURL`, its DWARF (compilation directory, file table, subprogram name)
and the bytes its guest writes to stdout and stderr before it traps inside the hostile-named
function. The module's own file name is hostile too. Each string mixes terminal escapes (CSI, OSC
title, OSC 52 clipboard, OSC 8 hyperlink), raw C1 controls, bidi overrides, NUL, BEL, backspace, a
bare CR, Rich/Textual markup and invalid UTF-8; one function's name is 1 MB long.

Under a pipe (`harness.guarded`) wasmdbg's own output holds no control character but newline, in
text and JSON alike; what the README says passes through unchanged does so exactly: the guest's
bytes under `run`, the input of the `symbolize` filter. Under a pseudo-terminal the only escape
sequences are wasmdbg's own SGR colours (and the erase of its indexing progress line), and the
hostile text is shown escaped (`\\x1b`, `\\u202e`), its markup as literal text. JSON parses, keeps
each name as the module has it (invalid UTF-8 replaced by U+FFFD: no lone surrogate a strict
consumer would reject), and stays linear in the 1 MB name.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.adversarial.harness import (
    HANG_BOUND_S,
    MEMORY_BOUND_MIB,
    Guarded,
    assert_contained,
    guarded,
)
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
    uleb,
    wat_string,
    with_file_name,
)
from tests.helpers import wat

# -- the hostile strings ----------------------------------------------------------------------------

ESCAPES = "\x1b[2J\x1b[31m\x1b]0;pwned-title\x07\x1b]52;c;aGFja2Vk\x07\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\"
C1 = "\u009b2J\u009d0;c1-title\u009c"
BIDI = "\u202eevil\u2066a\u2067b\u2068c\u2069"
CONTROLS = "nul\x00bel\x07bs\x08cr\rend"
MARKUP = "[bold red]x[/][@click=app.quit]y[/][link=file:///etc/passwd]z[/link]"
INVALID_UTF8 = b"\xff\xc0\xaf\xed\xa0\x80"
"""A lone 0xff, an overlong `/`, an encoded surrogate: each decodes to U+FFFD (one per byte)."""

HOSTILE = ESCAPES + C1 + BIDI + CONTROLS + MARKUP
"""Every hostile piece that is valid UTF-8 (wasm requires that of import, export and section names)."""


def lossy(raw: bytes) -> str:
    """What a reader that replaces invalid UTF-8 makes of `raw` (the name section, DWARF, output)."""
    return raw.decode("utf-8", "replace")


def valid(tag: str) -> bytes:
    """A hostile name that is valid UTF-8 (for imports, exports and section names), `tag` first."""
    return f"{tag}:{HOSTILE}".encode()


def named(tag: str) -> bytes:
    """A hostile name, `tag` first so each can be told apart: every piece, then invalid UTF-8."""
    return valid(tag) + INVALID_UTF8


TRAP_NAME = named("trapper")  # name section: the function that writes the output and traps
START_NAME = named("start")  # name section: _start
# DWARF strings end at a NUL, so theirs have none.
DWARF_NAME = named("dwarf_fn").replace(b"\0", b"")  # the trapping function's DW_AT_name
COMP_DIR = named("/comp").replace(b"\0", b"") + b"/dir"
FILE_NAME = named("file").replace(b"\0", b"") + b".c"
BIG_NAME = b"big" + b"\x1b[2J" + b"A" * 1_000_000
"""The 1 MB name (of the function between _start and the trapping one): escapes in it too."""
GUEST_OUTPUT = f"out:{HOSTILE}\n".encode() + INVALID_UTF8 + b"\x9b31m raw C1 byte\n"
"""What the guest writes to stdout and to stderr: the raw 0x9b is a C1 CSI to an 8-bit terminal."""
MODULE_FILE = "m\x1b]0;path-title\x07\u202e[bold]p[red].wasm"
"""The module's own file name, shown in every report."""

# Escaped forms `wasmdbg.text.printable` shows (written out here, not computed with it).
SHOWN = ("\\x1b[2J", "\\x1b]0;pwned-title\\x07", "\\x1b]52;c;aGFja2Vk\\x07", "\\x9b2J", "\\x9d0;c1-title",
         "\\u202eevil\\u2066a", "nul\\x00bel\\x07bs\\x08cr\\x0dend", MARKUP)  # fmt: skip


# -- the module -------------------------------------------------------------------------------------














@dataclass(frozen=True)
class HostileModule:
    data: bytes
    trap_offset: int
    """Module offset of the `unreachable` in the trapping function (function 3)."""
    call_offsets: tuple[int, int]
    """Module offsets of the calls in _start (function 2) and in the 1 MB-named function 4."""


@cache
def hostile_module() -> HostileModule:
    """Functions: 0 fd_write, 1 a hostile import, 2 _start -> 4 (the 1 MB name) -> 3, which writes and traps."""
    iovec = "(i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const {}))".format(len(GUEST_OUTPUT))
    write = "(drop (call 0 (i32.const {}) (i32.const 0) (i32.const 1) (i32.const 8)))"
    text = f"""(module
      (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
      (import {wat_string(valid("imod"))} {wat_string(valid("ifield"))} (func))
      (memory (export "memory") 1)
      (func (export "_start") (call 4))
      (func (export {wat_string(valid("export"))}) {iovec} {write.format(1)} {write.format(2)} unreachable)
      (func (call 3))
      (data (i32.const 64) {wat_string(GUEST_OUTPUT)}))"""
    base = wat(text)
    code_offset, bodies = code_bodies(base)
    (start_lo, _), (trap_lo, trap_hi), (big_lo, _) = bodies
    # Each body here has no locals: its size field (1 byte), the empty locals vector, then code.
    trap_offset = trap_hi - 2  # `unreachable`, then `end`
    trapper = Function(3, "trapper", 1, trap_lo, trap_hi, ((trap_lo + 2, 2), (trap_offset, 7)))
    root = compile_unit([subprogram(trapper)])
    replaced: dict[int, tuple[int, AttrValue]] = {
        DW_AT_comp_dir: (DW_FORM_string, Raw(COMP_DIR + b"\0")),
        DW_AT_high_pc: (DW_FORM_data4, bodies[-1][1]),  # the unit covers this module's code section
    }
    root.attrs = [(at, *replaced.get(at, (form, value))) for at, form, value in root.attrs]
    assert root.children is not None
    sub = root.children[0]
    sub.attrs = [(at, DW_FORM_string, Raw(DWARF_NAME + b"\0")) if at == DW_AT_name else (at, form, value)
                 for at, form, value in sub.attrs]  # fmt: skip
    encoded = encode_info([Unit(root)])
    dwarf = {**encoded.sections(), ".debug_line": with_file_name(line_program([trapper]), FILE_NAME)}
    names = b"\x00" + string(string(named("module"))) + b"\x01" + string(
        name_map({0: b"fd_write", 1: named("import_fn"), 2: START_NAME, 3: TRAP_NAME, 4: BIG_NAME})
    )
    producers = uleb(2) + string(b"language") + uleb(1) + string(named("lang")) + string(named("v"))
    producers += string(HOSTILE.encode()) + uleb(1) + string(named("tool")) + string(b"1")
    extra = [custom_section("name", names), custom_section("producers", producers),
             custom_section("sourceMappingURL", string(named("map"))), custom_section(f"sec:{HOSTILE}", b"x")]  # fmt: skip
    extra += [custom_section(name, payload) for name, payload in dwarf.items()]
    data = base + b"".join(extra)
    return HostileModule(data, code_offset + trap_offset, (code_offset + start_lo + 2, code_offset + big_lo + 2))


def trace_text(m: HostileModule) -> bytes:
    """A log with two wasmtime traces of the module: frames named by index, then by their hostile names.

    The first fits the module and gets its frames symbolized (the DWARF's hostile names and paths);
    the second names the functions as the name section has them, escapes and all.
    """
    offsets = (m.trap_offset, m.call_offsets[1], m.call_offsets[0])
    by_index = [f"    {i}:  {offset:#x} - <unknown>!<wasm function {f}>" for i, (offset, f) in enumerate(zip(offsets, (3, 4, 2)))]
    by_name = [f"    {i}:  {offset:#x} - <unknown>!{lossy(name)}" for i, (offset, name) in enumerate(zip(offsets, (TRAP_NAME, b"big", START_NAME)))]
    lines = [f"log {HOSTILE} before", "error while executing at wasm backtrace:", *by_index, "",
             "Error: failed to run main module", "wasm backtrace:", *by_name, f"after {HOSTILE}"]  # fmt: skip
    # Undecodable bytes, and what str.splitlines would split on (NEL, LS, FF): none ends a line here.
    return "\n".join(lines).encode() + b" \xff\x9b raw\x85nel\xc2\x85 ls\xe2\x80\xa8 ff\x0c.\n"


# -- checks -----------------------------------------------------------------------------------------

_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""What wasmdbg's own output never holds off a terminal: controls but newline, C1, bidi overrides, surrogates."""
_SURROGATE = re.compile("[\ud800-\udfff]")


def assert_clean(data: bytes, what: str) -> str:
    """`data` is UTF-8 with no control character but newline; returns it decoded."""
    text = data.decode("utf-8")  # strict: no invalid UTF-8 of the module's reaches the output
    found = _CONTROL.search(text)
    assert found is None, f"{what}: {found.group()!r} at {found.start()}: {text[max(0, found.start() - 80):found.start() + 80]!r}"
    return text


def assert_shown(text: str, what: str) -> None:
    """The hostile pieces are there in their escaped, visible form, and markup as literal text."""
    for piece in SHOWN:
        assert piece in text, f"{what}: {piece!r} not shown"


def json_strings(value: object) -> Iterator[str]:
    """Every string in a parsed JSON document, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)


def assert_json(data: bytes, what: str) -> list[Any]:
    """Each line is one JSON document (or the whole is one, indented), every string valid Unicode."""
    assert_clean(data, what)  # JSON escapes every control character: none is left raw
    try:
        documents = [json.loads(data)]
    except json.JSONDecodeError:
        documents = [json.loads(line) for line in data.splitlines() if line.strip()]
    for document in documents:
        for text in json_strings(document):  # a lone surrogate (`\udcff`) is valid JSON syntax, but
            found = _SURROGATE.search(text)  # no Unicode: strict consumers (serde_json, say) reject it
            assert found is None, f"{what}: a lone surrogate in {text[max(0, found.start() - 80):found.start() + 80]!r}"
    return documents


def contained(result: Guarded, statuses: set[int], max_stderr_lines: int = 3) -> None:
    """`harness.assert_contained`, and nothing in the output but newline is a control character."""
    try:
        assert_contained(result, statuses, max_stderr_lines=max_stderr_lines)
    except AssertionError as error:  # its message holds the hostile argv and output: not for a terminal raw
        raise AssertionError(ascii(str(error))) from None
    assert_clean(result.stdout, f"{result.argv[0]} stdout")
    assert_clean(result.stderr, f"{result.argv[0]} stderr")


# -- under a pseudo-terminal ------------------------------------------------------------------------


@dataclass(frozen=True)
class OnTerminal:
    """One run with stdout and stderr on a pseudo-terminal: what the terminal received."""

    argv: tuple[str, ...]
    status: int
    output: bytes
    leftover: tuple[str, ...]


def on_terminal(*argv: str, stdin_terminal: bool = False, width: int = 120) -> OnTerminal:
    """Run `wasmdbg ARGV` as `harness.guarded` does, but with stdout and stderr on a pty (stdin too if asked)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, width, 0, 0))
    chunks = []
    with tempfile.TemporaryDirectory(prefix="wasmdbg-adversarial-") as root:
        home, tmp, cache = (Path(root) / name for name in ("home", "tmp", "cache"))
        for folder in (home, tmp):
            folder.mkdir()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "TMPDIR": str(tmp),
            "WASMDBG_CACHE_DIR": str(cache), "LANG": "C.UTF-8", "PYTHONPATH": os.pathsep.join(sys.path),
            "TERM": "xterm-256color", "COLUMNS": str(width),
        }  # fmt: skip
        try:
            child = subprocess.Popen(
                [sys.executable, "-m", "wasmdbg", *argv], stdin=slave if stdin_terminal else subprocess.DEVNULL,
                stdout=slave, stderr=slave, env=env, start_new_session=True,
            )  # fmt: skip
        finally:
            os.close(slave)
        deadline = time.monotonic() + HANG_BOUND_S
        try:
            while True:
                left = deadline - time.monotonic()
                assert left > 0, f"wasmdbg {argv!r}: still writing after {HANG_BOUND_S} s"
                ready, _, _ = select.select([master], [], [], left)
                if not ready:
                    continue
                try:
                    chunk = os.read(master, 1 << 16)
                except OSError:  # EIO: every holder of the slave has closed it
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            status = child.wait(timeout=max(1.0, deadline - time.monotonic()))
        finally:
            os.close(master)
            if child.poll() is None:
                child.kill()
                child.wait()
        leftover = tuple(sorted(os.listdir(tmp)))
    return OnTerminal(tuple(argv), status, b"".join(chunks), leftover)


_SGR = re.compile(r"\x1b\[[0-9;]*m")
_PROGRESS = re.compile(r"\r(wasmdbg: indexing the DWARF of [^\x1b\r\n]*)?\x1b\[K")
"""The indexing progress line a first run draws on a terminal's stderr, and its erase (README: `The index`)."""


def assert_terminal_safe(result: OnTerminal, statuses: set[int]) -> str:
    """Only SGR colour (and the progress line's erase) reached the terminal; the text without them."""
    what = f"wasmdbg {result.argv!r} on a terminal"
    assert result.status in statuses, f"{what}: exit {result.status}: {result.output[-2000:]!r}"
    assert result.leftover == (), f"{what}: left {result.leftover}"
    text = result.output.decode("utf-8")  # strict: no raw 0x9b or other invalid UTF-8
    text = _PROGRESS.sub("", text.replace("\r\n", "\n"))  # the line discipline turns \n into \r\n
    sequences = re.findall(r"\x1b[^a-zA-Z]*[a-zA-Z\\]?", _SGR.sub("", text))
    assert not sequences, f"{what}: escape sequences other than SGR: {sequences[:5]!r}"
    plain = _SGR.sub("", text)
    assert "Traceback (most recent call last)" not in plain, f"{what}: {plain[-3000:]}"
    found = _CONTROL.search(plain)
    assert found is None, f"{what}: {found.group()!r} raw: {plain[max(0, found.start() - 80):found.start() + 80]!r}"
    return plain


def joined(text: str) -> str:
    """Terminal text with its wrapped lines joined back (no hostile piece holds a space or newline)."""
    return re.sub(r" *\n *", "", text)


# -- the tests --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def module_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("hostile-strings") / MODULE_FILE
    path.write_bytes(hostile_module().data)
    return str(path)


def test_info_shows_every_hostile_name_escaped_and_json_keeps_them(module_path: str) -> None:
    text = guarded("info", module_path)
    contained(text, {0})
    shown = text.stdout.decode()
    assert_shown(shown, "info")
    assert "m\\x1b]0;path-title\\x07\\u202e[bold]p[red].wasm" in shown  # the module's own file name
    for tag in ("imod", "ifield", "export", "lang", "tool", "map", "sec"):
        assert f"{tag}:\\x1b[2J" in shown, tag

    result = guarded("info", "--format", "json", module_path)
    contained(result, {0})
    (info,) = assert_json(result.stdout, "info --format json")
    assert isinstance(info, dict)
    assert info["path"] == module_path
    assert {i["module"] for i in info["imports"]} == {"wasi_snapshot_preview1", valid("imod").decode()}
    assert valid("export").decode() in {e["name"] for e in info["exports"]}
    assert f"sec:{HOSTILE}" in {s["name"] for s in info["sections"]}
    debug = info["debug"]
    assert debug["source_mapping_url"] == lossy(named("map"))  # invalid UTF-8 replaced, the rest kept as data
    assert debug["producers"] == {"language": [{"name": lossy(named("lang")), "version": lossy(named("v"))}],
                                  HOSTILE: [{"name": lossy(named("tool")), "version": "1"}]}  # fmt: skip
    assert debug["named_functions"] == 5


def test_symbolize_addresses_escapes_dwarf_and_name_section_names(module_path: str) -> None:
    m = hostile_module()
    addresses = [str(m.trap_offset), str(m.call_offsets[1]), str(m.call_offsets[0])]
    outputs = {}
    for form in ("text", "llvm", "json"):
        result = guarded("symbolize", "--format", form, module_path, *addresses)
        contained(result, {0}, max_stderr_lines=0)
        # The 1 MB name is printed once per address that names it, not once per frame or character.
        assert len(BIG_NAME) < len(result.stdout) < 2 * len(BIG_NAME), (form, len(result.stdout))
        outputs[form] = result.stdout.decode()
    for form in ("text", "llvm"):
        assert_shown(outputs[form], form)
        assert "dwarf_fn:\\x1b[2J" in outputs[form] and "start:\\x1b[2J" in outputs[form]
        assert "/comp:\\x1b[2J" in outputs[form] and "/dir/file:\\x1b[2J" in outputs[form]
        assert "big\\x1b[2J" + "A" * 1_000_000 in outputs[form]
    records = assert_json(outputs["json"].encode(), "symbolize --format json")
    functions = [[(f["function"], f["file"], f["source"]) for f in r["frames"]] for r in records]
    path = lossy(COMP_DIR) + "/" + lossy(FILE_NAME)
    assert functions == [[(lossy(DWARF_NAME), path, "dwarf")], [(lossy(BIG_NAME), None, "name")],
                         [(lossy(START_NAME), None, "name")]]  # fmt: skip


def test_symbolize_filter_copies_its_input_and_escapes_what_it_adds(module_path: str) -> None:
    paste = trace_text(hostile_module())
    result = guarded("symbolize", module_path, stdin=paste)
    assert result.status == 0 and result.leftover == (), repr(result.err)
    assert_clean(result.stderr, "symbolize filter stderr")
    # README: "Text mode copies the input through unchanged and adds the symbolized frames under each
    # recognised frame line": every input line comes out as it went in, in order; the rest is wasmdbg's.
    pasted, added = paste.split(b"\n"), []
    at = 0
    for line in result.stdout.split(b"\n"):
        if at < len(pasted) and line == pasted[at]:
            at += 1
        else:
            added.append(line)
    assert at == len(pasted), f"input line {at + 1} not copied through: {pasted[at][:200]!r}"
    annotations = assert_clean(b"\n".join(added), "the lines the filter adds")
    assert annotations.count("↳ ") == 3 and annotations.count("! ") == 3, annotations[:3000]
    assert "↳ dwarf_fn:\\x1b[2J" in annotations and "at /comp:\\x1b[2J" in annotations
    assert "↳ start:\\x1b[2J" in annotations and "↳ big\\x1b[2JAAAA" in annotations
    assert "\\u202eevil" in annotations and "[bold red]x[/]" in annotations

    result = guarded("symbolize", "--format", "json", module_path, stdin=paste)
    contained(result, {0}, max_stderr_lines=0)
    frames = assert_json(result.stdout, "symbolize filter --format json")
    assert len(frames) == 6, [f.get("line_no") for f in frames]
    symbolized = [[g["function"] for g in f["frames"]] for f in frames[:3]]
    assert symbolized == [[lossy(DWARF_NAME)], [lossy(BIG_NAME)], [lossy(START_NAME)]]


TRAPPED = 134
RUN = ("run", "--unknown-imports-trap")  # the hostile import is never called


def test_run_passes_guest_bytes_through_and_escapes_its_report(module_path: str, tmp_path: Path) -> None:
    report, coredump = tmp_path / "report.json", tmp_path / "core.wasm"
    result = guarded(*RUN, "--report", str(report), "--coredump", str(coredump), module_path)
    assert result.status == TRAPPED and result.leftover == (), repr(result.err[-2000:])
    assert "Traceback" not in result.err and not result.peak_mib > MEMORY_BOUND_MIB
    # README: "Guest output passes through byte for byte to a pipe or file"; the report follows on stderr.
    assert result.stdout == GUEST_OUTPUT
    assert result.stderr.startswith(GUEST_OUTPUT)
    shown = assert_clean(result.stderr[len(GUEST_OUTPUT) :], "run's report")
    assert_shown(shown, "run's report")
    assert "trapped (unreachable)" in shown and "dwarf_fn:\\x1b[2J" in shown and "start:\\x1b[2J" in shown
    assert "/comp:\\x1b[2J" in shown and "big\\x1b[2J" + "A" * 1_000_000 in shown

    result = guarded(*RUN, "--format", "json", module_path)
    contained(result, {TRAPPED}, max_stderr_lines=0)  # JSON: the output is in the report, escaped
    for data in (result.stdout, report.read_bytes()):
        (run,) = assert_json(data, "run's JSON report")
        assert isinstance(run, dict)
        assert [f["function"] for f in run["frames"]] == [lossy(DWARF_NAME), lossy(BIG_NAME), lossy(START_NAME)]
        assert run["frames"][0]["file"] == lossy(COMP_DIR) + "/" + lossy(FILE_NAME)
        assert run["stdout"] == run["stderr"] == lossy(GUEST_OUTPUT)  # README: text, invalid bytes replaced,
        assert base64.b64decode(run["stdout_base64"]) == GUEST_OUTPUT  # ... and the exact bytes beside it
        assert run["module"]["path"] == module_path

    for argv in (("open", str(report)), ("open", str(coredump))):
        result = guarded(*argv)
        contained(result, {0})
        shown = result.stdout.decode()
        assert_shown(shown, argv[0])
        assert "dwarf_fn:\\x1b[2J" in shown and "big\\x1b[2J" + "A" * 1_000_000 in shown, shown[:2000]
    result = guarded("open", "--format", "json", str(coredump))
    contained(result, {0}, max_stderr_lines=0)
    (opened,) = assert_json(result.stdout, "open --format json")
    assert isinstance(opened, dict) and opened["postmortem"]["kind"] == "coredump"
    assert [f["function"] for f in opened["frames"]] == [lossy(DWARF_NAME), lossy(BIG_NAME), lossy(START_NAME)]


def test_on_a_terminal_only_sgr_colour_reaches_it(module_path: str, tmp_path: Path) -> None:
    m = hostile_module()
    paste, report = tmp_path / "trace.log", tmp_path / "report.json"
    paste.write_bytes(trace_text(m))
    runs = {
        "info": (("info", module_path), {0}),
        "symbolize": (("symbolize", module_path, str(m.trap_offset), str(m.call_offsets[0])), {0}),
        "filter": (("symbolize", "--input", str(paste), module_path), {0}),
        # stdin a terminal too: `run` is headless whatever the streams are (the app would paint the screen).
        "run": ((*RUN, "--report", str(report), module_path), {TRAPPED}),
    }
    for name, (argv, statuses) in runs.items():
        result = on_terminal(*argv, stdin_terminal=name == "run")
        shown = joined(assert_terminal_safe(result, statuses))
        if name != "filter":  # the filter's lines are plain; the reports are coloured on a terminal
            assert _SGR.search(result.output.decode()), f"{name}: no colour at all: is this a terminal?"
        if name == "info":  # tables cut long cells at the terminal's width (with "…"): the beginnings show
            assert "m\\x1b]0;path-title\\x07\\u202e[bold]p[red].wasm" in shown and "sec:\\x1b[2J" in shown
            continue
        assert_shown(shown, name)
        assert "dwarf_fn:\\x1b[2J" in shown and "/comp:\\x1b[2J" in shown, name
        if name == "filter":  # the pasted log's own escapes are shown escaped too, on a terminal
            assert f"log {SHOWN[0]}" in shown and "\\x1b]52;c;aGFja2Vk\\x07" in shown.split("after ")[-1]
        if name == "run":  # the guest's output, escaped: a raw 0x9b byte is replaced, as invalid UTF-8
            assert shown.count("out:\\x1b[2J") == 2 and shown.count("\ufffd31m raw C1 byte") == 2
            assert "wasmdbg: trapped (unreachable)" in shown
    result = on_terminal("open", str(report))  # stdin is not a terminal: printed, no app
    assert "wasmdbg: trapped (unreachable)" in joined(assert_terminal_safe(result, {0}))


def test_a_module_path_that_is_not_utf8_is_shown_escaped(tmp_path: Path) -> None:
    """A file name is bytes: Python hands wasmdbg 0xff 0x9b as lone surrogates, which must not reach the output raw."""
    path = os.fsencode(tmp_path) + b"/bad\xff\x9b.wasm"
    with open(path, "wb") as out:
        out.write(hostile_module().data)
    result = guarded("info", os.fsdecode(path))
    contained(result, {0}, max_stderr_lines=0)  # strict UTF-8: not the raw bytes (0x9b is a C1 CSI)
    assert "bad\\udcff\\udc9b.wasm" in result.stdout.decode()

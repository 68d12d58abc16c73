"""Hostile DWARF and hostile paths, as a user meets them: through `info`, `symbolize` and `run`.

The modules come from tests/fixtures/hostile_dwarf.py (tests/unit/test_hostile_dwarf.py reads them
in-process): each must give a degraded answer (`divide` named, from the name section when the DWARF
cannot be used, with one line saying why) or one clear line, exit as documented, bounded in time and
memory. A DWARF index build that pyelftools cannot finish is ended by the isolated child's budget.

Then paths: DWARF file names and `external_debug_info` naming /etc/passwd, ~/.ssh/id_rsa, a FIFO,
/dev/zero, /proc/self/environ, a symlink out of the source root, `..` escapes, a URL (a socket
listens: nothing may connect) and a 100 KB path. Nothing outside the roots is read, nothing is
fetched, nothing blocks, and the report says why each source is not shown.
"""

from __future__ import annotations

import json
import os
import socket
import struct
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.adversarial.harness import Guarded, assert_contained, guarded
from tests.fixtures import hostile_dwarf as hostile

ERROR, TRAPPED = 1, 134
TRAP_ADDRESS = hex(hostile.CODE_SECTION_OFFSET + hostile.TRAP_OFFSET)
DWARF_NOT_USED = "DWARF not used: "

COMMANDS = ("info", "info-json", "symbolize", "symbolize-json", "run-json")


def _argv(command: str, module: Path) -> tuple[str, ...]:
    return {
        "info": ("info", str(module)),
        "info-json": ("info", "--format", "json", str(module)),
        "symbolize": ("symbolize", str(module), TRAP_ADDRESS),
        "symbolize-json": ("symbolize", "--format", "json", str(module), TRAP_ADDRESS),
        "run-json": ("run", "--format", "json", "-W", "timeout=10s", "--invoke", "outer", str(module)),
    }[command]


def _matrix() -> list[tuple[str, str]]:
    """Every case through `symbolize --format json` and `run --format json` (the two that build the index),
    and through one of `info`, `info --format json` and `symbolize` in turn: 3 runs a case."""
    others = ("info", "info-json", "symbolize")
    cases = ["good", *sorted(hostile.HOSTILE_CASES)]
    return [
        (case, command)
        for i, case in enumerate(cases)
        for command in ("symbolize-json", "run-json", others[i % len(others)])
    ]


def _check_answer(command: str, result: Guarded, *, dwarf_expected: bool) -> None:
    """The degraded (or full) answer each command owes, whatever the DWARF holds."""
    warnings = [line for line in result.err.splitlines() if line]
    if command.startswith("info"):
        assert_contained(result, {0}, max_stderr_lines=1)
        if command == "info-json":
            described = json.loads(result.stdout)
            assert described["functions"]["defined"] == 3 and described["debug"]["dwarf_sections"]
        else:
            assert b"outer" in result.stdout and b".debug_info" in result.stdout
        return
    if command == "run-json":
        assert_contained(result, {TRAPPED}, max_stderr_lines=3)
        report = json.loads(result.stdout)
        assert report["outcome"] == "trapped" and report["trap"]["kind"] == "integer_division_by_zero"
        assert [f["function"] for f in report["frames"]][:1] == ["divide"], report["frames"]
        failures = [n for n in report["notes"] if n.startswith(DWARF_NOT_USED)]
        assert len(failures) <= 1 and all("\n" not in n for n in report["notes"])
        if failures:
            assert report["frames"][0]["source"] == "name"
        if dwarf_expected:
            assert not failures and report["frames"][0]["line"] == hostile.TRAP_LINE
        return
    assert_contained(result, {0}, max_stderr_lines=1)
    assert all(w.startswith("wasmdbg: warning: " + DWARF_NOT_USED) for w in warnings), warnings
    if command == "symbolize-json":
        answer = json.loads(result.stdout)
        frames = answer["frames"]
        assert frames and frames[-1]["function"] == "divide", answer
        failures = [w for w in answer["warnings"] if w.startswith(DWARF_NOT_USED)]
        assert len(failures) <= 1 and all("\n" not in w for w in answer["warnings"]), answer["warnings"]
        failed = bool(failures)
        if failed:
            assert frames[-1]["source"] == "name"
        if dwarf_expected:
            assert not failed and frames[-1]["source"] == "dwarf" and frames[-1]["line"] == hostile.TRAP_LINE
    else:
        assert result.stdout.startswith(TRAP_ADDRESS.encode()) and b"divide" in result.stdout


@pytest.fixture(scope="module")
def modules(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile-dwarf")
    paths = {}
    for name, data in {"good": hostile.good_module, **hostile.HOSTILE_CASES}.items():
        paths[name] = folder / f"{name}.wasm"
        paths[name].write_bytes(data())
    return paths


def _endless_index_module() -> bytes:
    """DWARF wasmdbg's own DIE reader gives up on (a DW_FORM_strp past `.debug_str`), so that pyelftools
    reads the unit, which holds 20,000 DIEs of an abbreviation with 10,000 attributes: pyelftools pays
    200 million attribute parses (many minutes) for 80 KB of input."""
    code = 200
    specs = [(hostile.DW_AT_external, hostile.DW_FORM_flag_present)] * 10_000
    extra = hostile._abbrev_entry(code, hostile.DW_TAG_variable, False, specs)
    filler = [hostile.Die(hostile.DW_TAG_variable, code=code) for _ in range(20_000)]
    dies = hostile.good_dies()
    dies[2].attrs = [(a, f, 0x7FFF_FFF0 if a == hostile.DW_AT_name else v) for a, f, v in dies[2].attrs]
    return hostile.dwarf_module([hostile.Unit(hostile.compile_unit([*dies, *filler]))], extra_abbrevs=extra)


@pytest.fixture(scope="module")
def endless_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Future[Guarded]]:
    """`symbolize` on `_endless_index_module`, started in the background: it waits out the index budget
    (60 s) while the other tests run."""
    path = tmp_path_factory.mktemp("endless") / "endless.wasm"
    path.write_bytes(_endless_index_module())
    with ThreadPoolExecutor(1) as pool:
        yield pool.submit(guarded, "symbolize", "--format", "json", str(path), TRAP_ADDRESS)


def test_the_endless_index_build_starts_in_the_background(endless_index: Future[Guarded]) -> None:
    assert not endless_index.done()  # its result is checked at the end of this file


@pytest.mark.parametrize(("case", "command"), _matrix())
def test_hostile_dwarf_through_the_cli_degrades_to_names_bounded(
    modules: dict[str, Path], case: str, command: str
) -> None:
    result = guarded(*_argv(command, modules[case]))
    _check_answer(command, result, dwarf_expected=case == "good")


# -- hostile paths --------------------------------------------------------------------------------

SECRET = b"WASMDBG-SECRET-MARKER-7f3a9c"
"""In the private HOME's ~/.ssh/id_rsa and in a file outside the source root: must never be shown."""


def _line_program_naming(file_name: bytes) -> bytes:
    """The fixture's line program, its one file renamed (unit_length and header_length kept true)."""
    line = bytearray(hostile.line_program())
    old = hostile.FILE_NAME.encode() + b"\0"
    at = line.index(old)
    line[at : at + len(old)] = file_name + b"\0"
    grown = len(file_name) + 1 - len(old)
    (unit_length,) = struct.unpack_from("<I", line, 0)
    (header_length,) = struct.unpack_from("<I", line, 6)
    struct.pack_into("<I", line, 0, unit_length + grown)
    struct.pack_into("<I", line, 6, header_length + grown)
    return bytes(line)


def _module_naming(file_name: str) -> bytes:
    """The good module, its line table naming `file_name` (and no comp_dir: the name is the path)."""
    root = hostile.compile_unit(hostile.good_dies())
    root.attrs = [attr for attr in root.attrs if attr[0] != hostile.DW_AT_comp_dir]
    return hostile.dwarf_module([hostile.Unit(root)], line=_line_program_naming(file_name.encode()))


def _module_with_external_debug_info(name: str) -> bytes:
    """The fixture module without DWARF, naming its debug file (tool-conventions: LEB length + UTF-8)."""
    raw = name.encode()
    return hostile.wasm_module({"external_debug_info": hostile.uleb(len(raw)) + raw})


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening TCP socket on 127.0.0.1: nothing wasmdbg does may connect to it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.setblocking(False)
        yield server
        with pytest.raises(BlockingIOError):
            server.accept()  # no connection is waiting


@pytest.fixture
def places(tmp_path: Path) -> dict[str, Path]:
    """A HOME holding a secret key, a source root, a module folder inside it, and things to point at."""
    home, root, outside = tmp_path / "home", tmp_path / "root", tmp_path / "outside"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_bytes(SECRET + b"\n" * 20)
    outside.mkdir()
    (outside / "hostile.c").write_bytes((SECRET + b"\n") * 20)
    modules = root / "build"
    modules.mkdir(parents=True)
    os.mkfifo(root / "pipe.c")
    os.mkfifo(modules / "pipe.debug")
    (root / "escape.c").symlink_to(outside / "hostile.c")
    (modules / "escape.debug").symlink_to(outside / "hostile.c")
    (modules / "zero.debug").symlink_to("/dev/zero")
    return {"home": home, "root": root, "modules": modules, "outside": outside}


def _private_home(places: dict[str, Path]) -> dict[str, str]:
    return {"HOME": str(places["home"])}


def _assert_nothing_leaked(result: Guarded) -> None:
    output = result.stdout + result.stderr
    assert SECRET not in output, "a secret outside the source root reached the output"
    assert b"root:x:0:0" not in output, "/etc/passwd reached the output"
    assert b"PATH=" not in output, "/proc/self/environ reached the output"


def _dwarf_paths(places: dict[str, Path], port: int) -> dict[str, str]:
    """DWARF file names, each pointing at something that must not be read."""
    home, root = places["home"], places["root"]
    return {
        "passwd": "/etc/passwd",
        "tilde": "~/.ssh/id_rsa",
        "dollar-home": "$HOME/.ssh/id_rsa",
        "home-absolute": str(home / ".ssh" / "id_rsa"),
        "fifo": str(root / "pipe.c"),
        "dev-zero": "/dev/zero",
        "proc-environ": "/proc/self/environ",
        "symlink-out": str(root / "escape.c"),
        "dotdot": "../../../../../../../../etc/passwd",
        "dotdot-outside": "../../outside/hostile.c",
        "url": f"http://127.0.0.1:{port}/hostile.c",
        "100KB": "a/" * 50_000 + "hostile.c",
    }


def test_dwarf_file_names_outside_the_source_root_are_never_read(
    places: dict[str, Path], listener: socket.socket
) -> None:
    root = places["root"]
    for case, file_name in _dwarf_paths(places, listener.getsockname()[1]).items():
        module = places["modules"] / f"{case}.wasm"
        module.write_bytes(_module_naming(file_name))
        run = ("run", "-W", "timeout=10s", "--source-root", str(root), "--invoke", "outer")
        reported = guarded(*run, "--format", "json", str(module), env=_private_home(places))
        assert_contained(reported, {TRAPPED}, max_stderr_lines=3)
        _assert_nothing_leaked(reported)
        report = json.loads(reported.stdout)
        assert report["frames"][0]["function"] == "divide" and report["frames"][0]["line"] == hostile.TRAP_LINE
        source = report["source"]
        assert source is not None and "lines" not in source, f"{case}: {str(source)[:300]}"
        assert source["missing"] and source["reason"], f"{case}: no reason given"
        if case in ("passwd", "home-absolute", "proc-environ", "symlink-out"):
            assert "outside the source roots" in source["reason"], f"{case}: {source['reason'][:300]}"
        if case in ("text", "passwd", "fifo", "symlink-out", "100KB"):
            text = guarded(*run, str(module), env=_private_home(places))
            assert_contained(text, {TRAPPED}, max_stderr_lines=40)
            _assert_nothing_leaked(text)
            assert b"source not shown" in text.stderr + text.stdout, f"{case}: the text report does not say why"
        if case in ("passwd", "fifo", "100KB"):
            symbolized = guarded("symbolize", "--source-root", str(root), str(module), TRAP_ADDRESS,
                                 env=_private_home(places))  # fmt: skip
            assert_contained(symbolized, {0}, max_stderr_lines=1)
            _assert_nothing_leaked(symbolized)
            assert b"divide" in symbolized.stdout


def _external_names(places: dict[str, Path], port: int) -> dict[str, tuple[str, str]]:
    """external_debug_info names, and the words of the note saying why each is not followed."""
    url, absolute, outside, missing = "URL", "absolute path", "outside the module's directory", "not beside"
    return {
        "passwd": ("/etc/passwd", absolute),
        "tilde": ("~/.ssh/id_rsa", missing),
        "dollar-home": ("$HOME/.ssh/id_rsa", missing),
        "home-absolute": (str(places["home"] / ".ssh" / "id_rsa"), absolute),
        "fifo": ("pipe.debug", missing),
        "dev-zero": ("/dev/zero", absolute),
        "zero-symlink": ("zero.debug", outside),
        "proc-environ": ("/proc/self/environ", absolute),
        "symlink-out": ("escape.debug", outside),
        "dotdot": ("../../outside/hostile.c", outside),
        "url": (f"http://127.0.0.1:{port}/x.debug", url),
        "protocol-relative": (f"//127.0.0.1:{port}/x.debug", url),
        "100KB": ("a/" * 50_000 + "x.debug", missing),
    }


def test_external_debug_info_is_followed_only_beside_the_module(
    places: dict[str, Path], listener: socket.socket
) -> None:
    for case, (name, why) in _external_names(places, listener.getsockname()[1]).items():
        module = places["modules"] / f"external-{case}.wasm"
        module.write_bytes(_module_with_external_debug_info(name))
        described = guarded("info", "--format", "json", str(module), env=_private_home(places))
        assert_contained(described, {0}, max_stderr_lines=1)
        _assert_nothing_leaked(described)
        info: dict[str, Any] = json.loads(described.stdout)
        assert info["debug"]["external_debug_info"] == name
        assert info["symbolization"]["debug_file"] is None
        notes = info["symbolization"]["notes"]
        assert len(notes) == 1 and why in notes[0], f"{case}: {str(notes)[:300]}"
        if case in ("passwd", "fifo", "zero-symlink", "symlink-out", "url", "100KB"):
            symbolized = guarded("symbolize", "--format", "json", str(module), TRAP_ADDRESS, env=_private_home(places))
            assert_contained(symbolized, {0}, max_stderr_lines=1)
            _assert_nothing_leaked(symbolized)
            answer = json.loads(symbolized.stdout)
            assert answer["frames"][-1]["function"] == "divide" and answer["frames"][-1]["source"] == "name"


# -- last: the background build -------------------------------------------------------------------


def test_an_index_build_pyelftools_cannot_finish_ends_at_its_budget(endless_index: Future[Guarded]) -> None:
    result = endless_index.result()
    assert_contained(result, {0}, max_stderr_lines=1)
    answer = json.loads(result.stdout)
    assert answer["frames"][-1]["function"] == "divide" and answer["frames"][-1]["source"] == "name"
    failures = [w for w in answer["warnings"] if w.startswith(DWARF_NOT_USED)]
    assert len(failures) == 1 and "took longer than" in failures[0], answer["warnings"]

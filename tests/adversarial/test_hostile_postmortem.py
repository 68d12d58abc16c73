"""Hostile coredumps and reports through `wasmdbg open`: one line and exit 1, or opened degraded and saying so.

A good coredump and report of a real run (`wasmdbg run --coredump --report` on divzero.O0.wasm) are
made once; the cases damage them: truncations at section boundaries, seeded byte changes, sizes and
counts that lie (coredump memory, data and `corestack` sections; a memory claiming 4 GiB), a report
naming another build, one of a newer format, a 50 MB report, 100k-deep JSON and hostile strings.
Each goes through `open` headless (stdout is a pipe, so the report is printed as text) and with
`--format json`, in a child with its own temp dir (`harness.guarded`): bounded in time and memory,
no traceback, no escape byte, nothing left behind.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.adversarial.harness import Guarded, assert_contained, guarded
from tests.fixtures.hostile_dwarf import read_uleb, uleb
from tests.helpers import SAMPLES

MODULE = SAMPLES / "build" / "divzero.O0.wasm"
TRAPPED = 134
ERROR = 1


@dataclass(frozen=True)
class Made:
    folder: Path
    coredump: bytes
    report: dict[str, Any]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    """A coredump and a report of one real run, made as a user makes them."""
    folder = tmp_path_factory.mktemp("postmortem")
    core, report = folder / "good.coredump.wasm", folder / "good.report.json"
    result = guarded("run", "--coredump", str(core), "--report", str(report), str(MODULE))
    assert_contained(result, {TRAPPED}, max_stderr_lines=40)
    return Made(folder, core.read_bytes(), json.loads(report.read_text()))


def _open(path: Path, *, json_format: bool = False) -> Guarded:
    return guarded("open", *(("--format", "json") if json_format else ()), str(path))


def _refused(result: Guarded) -> None:
    """Exit 1, one line on stderr naming wasmdbg, nothing on stdout."""
    assert_contained(result, {ERROR}, max_stderr_lines=1)
    assert result.err.startswith("wasmdbg") and result.err.count("\n") == 1, result.err
    assert result.stdout == b""


def _opened_or_refused(result: Guarded, *, json_format: bool) -> dict[str, Any] | None:
    """Either refused in one line, or opened (exit 0) with a report; the JSON report when asked for."""
    assert_contained(result, {0, ERROR}, max_stderr_lines=1)
    if result.status == ERROR:
        _refused(result)
        return None
    assert result.stdout.strip(), "opened, but printed nothing"
    if not json_format:
        assert result.stdout.startswith((b"note:", b"wasmdbg:")), result.stdout[:300]
        return None
    parsed = json.loads(result.stdout)
    assert parsed["postmortem"]["kind"] in ("report", "coredump")
    return parsed


# -- coredumps --------------------------------------------------------------------------------------






@dataclass(frozen=True)
class Section:
    id: int
    name: str
    """A custom section's name, else ""."""
    start: int
    """Offset of the id byte."""
    payload: int
    """Offset of the payload (after the size; a custom section's name is part of it)."""
    end: int


def _sections(data: bytes) -> list[Section]:
    out, pos = [], 8
    while pos < len(data):
        size, payload = read_uleb(data, pos + 1)
        name = ""
        if data[pos] == 0:
            length, at = read_uleb(data, payload)
            name = data[at : at + length].decode()
        out.append(Section(data[pos], name, pos, payload, payload + size))
        pos = payload + size
    return out


def _section(data: bytes, key: int | str) -> Section:
    return next(s for s in _sections(data) if (s.name == key if isinstance(key, str) else s.id == key))


def _replace(data: bytes, section: Section, at: int, old_end: int, new: bytes) -> bytes:
    """Replace data[at:old_end] (inside `section`'s payload) by `new`, keeping the section's size true."""
    payload = data[section.payload : at] + new + data[old_end : section.end]
    return data[: section.start + 1] + uleb(len(payload)) + payload + data[section.end :]


def _lying_section_size(data: bytes, key: int | str) -> bytes:
    section = _section(data, key)
    return data[: section.start + 1] + uleb(0xFFFF_FFF0) + data[section.payload :]


def _lying_first_count(data: bytes, key: int) -> bytes:
    """The section's item count (its first LEB) claims 2**32-1 items."""
    section = _section(data, key)
    _, after = read_uleb(data, section.payload)
    return _replace(data, section, section.payload, after, uleb(0xFFFF_FFFF))


def _memory_pages(pages: int, flags: int = 0) -> Callable[[bytes], bytes]:
    """The dumped memory's limits: `flags` (4: memory64) and a minimum of `pages` pages."""

    def mutate(data: bytes) -> bytes:
        section = _section(data, 5)
        count, at = read_uleb(data, section.payload)
        assert count == 1 and data[at] == 0, "the sample's dump has one memory with no maximum"
        _, after = read_uleb(data, at + 1)
        return _replace(data, section, at, after, bytes([flags]) + uleb(pages))

    return mutate


def _lying_segment_size(data: bytes) -> bytes:
    """The first data segment claims 2**32-1 bytes (it holds a few thousand)."""
    section = _section(data, 11)
    _, at = read_uleb(data, section.payload)  # segment count
    mode, at = read_uleb(data, at)
    assert mode == 0 and data[at] == 0x41, "an active segment at an i32.const offset"
    _, at = read_uleb(data, at + 1)
    assert data[at] == 0x0B
    _, after = read_uleb(data, at + 1)
    return _replace(data, section, at + 1, after, uleb(0xFFFF_FFFF))


def _lying_frame_count(data: bytes) -> bytes:
    """`corestack`: thread-info 0x00, thread name, then a frame count claiming 2**32-1 frames."""
    section = _section(data, "corestack")
    length, at = read_uleb(data, section.payload)
    at += length  # past the section's name
    assert data[at] == 0
    length, at = read_uleb(data, at + 1)
    _, after = read_uleb(data, at + length)
    return _replace(data, section, at + length, after, uleb(0xFFFF_FFFF))


CORE_LIES: dict[str, Callable[[bytes], bytes]] = {
    "memory-section-size": lambda d: _lying_section_size(d, 5),
    "data-section-size": lambda d: _lying_section_size(d, 11),
    "corestack-section-size": lambda d: _lying_section_size(d, "corestack"),
    "memory-count": lambda d: _lying_first_count(d, 5),
    "data-segment-count": lambda d: _lying_first_count(d, 11),
    "data-segment-size": _lying_segment_size,
    "corestack-frame-count": _lying_frame_count,
    "memory-4GiB": _memory_pages(65536),
    "memory64-2**40-pages": _memory_pages(1 << 40, flags=4),
}


@pytest.mark.parametrize("lie", sorted(CORE_LIES))
def test_a_coredump_whose_sizes_lie_opens_degraded_or_is_refused_in_one_line(made: Made, lie: str) -> None:
    path = made.folder / f"{lie}.coredump.wasm"
    path.write_bytes(CORE_LIES[lie](made.coredump))
    parsed = _opened_or_refused(_open(path, json_format=True), json_format=True)
    # Every lie leaves the `core` section and the magic intact: the dump is read, and what it lied
    # about is said in a note (or, for a 4 GiB memory, its size is reported, never allocated).
    assert parsed is not None, f"{lie}: a dump with a core section was refused"
    postmortem = parsed["postmortem"]
    if lie.startswith("memory-4GiB"):
        assert postmortem["memory"]["size"] == 65536 * 65536
        assert postmortem["memory"]["captured_bytes"] < 1 << 20
    else:
        assert postmortem["notes"], f"{lie}: nothing says what could not be read"
    text = _open(path)
    assert_contained(text, {0}, max_stderr_lines=1)
    assert text.stdout.startswith((b"note:", b"wasmdbg:"))


def test_a_truncated_coredump_opens_with_what_it_holds_or_is_refused(made: Made) -> None:
    sections = _sections(made.coredump)
    # Cut inside each section (the header of the first, the middle of the rest) and just before the end.
    cuts = sorted({9, *((s.payload + s.end) // 2 for s in sections[1:]), len(made.coredump) - 3})
    opened = 0
    for cut in cuts:
        path = made.folder / f"cut-{cut}.coredump.wasm"
        path.write_bytes(made.coredump[:cut])
        parsed = _opened_or_refused(_open(path, json_format=True), json_format=True)
        if parsed is not None:
            opened += 1
            assert parsed["postmortem"]["notes"], f"cut at {cut}: nothing says the dump is damaged"
    # Once the `core` section is whole, the dump opens: everything cut after it is read degraded.
    assert opened >= len(cuts) - 1


def _damaged(data: bytes, seed: int) -> bytes:
    rng = random.Random(seed)
    out = bytearray(data)
    for _ in range(rng.randrange(1, 16)):
        out[rng.randrange(8, len(out))] = rng.randrange(256)
    return bytes(out)


def test_coredumps_with_bytes_changed_open_or_are_refused_in_one_line(made: Made) -> None:
    for seed in range(8):
        path = made.folder / f"damaged-{seed}.coredump.wasm"
        path.write_bytes(_damaged(made.coredump, seed))
        _opened_or_refused(_open(path, json_format=bool(seed % 2)), json_format=bool(seed % 2))


# -- reports ----------------------------------------------------------------------------------------


def _write_report(made: Made, name: str, report: Any) -> Path:
    path = made.folder / name
    path.write_text(json.dumps(report))
    return path


def test_a_truncated_report_is_refused_in_one_line(made: Made) -> None:
    text = json.dumps(made.report).encode()
    for cut in (1, len(text) // 3, len(text) // 2, len(text) - 1):
        path = made.folder / f"cut-{cut}.report.json"
        path.write_bytes(text[:cut])
        result = _open(path, json_format=cut % 2 == 0)
        _refused(result)
        assert "not JSON" in result.err, result.err


def test_reports_with_bytes_changed_open_or_are_refused_in_one_line(made: Made) -> None:
    text = json.dumps(made.report).encode()
    for seed in range(6):
        path = made.folder / f"damaged-{seed}.report.json"
        path.write_bytes(_damaged(text, seed))
        _opened_or_refused(_open(path, json_format=bool(seed % 2)), json_format=bool(seed % 2))


def test_a_report_of_another_build_opens_with_its_stack_and_says_the_module_differs(made: Made) -> None:
    report = {**made.report, "module": {**made.report["module"], "sha256": "0" * 64}}
    path = _write_report(made, "wrong-sha.report.json", report)
    parsed = _opened_or_refused(_open(path, json_format=True), json_format=True)
    assert parsed is not None
    assert parsed["postmortem"]["module"] is None  # its code is not used
    assert parsed["frames"] == made.report["frames"]
    assert any("sha256" in note or "differ" in note for note in parsed["postmortem"]["notes"]), parsed["postmortem"]
    text = _open(path)
    assert_contained(text, {0}, max_stderr_lines=1)
    assert b"quotient" in text.stdout


def test_a_report_naming_another_module_opens_and_does_not_show_that_modules_code(made: Made) -> None:
    other = SAMPLES / "build" / "panic.O2.wasm"
    report = {**made.report, "module": {"path": str(other), "sha256": made.report["module"]["sha256"]}}
    parsed = _opened_or_refused(_open(_write_report(made, "other.report.json", report), json_format=True),
                                json_format=True)  # fmt: skip
    assert parsed is not None
    assert parsed["postmortem"]["module"] is None
    assert parsed["postmortem"]["notes"]


def test_a_report_of_a_newer_format_opens_as_far_as_this_version_reads_and_says_so(made: Made) -> None:
    report = {**made.report, "format": 99, "a_key_from_the_future": {"nested": [1, 2, 3]}}
    parsed = _opened_or_refused(_open(_write_report(made, "newer.report.json", report), json_format=True),
                                json_format=True)  # fmt: skip
    assert parsed is not None
    assert any("newer" in note for note in parsed["postmortem"]["notes"]), parsed["postmortem"]["notes"]
    assert parsed["outcome"] == made.report["outcome"]


@pytest.mark.parametrize("where", ["top", "in-a-key"])
def test_a_100k_deep_json_report_is_refused_in_one_line(made: Made, where: str) -> None:
    depth = 100_000
    nested = "[" * depth + "]" * depth
    body = nested if where == "top" else json.dumps({**made.report, "notes": None}).replace("null", nested, 1)
    path = made.folder / f"deep-{where}.report.json"
    path.write_text(body)
    result = _open(path)
    _refused(result)
    assert "nests too deeply" in result.err, result.err


def test_a_50_mb_report_opens_bounded(made: Made) -> None:
    big = "A" * (50 << 20)
    path = _write_report(made, "big.report.json", {**made.report, "stdout": big, "stdout_dropped": 0})
    result = _open(path)
    # The printed report is the report's own size at most: it may show the guest's output, not copy it twice.
    assert_contained(result, {0}, max_stderr_lines=1)
    assert len(result.stdout) < 2 * path.stat().st_size
    assert b"quotient" in result.stdout


HOSTILE = "\x1b[2J\x1b]0;owned\x07\x9b31m\u202egnp.exe\x00[bold red]markup[/]"
"""ESC/CSI, OSC, a C1 CSI, a bidi override, NUL and Textual markup."""


def test_a_report_full_of_hostile_strings_opens_without_sending_any_of_them_raw(made: Made) -> None:
    frames = [{**frame, "function": HOSTILE + "f" * (1 << 20), "file": HOSTILE} for frame in made.report["frames"]]
    report = {**made.report, "explanation": HOSTILE, "frames": frames, "stdout": HOSTILE, "stderr": HOSTILE,
              "notes": [HOSTILE], "message": HOSTILE}  # fmt: skip
    path = _write_report(made, "hostile.report.json", report)
    for json_format in (False, True):
        result = _open(path, json_format=json_format)
        assert_contained(result, {0}, max_stderr_lines=1)  # the harness: no ESC byte anywhere
        for raw in ("\x9b", "\u202e", "\x07", "\x00"):
            assert raw.encode("utf-8") not in result.stdout + result.stderr, f"{raw!r} reached the output raw"
        if json_format:
            parsed = json.loads(result.stdout)
            assert parsed["postmortem"]["kind"] == "report"
        else:
            assert b"[bold red]markup[/]" in result.stdout  # shown as text, not interpreted


def test_a_report_with_a_lone_surrogate_is_refused_in_one_line_or_opens(made: Made) -> None:
    # Valid JSON (`"\\ud800"`) that no UTF-8 output can carry: wasmdbg never writes one, a hand-made report may.
    frames = [{**frame, "function": "f\ud800"} for frame in made.report["frames"]]
    path = _write_report(made, "surrogate.report.json", {**made.report, "frames": frames, "stdout": "\udcff"})
    for json_format in (False, True):
        _opened_or_refused(_open(path, json_format=json_format), json_format=json_format)

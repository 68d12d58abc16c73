"""Running every runtime's parser over a paste and reconciling what they claim."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from types import ModuleType

from wasmdbg.backtrace.lines import split_lines
from wasmdbg.backtrace.model import Line, Trace

FORMATS = (
    "wasmtime", "wasmer", "v8", "spidermonkey", "jsc", "wamr", "wavm", "wazero", "wasm3", "wasmedge",
    "wasmkit", "chicory",
)  # fmt: skip
"""Parser modules under wasmdbg.backtrace.formats, in priority order: when two claim one line, the
earlier wins."""


def _parsers() -> list[Callable[[Sequence[Line]], list[Trace]]]:
    parsers = []
    for name in FORMATS:
        try:
            module: ModuleType = importlib.import_module(f"wasmdbg.backtrace.formats.{name}")
        except ModuleNotFoundError:
            continue
        parsers.append(module.parse)
    return parsers


def parse_lines(lines: Sequence[Line]) -> list[Trace]:
    """Every trace any parser finds, in input order; a line yields at most one wasm frame."""
    claimed: set[int] = set()
    traces: list[Trace] = []
    for parse in _parsers():
        for trace in parse(lines):
            frames = tuple(f for f in trace.frames if f.line_no not in claimed)
            if trace.frames and not frames:
                continue
            claimed.update(f.line_no for f in frames)
            traces.append(trace if len(frames) == len(trace.frames) else _with_frames(trace, frames))
    traces.sort(key=lambda t: (t.first_line, t.last_line))
    return traces


def parse_text(text: str) -> list[Trace]:
    """Every trace in a paste of any shape (log prefixes, ANSI colour, CRLF, several traces)."""
    return parse_lines(split_lines(text))


def _with_frames(trace: Trace, frames: tuple[object, ...]) -> Trace:
    from dataclasses import replace

    return replace(trace, frames=frames)  # type: ignore[arg-type]

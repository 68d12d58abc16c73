"""Running every runtime's parser over a paste and reconciling what they claim."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from types import ModuleType

from wasmdbg.backtrace.lines import split_lines
from wasmdbg.backtrace.model import Line, Trace

FORMATS = (
    "wasmtime", "wasmer", "v8", "spidermonkey", "jsc", "wamr", "wavm", "wazero", "wasm3", "wasmedge",
    "wasmkit", "chicory", "go",
)  # fmt: skip
"""Parser modules under wasmdbg.backtrace.formats, in priority order: when two claim one line, the
earlier wins."""


def _parsers() -> list[tuple[Callable[[Sequence[Line]], list[Trace]], bool]]:
    """Each format's `parse`, and whether the format yields to the others (its module's `SECONDARY`)."""
    parsers = []
    for name in FORMATS:
        try:
            module: ModuleType = importlib.import_module(f"wasmdbg.backtrace.formats.{name}")
        except ModuleNotFoundError:
            continue
        parsers.append((module.parse, bool(getattr(module, "SECONDARY", False))))
    return parsers


def parse_lines(lines: Sequence[Line]) -> list[Trace]:
    """Every trace any parser finds, in input order; a line yields at most one wasm frame.

    A secondary format's trace that overlaps another's lines is dropped: Go's goroutine dump is a
    trace of its own when a Go program printed it, but the host's when it follows a runtime's
    trace (wazero prints one after `wasm stack trace:`), and that runtime's parser has read it.
    """
    claimed: set[int] = set()
    spans: list[tuple[int, int]] = []
    traces: list[Trace] = []
    for parse, secondary in _parsers():
        for trace in parse(lines):
            if secondary and any(first <= trace.last_line and trace.first_line <= last for first, last in spans):
                continue
            frames = tuple(f for f in trace.frames if f.line_no not in claimed)
            if trace.frames and not frames:
                continue
            claimed.update(f.line_no for f in frames)
            if not secondary:
                spans.append((trace.first_line, trace.last_line))
            traces.append(trace if len(frames) == len(trace.frames) else _with_frames(trace, frames))
    traces.sort(key=lambda t: (t.first_line, t.last_line))
    return traces


def parse_text(text: str) -> list[Trace]:
    """Every trace in a paste of any shape (log prefixes, ANSI colour, CRLF, several traces)."""
    return parse_lines(split_lines(text))


def _with_frames(trace: Trace, frames: tuple[object, ...]) -> Trace:
    from dataclasses import replace

    return replace(trace, frames=frames)  # type: ignore[arg-type]

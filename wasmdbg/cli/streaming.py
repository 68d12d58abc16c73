"""A log read line by line as it comes, with the pauses marked: the input side of `symbolize` as a filter.

`tail -f app.log | wasmdbg symbolize M` must show each trace's annotation while the log goes on, so
the input is read from its descriptor as bytes arrive (never to its end first), and a pause of
`PAUSE_S` without input is reported (None), when the caller settles what it holds. The lines come in
batches, those of one read: what arrived together is annotated together, once.
"""

from __future__ import annotations

import os
import select
from collections.abc import Iterator
from dataclasses import dataclass

from wasmdbg.cli.environment import Environment
from wasmdbg.errors import WasmdbgError
from wasmdbg.text import printable

PAUSE_S = 0.2
"""No input for this long is a pause: what has come is annotated without waiting for more."""
MAX_LINE_BYTES = 1 << 20
"""A longer line is handed on in pieces of this size (copied through unchanged all the same)."""
READ_BYTES = 1 << 16


@dataclass(frozen=True, slots=True)
class InputLine:
    """One line of input, decoded (invalid UTF-8 replaced), without its newline."""

    text: str
    newline: bool = True
    """False for the input's last piece when no newline ended it, and for pieces of an overlong line."""
    raw: bytes | None = None
    """The bytes `text` was decoded from, for a copy that keeps invalid UTF-8 (None from a text stream)."""


def input_lines(path: str | None, env: Environment, max_text_bytes: int) -> Iterator[tuple[InputLine, ...] | None]:
    """The lines of `path`, or of stdin, in batches as they arrive; None where the input paused.

    Args:
        max_text_bytes: the most read from a stdin that is a Python text stream (tests), read whole.

    Raises:
        WasmdbgError: `path` cannot be opened or read.
    """
    if path is not None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as error:
            raise WasmdbgError(f"{printable(path)}: {error.strerror or error}") from None
        try:
            yield from _fd_lines(fd, printable(path))
        finally:
            os.close(fd)
        return
    isatty = getattr(env.stdin, "isatty", None)
    if isatty is not None and isatty():
        env.stderr.write("wasmdbg symbolize: reading a trace from the terminal; paste it, then press Ctrl-D\n")
    buffer = getattr(env.stdin, "buffer", None)
    fileno = getattr(buffer, "fileno", None) if buffer is not None else None
    if fileno is not None:
        yield from _fd_lines(fileno(), "stdin")
        return
    text = env.stdin.read(max_text_bytes)  # an in-memory stream (the tests' Environment): no pauses
    yield from _text_lines(text)


TEXT_BATCH_LINES = 1024
"""Lines per batch of an in-memory input (which has no reads to batch by)."""


def _text_lines(text: str) -> Iterator[tuple[InputLine, ...]]:
    pieces = text.split("\n")
    lines = [InputLine(piece) for piece in pieces[:-1]]
    if pieces[-1]:
        lines.append(InputLine(pieces[-1], newline=False))
    for start in range(0, len(lines), TEXT_BATCH_LINES):
        yield tuple(lines[start : start + TEXT_BATCH_LINES])


def _fd_lines(fd: int, shown: str) -> Iterator[tuple[InputLine, ...] | None]:
    held = b""
    paused = False
    while True:
        try:
            ready, _, _ = select.select([fd], [], [], PAUSE_S)
        except (OSError, ValueError):
            ready = [fd]  # not selectable (some files): just read
        if not ready:
            if not paused:
                yield None
                paused = True
            continue
        try:
            chunk = os.read(fd, READ_BYTES)
        except OSError as error:
            raise WasmdbgError(f"{shown}: {error.strerror or error}") from None
        if not chunk:
            break
        paused = False
        held += chunk
        *lines, held = held.split(b"\n")
        batch = [InputLine(line.decode("utf-8", "replace"), raw=line) for line in lines]
        while len(held) > MAX_LINE_BYTES:
            piece = held[:MAX_LINE_BYTES]
            batch.append(InputLine(piece.decode("utf-8", "replace"), newline=False, raw=piece))
            held = held[MAX_LINE_BYTES:]
        if batch:
            yield tuple(batch)
    if held:
        yield (InputLine(held.decode("utf-8", "replace"), newline=False, raw=held),)

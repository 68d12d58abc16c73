"""Turning arbitrary pasted bytes into bounded, matchable lines."""

from __future__ import annotations

import re

from wasmdbg.backtrace.model import MAX_LINE_CHARS, Line

# CSI sequences (colours, cursor moves), OSC sequences (titles, hyperlinks) and lone escapes.
_ANSI = re.compile(r"\x1b\[[0-?]{0,64}[ -/]{0,16}[@-~]|\x1b\][^\x07\x1b]{0,4096}(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?")


def split_lines(text: str) -> list[Line]:
    """Lines with ANSI escapes and CR removed and each cut to MAX_LINE_CHARS, numbered from 1."""
    out = []
    for no, raw in enumerate(text.split("\n"), start=1):
        line = raw[: MAX_LINE_CHARS * 2]
        if "\x1b" in line:
            line = _ANSI.sub("", line)
        out.append(Line(no, line.rstrip("\r")[:MAX_LINE_CHARS]))
    return out


def decode_input(data: bytes) -> str:
    """Any bytes as text: UTF-8 where valid, each invalid byte replaced."""
    return data.decode("utf-8", "replace")

"""Plain-text annotations under recognised frame lines, for `symbolize` used as a log filter."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from wasmdbg.backtrace.model import MODULE, UNKNOWN
from wasmdbg.findings import TRUNCATED, Finding
from wasmdbg.render.symbols import location
from wasmdbg.session.annotation import AnnotatedLine, PastedText
from wasmdbg.session.pasted import PastedFrame
from wasmdbg.text import printable

TRACE_WIDE = frozenset({TRUNCATED})
"""Warning kinds about a whole trace (`backtrace.matching.trace_warnings`), which every frame carries."""


def filter_text(pasted: PastedText, describe: Callable[[Finding], str] = str) -> Iterator[str]:
    """The input unchanged, with each recognised frame's annotation lines under its line.

    Args:
        pasted: the annotated paste (`session.annotation.symbolize_text`).
        describe: how a warning reads (the CLI adds its hints).

    Yields:
        Pieces of the output, in order; joined they are the input plus the added lines.
    """
    return filter_lines(pasted.lines, describe)


def filter_lines(
    lines: Iterable[AnnotatedLine], describe: Callable[[Finding], str] = str, *, escape_input: bool = False
) -> Iterator[str]:
    """`filter_text` of some lines (a stream's, as they settle). The lines wasmdbg adds end as the frame's
    line does: CRLF after a CRLF line, so a CRLF log stays CRLF.

    Args:
        escape_input: show the input's control characters escaped (`\\x1b`) instead of copying them:
            for a terminal, which a pasted log's escapes (OSC 52, a title, a screen clear) must not drive.
    """
    for _line, copied, added in filter_pieces(lines, describe, escape_input=escape_input):
        yield copied
        if added:
            yield added


def filter_pieces(
    lines: Iterable[AnnotatedLine], describe: Callable[[Finding], str] = str, *, escape_input: bool = False
) -> Iterator[tuple[AnnotatedLine, str, str]]:
    """`filter_lines`, a line at a time: each line, its text as copied (with its newline), and the lines added under it.

    A warning about the whole trace (wasmtime cut it at 20 frames) is said once, under the trace's last
    frame among `lines`, not under each of its twenty (each frame carries it: the JSON's frames stand alone).
    """
    lines = list(lines)
    last_of_trace = {_trace_key(f): f for line in lines for f in line.frames}
    for line in lines:
        text = line.text
        if escape_input:
            # A CRLF line's final CR is harmless on a terminal; escaping it would end every line in `\x0d`.
            body = text.removesuffix("\r")
            text = printable(body, one_line=False) + text[len(body) :]
        end = "\r\n" if line.text.endswith("\r") else "\n"
        added = "".join(
            added_line + end
            for frame in line.frames
            for added_line in annotation_lines(
                frame, line.frame_indent, describe, trace_notes=last_of_trace[_trace_key(frame)] is frame
            )
        )
        yield line, text + ("\n" if line.newline or line.frames else ""), added


def _trace_key(frame: PastedFrame) -> tuple[str, int]:
    return frame.trace.runtime, frame.trace.first_line


def annotation_lines(
    frame: PastedFrame, indent: str, describe: Callable[[Finding], str] = str, *, trace_notes: bool = True
) -> list[str]:
    """What to print under a recognised frame line, each line starting with `indent`: its symbolized frames
    and any warnings.

    A frame that does not fit the module gets no `↳` line: only its warnings, which say why.

    Args:
        trace_notes: include the warnings about the whole trace (`TRACE_WIDE`), not only this frame's.
    """
    prefix = indent
    lines = []
    if frame.frames:
        for source in frame.frames:
            text = f"{prefix}↳ {printable(source.function or '<unnamed>')}"
            where = location(source)
            if where:
                text += f" at {printable(where)}"
            if source.inlined:
                text += " (inlined)"
            if source.source not in ("dwarf",):
                text += f" [{source.source}]"
            lines.append(text)
    elif frame.fits:
        lines.append(prefix + "↳ " + _description(frame))
    lines.extend(f"{prefix}! {printable(describe(w))}" for w in frame.warnings if trace_notes or w.kind not in TRACE_WIDE)
    return lines


def _description(frame: PastedFrame) -> str:
    """What was recognised, when there is no module to symbolize against."""
    raw = frame.raw
    parts = [f"{raw.runtime} frame"]
    if frame.func_index is not None:
        parts.append(f"function {frame.func_index}")
    if raw.func_name:
        parts.append(printable(raw.func_name))
    if frame.module_offset is not None:
        parts.append(f"module offset 0x{frame.module_offset:x}")
    elif raw.offset is not None and raw.offset_kind not in (MODULE, UNKNOWN):
        parts.append(f"offset 0x{raw.offset:x} from the {raw.offset_kind} start")
    return ", ".join(parts)

"""Plain-text annotations under recognised frame lines, for `symbolize` used as a log filter."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from wasmdbg.backtrace.model import MODULE, UNKNOWN
from wasmdbg.findings import Finding
from wasmdbg.render.symbols import location
from wasmdbg.session.annotation import AnnotatedLine, PastedText
from wasmdbg.session.pasted import PastedFrame
from wasmdbg.text import printable


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
    for line in lines:
        text = line.text
        if escape_input:
            # A CRLF line's final CR is harmless on a terminal; escaping it would end every line in `\x0d`.
            body = text.removesuffix("\r")
            text = printable(body, one_line=False) + text[len(body) :]
        yield text + ("\n" if line.newline or line.frames else "")
        end = "\r\n" if line.text.endswith("\r") else "\n"
        for frame in line.frames:
            yield "".join(text + end for text in annotation_lines(frame, line.frame_indent, describe))


def annotation_lines(frame: PastedFrame, indent: str, describe: Callable[[Finding], str] = str) -> list[str]:
    """What to print under a recognised frame line, each line starting with `indent`: its symbolized frames
    and any warnings.

    A frame that does not fit the module gets no `↳` line: only its warnings, which say why.
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
    lines.extend(f"{prefix}! {printable(describe(w))}" for w in frame.warnings)
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

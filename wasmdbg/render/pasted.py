"""Plain-text annotations under recognised frame lines, for `symbolize` used as a log filter."""

from __future__ import annotations

from wasmdbg.backtrace.model import MODULE, UNKNOWN
from wasmdbg.session.pasted import PastedFrame
from wasmdbg.render.symbols import location
from wasmdbg.text import printable


def annotation_lines(frame: PastedFrame, indent: str) -> list[str]:
    """What to print under a recognised frame line: its symbolized frames and any warnings."""
    prefix = indent + "    "
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
    else:
        lines.append(prefix + "↳ " + _description(frame))
    lines.extend(f"{prefix}! {printable(w)}" for w in frame.warnings)
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

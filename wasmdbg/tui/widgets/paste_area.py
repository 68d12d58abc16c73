"""The paste box of the symbolize screen: a TextArea that never hands the terminal a control character.

Textual's TextArea draws its document as it is: an ESC, a C1 CSI or an OSC in a pasted log would
reach the terminal raw (checked against Textual 8.2 on a pty), and a pasted trace is hostile text.
So every control character except tab, newline and CR is stored as its Unicode control picture
(ESC as `␛`, one cell wide, so cursor columns stay right) the moment it enters the document, by
paste, typing, `insert` or `load_text`. `as_pasted` turns the pictures back into the controls for
the parser, so a log pasted with ANSI colour is still recognised; C1 controls and bidi overrides
have no picture and become U+FFFD (a trace never needs them).

The box also keeps at most `max_chars` of any one paste: Textual's TextArea costs the UI thread
seconds to take in tens of megabytes (it wraps every line, even with soft wrap off) and work in
proportion to its line count for every line it draws, so a 20 MB log would freeze the screen.
`cut` records what was dropped, for the screen to say so.
"""

from __future__ import annotations

import re

from textual.widgets import Input, TextArea
from textual.widgets.text_area import Edit, EditResult

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""What must not reach the terminal: C0 controls except tab, LF and CR (the TextArea's own), DEL, C1, bidi."""
_PICTURE = re.compile("[\u2400-\u2408\u240b\u240c\u240e-\u241f\u2421]")
"""The control pictures `_CONTROL` produces (never those of tab, LF, CR: they are not produced)."""
REPLACEMENT = "\ufffd"


def head(text: str, limit: int) -> str:
    """`text`, or its first `limit` characters cut after the last whole line among them."""
    if len(text) <= limit:
        return text
    end = text.rfind("\n", 0, limit)
    return text[: end + 1] if end >= 0 else text[:limit]


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else REPLACEMENT


def _control(match: re.Match[str]) -> str:
    code = ord(match.group())
    return "\x7f" if code == 0x2421 else chr(code - 0x2400)


def shown_safely(text: str) -> str:
    """`text` with each control character the terminal would obey replaced by a visible stand-in."""
    return _CONTROL.sub(_picture, text) if _CONTROL.search(text) else text


def as_pasted(text: str) -> str:
    """The paste as the parser should see it: control pictures back to the controls they stand for."""
    return _PICTURE.sub(_control, text) if _PICTURE.search(text) else text


class PasteArea(TextArea):
    """A plain-text TextArea (no language, no soft wrap) whose document holds no terminal controls."""

    def __init__(self, text: str = "", *, max_chars: int, id: str | None = None, placeholder: str = "") -> None:
        self.max_chars = max_chars
        """The most of one paste (or of the initial text) that is kept."""
        self.cut: tuple[int, int] | None = None
        """(kept, pasted) characters of the last paste that was longer than `max_chars`."""
        super().__init__(
            self._bounded(text),
            id=id,
            soft_wrap=False,
            language=None,
            tab_behavior="focus",
            show_line_numbers=False,
            placeholder=placeholder,
        )

    def _bounded(self, text: str) -> str:
        kept = head(text, self.max_chars)
        if len(kept) < len(text):
            self.cut = (len(kept), len(text))
        return shown_safely(kept)

    @property
    def pasted(self) -> str:
        """The document as pasted (controls restored), for the parser."""
        return as_pasted(self.text)

    def edit(self, edit: Edit) -> EditResult:
        """Every change (a paste, a key, `insert`, `replace`, undo/redo) passes here: keep it inert and bounded."""
        edit.text = self._bounded(edit.text)
        result = super().edit(edit)
        if self.document.end == (0, 0):
            self.cut = None  # emptied: nothing was dropped from what is there now
        return result

    def load_text(self, text: str) -> None:
        """Replace the document (the `text` setter comes here too), kept inert and bounded."""
        self.cut = None
        super().load_text(self._bounded(text))


class SafeInput(Input):
    """An Input whose value holds no terminal controls: Textual's Input draws a pasted ESC, C1 or bidi
    override as it is (checked against Textual 8.2), so they become stand-ins as in `PasteArea`."""

    def replace(self, text: str, start: int, end: int) -> None:
        # Typing, `insert` and a paste all pass here.
        super().replace(shown_safely(text), start, end)

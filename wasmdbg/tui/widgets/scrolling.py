"""A fix for Textual's scrollbars, shared by every pane that scrolls itself to a row it is told.

Textual sets a scrollbar's position only when `scroll_y` changes while the bar is shown. A pane
that scrolls before its first layout (new content, then "centre this line") has a bar that the
layout shows only afterwards, and that bar keeps the top: the thumb lies about where the view is.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget


class ScrollbarFollowsScroll(Widget):
    """Mix in after the scrolling base class (Textual takes a widget's CSS from its first base):
    each layout puts the vertical thumb where the view is."""

    def _scroll_update(self, virtual_size: Size) -> None:
        super()._scroll_update(virtual_size)
        if self.show_vertical_scrollbar:
            self.vertical_scrollbar.position = self.scroll_y

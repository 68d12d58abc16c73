"""Textual's Footer, rebuilt once per burst of binding changes instead of once per change.

The footer rebuilds itself (unmounts and mounts a widget per key, each styled anew) every time the
screen publishes that its bindings changed. When a run stops, the state, the report, the view
switch and the focus that moves with it publish four or more times within one frame: each rebuild
cost ~50 ms on the UI thread, most of the stall when the trap view appears. Here the changes of one
frame are folded into one, handed to Textual's own handler after the next refresh.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    """A Footer whose rebuilds are coalesced; otherwise Textual's."""

    _change_pending = False

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if self._change_pending:
            return
        self._change_pending = True
        self.call_after_refresh(self._apply_change, screen)

    def _apply_change(self, screen: Screen[Any]) -> None:
        self._change_pending = False
        super().bindings_changed(screen)

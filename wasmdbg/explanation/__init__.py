"""One paragraph saying how a run ended, built only from facts; one module per outcome family."""

from __future__ import annotations

from wasmdbg.explanation.paragraph import explain

__all__ = ["explain"]

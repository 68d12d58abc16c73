"""One paragraph saying how a run ended, built only from facts; one module per outcome family.

`paragraph` dispatches on the outcome; `memory` (faults, regions, the memory cap), `indirect`
(`call_indirect` and table traps), `panics` (Rust panics, abort), `stops` (exit, return, timeout,
interrupt, fuel, stack overflow) write the sentences; `names` and `instruction` are what they share.
"""

from __future__ import annotations

from wasmdbg.explanation.paragraph import explain

__all__ = ["explain"]

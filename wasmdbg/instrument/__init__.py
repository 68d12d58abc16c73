"""The instrumenting rewriter: probes at chosen instructions, with an exact map back to original offsets."""

from wasmdbg.instrument.rewrite import (
    ADDED_EXPORT_PREFIX,
    CALL,
    POINT,
    RETURN,
    Instrumented,
    Probe,
    ProbeImport,
    instrument,
    probe_points,
)

__all__ = [
    "ADDED_EXPORT_PREFIX", "CALL", "POINT", "RETURN", "Instrumented", "Probe", "ProbeImport", "instrument", "probe_points",
]

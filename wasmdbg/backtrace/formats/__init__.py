"""One module per runtime family, each exposing `parse(lines) -> list[Trace]` (see wasmdbg.backtrace.model)."""

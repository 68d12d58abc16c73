"""Validation of a module by wasmtime, the runtime wasmdbg runs it under."""

from __future__ import annotations

from functools import lru_cache

import wasmtime

from wasmdbg.runner.engine import make_config

@lru_cache(maxsize=1)
def _validating_engine() -> wasmtime.Engine:
    return wasmtime.Engine(make_config())


def validation_error(data: bytes) -> str | None:
    """Why wasmtime (with every proposal it implements enabled) rejects a module; None if valid."""
    try:
        wasmtime.Module.validate(_validating_engine(), data)
    except wasmtime.WasmtimeError as error:
        return str(error).strip().splitlines()[0] if str(error).strip() else "invalid module"
    return None

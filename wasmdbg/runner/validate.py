"""Validation of a module by wasmtime, the runtime wasmdbg runs it under."""

from __future__ import annotations

from functools import lru_cache

import wasmtime

_PROPOSALS = (
    "wasm_bulk_memory",
    "wasm_custom_page_sizes",
    "wasm_exceptions",
    "wasm_function_references",
    "wasm_gc",
    "wasm_memory64",
    "wasm_multi_memory",
    "wasm_multi_value",
    "wasm_reference_types",
    "wasm_relaxed_simd",
    "wasm_simd",
    "wasm_stack_switching",
    "wasm_tail_call",
    "wasm_threads",
    "wasm_wide_arithmetic",
)


@lru_cache(maxsize=1)
def _validating_engine() -> wasmtime.Engine:
    config = wasmtime.Config()
    for proposal in _PROPOSALS:
        setattr(config, proposal, True)
    return wasmtime.Engine(config)


def validation_error(data: bytes) -> str | None:
    """Why wasmtime (with every proposal it implements enabled) rejects a module; None if valid."""
    try:
        wasmtime.Module.validate(_validating_engine(), data)
    except wasmtime.WasmtimeError as error:
        return str(error).strip().splitlines()[0] if str(error).strip() else "invalid module"
    return None

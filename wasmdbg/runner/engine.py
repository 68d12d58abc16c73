"""The wasmtime Engine configurations wasmdbg uses: every proposal wasmtime implements, metering on."""

from __future__ import annotations

import wasmtime

PROPOSALS = (
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
"""Config flags switched on, so that any module wasmtime can run, wasmdbg can run."""


def make_config(*, fuel: bool = False, epochs: bool = False, max_wasm_stack: int | None = None) -> wasmtime.Config:
    """A Config with every proposal on, and fuel metering / epoch interruption as asked."""
    config = wasmtime.Config()
    for proposal in PROPOSALS:
        setattr(config, proposal, True)
    config.consume_fuel = fuel
    config.epoch_interruption = epochs
    if max_wasm_stack is not None:
        config.max_wasm_stack = max_wasm_stack
    return config

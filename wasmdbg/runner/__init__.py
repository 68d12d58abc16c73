"""Everything that touches the wasmtime engine; nothing else in wasmdbg imports wasmtime."""

"""What `wasmdbg info` knows about a module: facts from the reader, the debug information, wasmtime's verdict."""

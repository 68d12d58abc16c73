"""The WebAssembly binary reader: bytes in, frozen dataclasses out; standard library only."""

"""Rich renderables for wasmdbg's data; no Textual here."""

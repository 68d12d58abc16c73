"""The interactive app (`wasmdbg MODULE`): the only package that imports Textual."""

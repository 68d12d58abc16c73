"""The interactive debugger, `wasmdbg MODULE`: the only package that imports Textual.

`make_app` (in `app.py`) builds it, for the CLI and for the tests alike.
"""

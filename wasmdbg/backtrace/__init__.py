"""Backtraces pasted as text: every runtime's format parsed into data; standard library only.

`formats/` holds one parser per runtime family; `detect.parse_text` runs them all over a paste and
returns the traces found. Nothing here symbolizes or prints: see wasmdbg.symbols.symbolizer and render/.
"""

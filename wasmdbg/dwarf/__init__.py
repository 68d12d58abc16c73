"""The DWARF symbolizer: pyelftools is imported only in this package.

Layers, as in gimli's addr2line: `loader` feeds a module's `.debug_*` custom sections to pyelftools;
`build` walks the units once (in a child process, see `isolate`) into flat sorted tables; `index`
answers lookups from those tables by bisection; `cache` keeps built indexes on disk.
"""

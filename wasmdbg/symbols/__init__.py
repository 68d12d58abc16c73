"""Symbolization: which file holds a module's DWARF, the symbolizer over it, source files under the user's roots."""

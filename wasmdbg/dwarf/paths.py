"""Joining DWARF directories and file names the way gimli's addr2line (and so wasm-tools) does."""

from __future__ import annotations


def has_forward_slash_root(path: str) -> bool:
    """`/x` or `C:/x`."""
    return path.startswith("/") or path[1:3] == ":/"


def has_backward_slash_root(path: str) -> bool:
    """`\\x` or `C:\\x`."""
    return path.startswith("\\") or path[1:3] == ":\\"


def path_push(path: str, part: str) -> str:
    """Append `part` to `path`; an absolute `part` (Unix or Windows) replaces it.

    The separator follows the existing path: a Windows-rooted path keeps growing with `\\`.
    """
    if has_forward_slash_root(part) or has_backward_slash_root(part):
        return part
    separator = "\\" if has_backward_slash_root(path) else "/"
    if path and not path.endswith(separator):
        path += separator
    return path + part


def render_file(comp_dir: str | None, directory: str | None, name: str) -> str:
    """A line-table file's path: comp_dir, then its include directory (unless index 0), then its name."""
    path = comp_dir or ""
    if directory is not None:
        path = path_push(path, directory)
    return path_push(path, name)

"""What the guest may be granted, parsed from the command line: directories and environment variables.

Plain data and parsing, no wasmtime: the debugger's side checks grants before it starts an agent,
and the agent's sandbox (`runner.sandbox`) turns them into a WasiConfig. `--dir HOST[::GUEST]`
grants a directory read-only, a deliberate difference from wasmtime, whose grant is writable: a
debugger runs modules it does not trust, so writing must be asked for with `--dir-rw`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from wasmdbg.errors import WasmdbgError
from wasmdbg.text import printable


class SandboxError(WasmdbgError):
    """A grant that cannot be given: a missing directory, an unset variable, a bad spelling."""


@dataclass(frozen=True, slots=True)
class DirGrant:
    """A host directory the guest may see, under `guest`."""

    host: str
    guest: str
    writable: bool


def parse_dir_grant(spec: str, *, writable: bool) -> DirGrant:
    """`HOST[::GUEST]`, as wasmtime spells it; the guest path defaults to the host path."""
    host, sep, guest = spec.partition("::")
    if not host or (sep and not guest):
        raise SandboxError(f"--dir {printable(spec)}: expected HOST or HOST::GUEST")
    if not os.path.isdir(host):
        raise SandboxError(f"--dir {printable(spec)}: {printable(host)} is not a directory")
    return DirGrant(os.path.abspath(host), guest or host, writable)


def parse_env(specs: Sequence[str], environ: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """`NAME=VALUE` sets a variable; `NAME` alone passes that one variable through from `environ`."""
    out: dict[str, str] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not name:
            raise SandboxError(f"--env {printable(spec)}: expected NAME or NAME=VALUE")
        if not sep:
            if name not in environ:
                raise SandboxError(f"--env {printable(name)}: not set in wasmdbg's environment, so nothing to pass")
            value = environ[name]
        out[name] = value
    return tuple(out.items())

"""The guest's sandbox: nothing granted unless asked for, and directory grants read-only by default.

`--dir HOST[::GUEST]` grants a directory read-only, a deliberate difference from wasmtime, whose
grant is writable: a debugger runs modules it does not trust, so writing must be asked for with
`--dir-rw`. The environment is empty except for `--env NAME=VALUE` and `--env NAME` (that one
variable inherited). There is no network, and stdin is empty unless `--stdin FILE`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import wasmtime

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


@dataclass(frozen=True)
class Sandbox:
    """Everything the guest is given."""

    argv: tuple[str, ...]
    """argv[0] first: the module's file name unless `--argv0` says otherwise."""
    env: tuple[tuple[str, str], ...] = ()
    dirs: tuple[DirGrant, ...] = field(default=())
    stdin_path: str | None = None

    def wasi_config(self, stdout_path: str | None = None, stderr_path: str | None = None) -> wasmtime.WasiConfig:
        """The WasiConfig granting exactly this; guest output goes to the given files (else nowhere)."""
        config = wasmtime.WasiConfig()
        config.argv = list(self.argv)
        config.env = [list(pair) for pair in self.env]
        for grant in self.dirs:
            config.preopen_dir(grant.host, grant.guest, grant.writable)
        if self.stdin_path is not None:
            config.stdin_file = self.stdin_path
        if stdout_path is not None:
            config.stdout_file = stdout_path
        if stderr_path is not None:
            config.stderr_file = stderr_path
        return config

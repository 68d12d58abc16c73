"""The guest's sandbox: nothing granted unless asked for, and directory grants read-only by default.

`--dir HOST[::GUEST]` grants a directory read-only, a deliberate difference from wasmtime, whose
grant is writable: a debugger runs modules it does not trust, so writing must be asked for with
`--dir-rw`. The environment is empty except for `--env NAME=VALUE` and `--env NAME` (that one
variable inherited). There is no network, and stdin is empty unless `--stdin FILE`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import wasmtime

from wasmdbg.runner.grants import DirGrant


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

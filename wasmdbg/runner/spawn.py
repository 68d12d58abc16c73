"""Starting the agent process, kept apart from the protocol so a command can start it first.

An agent's interpreter start and imports take as long as a whole trivial run, so `wasmdbg run`
starts one before it parses its arguments and hands it to the run (`Environment.spare_agent`);
this module imports nothing of wasmdbg's, so starting it costs only the fork and exec. A spare
that no run takes is ended by `discard`: its stdin closes, it sees end of input and exits.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from typing import IO


class AgentProcess:
    """A started agent process, its stderr file and the private directory for guest output.

    Args:
        stdin_fd: a descriptor of this process to hand the agent as the guest's stdin; it is
            reachable there as `/dev/fd/N` (see `guest_stdin`).
    """

    def __init__(self, *, stdin_fd: int | None = None) -> None:
        self.stderr: IO[bytes] = tempfile.TemporaryFile()
        self.output_dir = tempfile.mkdtemp(prefix="wasmdbg-run-")
        """The private directory the agent's guest output files go to; removed by `remove_files`."""
        env = dict(os.environ)
        env.pop("WASMTIME_BACKTRACE_DETAILS", None)  # the caller's environment must not change the run
        self.guest_stdin = None if stdin_fd is None else f"/dev/fd/{stdin_fd}"
        """The path the agent opens for the passed descriptor, or None."""
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "wasmdbg.runner.agent"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.stderr,
                env=env,
                pass_fds=() if stdin_fd is None else (stdin_fd,),
                # Its own process group: a Ctrl-C at the terminal is the debugger's to handle (it
                # interrupts the guest and reports where it was), not a signal that kills the engine.
                process_group=0,
            )
        except BaseException:
            self.remove_files()
            raise

    def remove_files(self) -> None:
        """Close the stderr file and remove the output directory (the process must be gone or going)."""
        self.stderr.close()
        shutil.rmtree(self.output_dir, ignore_errors=True)

    def discard(self) -> None:
        """End an agent no run took: close its input, reap it, remove its files."""
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.remove_files()

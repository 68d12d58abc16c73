"""The streams and terminal facts a command runs with, injected so tests can replace them."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from wasmdbg.runner.spawn import AgentProcess


@dataclass
class Environment:
    """Where a command reads and writes; tests pass their own streams."""

    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    width: int | None = None
    """Terminal width for text output; None lets Rich detect it."""
    spare_agent: AgentProcess | None = None
    """An agent started before the arguments were parsed, for the run to take (`take_spare_agent`)."""

    def take_spare_agent(self) -> AgentProcess | None:
        """The spare agent, now the caller's to use or discard; None when there is none."""
        spare, self.spare_agent = self.spare_agent, None
        return spare

    def discard_spare_agent(self) -> None:
        """End a spare agent no command took."""
        spare = self.take_spare_agent()
        if spare is not None:
            spare.discard()

    @property
    def stdout_isatty(self) -> bool:
        """True when results go to a terminal rather than a pipe or file."""
        isatty = getattr(self.stdout, "isatty", None)
        return bool(isatty and isatty())

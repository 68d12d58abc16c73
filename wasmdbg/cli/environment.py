"""The streams and terminal facts a command runs with, injected so tests can replace them."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class Environment:
    """Where a command reads and writes; tests pass their own streams."""

    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    width: int | None = None
    """Terminal width for text output; None lets Rich detect it."""

    @property
    def stdout_isatty(self) -> bool:
        """True when results go to a terminal rather than a pipe or file."""
        isatty = getattr(self.stdout, "isatty", None)
        return bool(isatty and isatty())

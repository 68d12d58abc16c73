"""Argument parsing and dispatch; every failure a user can cause ends as one line and an ExitStatus."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, NoReturn

from wasmdbg import __version__
from wasmdbg.cli.commands import debug, info, symbolize
from wasmdbg.cli.commands import open as open_command
from wasmdbg.cli.commands import run as run_command
from wasmdbg.cli.environment import Environment
from wasmdbg.cli.launch import spare_agent_for
from wasmdbg.cli.status import ExitStatus
from wasmdbg.errors import WasmdbgError
from wasmdbg.text import printable

if TYPE_CHECKING:
    from wasmdbg.runner.spawn import AgentProcess

DESCRIPTION = """\
wasmdbg: a debugging assistant for WebAssembly modules.

Usage: wasmdbg [OPTIONS] MODULE [ARGS...]   open the debugger on MODULE (wasmdbg --help-app)
       wasmdbg COMMAND ...

Commands:
  wasmdbg MODULE [ARGS...]            debug a module: run it live, inspect how it stopped
  wasmdbg info MODULE                 describe a module and the debug information it carries
  wasmdbg symbolize MODULE ADDR...    map addresses to functions and source lines
  wasmdbg symbolize [MODULE] < LOG    find the backtraces in a log and symbolize them
  wasmdbg symbolize MODULE --tui      paste traces into a screen and see them symbolized
  wasmdbg run MODULE [ARGS...]        run a module in a sandbox and explain how it ended
  wasmdbg open FILE [--module M]      open a saved report or a wasm coredump in the trap view
"""

EPILOG = """\
exit status: 0 success, 1 unusable input (missing, malformed or invalid module),
2 usage error; `run` exits as wasmtime does (the guest's code, 134 for a trap).
Results go to stdout, diagnostics to stderr.
"""


COMMANDS = ("info", "symbolize", "run", "open")


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that writes to the injected Environment and never calls sys.exit itself."""

    env: Environment

    def _print_message(self, message: str, file: object = None) -> None:
        if message:
            stream = self.env.stderr if file in (sys.stderr, self.env.stderr) else self.env.stdout
            stream.write(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            self.env.stderr.write(message)
        raise SystemExit(status)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise _UsageError(f"{self.prog}: error: {message}")


def _looks_like_a_command(word: str) -> bool:
    """A bare word that names no file (`wasmdbg frobnicate`): a mistyped command, not a module."""
    return (
        not word.startswith("-")
        and "/" not in word
        and not word.endswith((".wasm", ".wat"))
        and not os.path.exists(word)
    )


def build_parser(env: Environment) -> argparse.ArgumentParser:
    """The full command-line grammar."""
    _Parser.env = env
    parser = _Parser(
        prog="wasmdbg",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"wasmdbg {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    info.add_parser(subparsers)
    symbolize.add_parser(subparsers)
    run_command.add_parser(subparsers)
    open_command.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None, env: Environment | None = None) -> int:
    """Run wasmdbg with `argv` (default: sys.argv[1:]) and return the exit status."""
    env = env or Environment()
    argv = sys.argv[1:] if argv is None else argv
    if env.spare_agent is None:
        # Started before anything else: its interpreter start and imports then overlap with the
        # parsing, the module's reading and the session that follow (`run` takes it).
        env.spare_agent = spare_agent_for(argv)
    try:
        return _dispatch(argv, env)
    finally:
        env.discard_spare_agent()


def _dispatch(argv: list[str], env: Environment) -> int:
    parser = build_parser(env)
    try:
        if argv == ["--help-app"]:
            debug.build_parser(env, _Parser).print_help(env.stdout)
            return ExitStatus.OK
        if argv and argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version"):
            # `wasmdbg [OPTIONS] MODULE [ARGS...]` is the interactive debugger's spelling.
            if _looks_like_a_command(argv[0]):
                raise _UsageError(
                    f"wasmdbg: error: unknown command {printable(argv[0])!r} (commands: {', '.join(COMMANDS)}); "
                    "to debug a module, give its path: wasmdbg MODULE"
                )
            return int(debug.debug(debug.build_parser(env, _Parser).parse_args(argv), env))
        args = parser.parse_args(argv)
        command = getattr(args, "command", None)
        if command is None:
            parser.print_help(env.stderr)
            return ExitStatus.USAGE
        return int(command(args, env))
    except _UsageError as error:
        env.stderr.write(f"{error}\n")
        return ExitStatus.USAGE
    except SystemExit as exit_:  # --help and --version
        return int(exit_.code or 0)
    except WasmdbgError as error:
        env.stderr.write(f"wasmdbg: error: {printable(error.message)}\n")
        return ExitStatus.ERROR
    except KeyboardInterrupt:
        env.stderr.write("wasmdbg: interrupted\n")
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`); that is not an error of ours.
        return ExitStatus.OK


def run(spare_agent: AgentProcess | None = None) -> NoReturn:
    """Run with sys.argv and exit; `spare_agent`: one `wasmdbg.cli.launch` started for a `run`."""
    status = main(env=Environment(spare_agent=spare_agent))
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    sys.exit(status)

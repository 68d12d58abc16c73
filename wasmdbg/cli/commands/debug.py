"""`wasmdbg [OPTIONS] MODULE [ARGS...]`: the interactive debugger, or `wasmdbg run` when nobody is watching."""

from __future__ import annotations

import argparse

from wasmdbg.cli.commands import run as run_command
from wasmdbg.cli.environment import Environment
from wasmdbg.cli.status import ExitStatus
from wasmdbg.render.terminal import is_terminal

DESCRIPTION = """\
Open the interactive debugger on a WebAssembly module: it runs the module in wasmdbg's sandbox
(the options of `wasmdbg run`: nothing granted unless asked, memory cap, fuel measured) and shows
the run live: linear memory against the cap, fuel used and its rate, the guest's output. When the
guest stops (a trap, an interrupt, a limit, or an exit) it shows the outcome and why, the stack
with your frames marked, the source and disassembly of the selected frame, and the memory around
the fault.

--break LOC (repeatable: FILE:LINE, FUNCTION or 0xOFFSET) stops the run there; the trap view
then shows the stop with the selected frame's variables, and c continues; n, e and o step to the
next line (in this function or a caller), into calls, or out to the caller. b sets or clears a
breakpoint (offered at the source line shown), at once in a run that has breakpoints (every line
of your code is probed behind a guard), else from the next run (r restarts).

Keys: c continue, p pause, i interrupt, r restart, b breakpoint, n/e/o step (at a breakpoint),
u/d or up/down move through frames,
f fold runtime frames, g go to an address, w write a coredump, m the module (sections, imports,
exports, functions, memory, debug information), s paste a trace to symbolize, 1/2 run and trap
views, ? help, ctrl+p commands, q quit.

In the app there is no timeout unless -W timeout=N is given (you are watching). When stdout or
stdin is not a terminal, or with --format json, it behaves exactly like `wasmdbg run` (the
report is printed, the exit status is the run's), so scripts and CI get the answer. The app
exits with the status `wasmdbg run` would give for the last run (0 if it was quit before one).
--report PATH writes the last run's report when the app is quit. w writes the stopped run as a
wasm coredump (to --coredump PATH, written at each stop when given; else MODULE.coredump.wasm
in the current directory), for `wasmdbg open`.
"""


def build_parser(env: Environment, parser_class: type[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """The grammar of `wasmdbg [OPTIONS] MODULE [ARGS...]`: the options of `wasmdbg run`."""
    parser = parser_class(
        prog="wasmdbg",
        usage="wasmdbg [OPTIONS] MODULE [ARGS...]",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("module", metavar="MODULE", help="the .wasm (or .wat) module to debug")
    parser.add_argument("args", metavar="ARGS", nargs=argparse.REMAINDER, help="arguments for the guest")
    run_command.add_run_options(parser)
    return parser


def debug(args: argparse.Namespace, env: Environment) -> int:
    """Open the app on MODULE, or run it headless when there is no terminal to show it on."""
    if args.format == "json" or not is_terminal(env.stdout) or not is_terminal(env.stdin):
        return int(run_command.run(args, env))
    request = run_command.request_or_status(args, env, "wasmdbg", interactive=True)
    if isinstance(request, int):
        return request
    from wasmdbg.session.live import STDIN_INHERIT

    if request.stdin == STDIN_INHERIT:
        env.stderr.write(
            "wasmdbg: error: --stdin - would share the terminal with the app: "
            "give the guest a file (--stdin FILE), or use `wasmdbg run`\n"
        )
        return ExitStatus.USAGE
    from wasmdbg.cli.hints import describe
    from wasmdbg.tui.app import make_app

    session = run_command.open_session(args)
    app = make_app(
        session,
        request,
        source_hint=run_command.SOURCE_HINT,
        describe=describe,
        start_hint=lambda report: run_command.start_failure(report, session),
        coredump=args.coredump,
        debug_hint=run_command.DEBUG_HINT,
        breakpoints=args.breaks,
    )
    status = app.run()
    if args.report and app.report is not None:
        run_command.write_report(app.report, args.report)
    return int(status if status is not None else app.return_code or 0)

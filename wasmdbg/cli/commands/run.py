"""`wasmdbg run`: run a module in the sandbox, then explain how it ended."""

from __future__ import annotations

import argparse
import json
import os
import sys

from wasmdbg.cli.environment import Environment
from wasmdbg.cli.status import ExitStatus
from wasmdbg.errors import WasmdbgError
from wasmdbg.text import printable

DESCRIPTION = """\
Run a WebAssembly module under wasmtime in a sandbox, as a careful embedder would, and explain
how it ended: the outcome, a paragraph of explanation, the symbolized frames with the source
around the innermost user frame, peak memory against the cap, and fuel used.

Options come before MODULE; everything after it goes to the guest, as with wasmtime. Nothing is
granted by default: no files, no environment, no network, empty stdin. --dir grants a directory
READ-ONLY (unlike wasmtime, whose grant is writable); --dir-rw grants it writable.

Limits use wasmtime's -W spelling (see -W help): max-memory-size (default 512 MiB), fuel
(unlimited; fuel use is always measured), timeout (default 60 s; 0 disables), max-wasm-stack.

Exit status mirrors wasmtime: the guest's exit code; 0 after a returned --invoke; 134 for any
trap, including out of fuel and timeout; 1 for other errors; 2 for usage errors.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `run` and its options."""
    parser = subparsers.add_parser(
        "run",
        help="run a module in the sandbox and explain how it ended",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("module", metavar="MODULE")
    parser.add_argument("args", metavar="ARGS", nargs=argparse.REMAINDER, help="arguments for the guest")
    parser.add_argument("--argv0", metavar="NAME", help="argv[0] for the guest (default: the module's file name)")
    parser.add_argument("--env", metavar="NAME[=VALUE]", action="append", default=[], help="pass one variable")
    parser.add_argument("--dir", metavar="HOST[::GUEST]", action="append", default=[], help="grant read-only")
    parser.add_argument("--dir-rw", metavar="HOST[::GUEST]", action="append", default=[], help="grant writable")
    parser.add_argument("--stdin", metavar="FILE", help="the guest's stdin (default: empty)")
    parser.add_argument("-W", dest="limits", metavar="KEY=VALUE,...", action="append", default=[], help="limits")
    parser.add_argument("--invoke", metavar="NAME", help="call this export with ARGS instead of _start")
    parser.add_argument(
        "--unknown-imports-trap", action="store_true", help="define missing imports as functions that trap"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--report", metavar="PATH", help="also write the JSON report to PATH")
    parser.add_argument("--source-root", metavar="DIR", action="append", default=[], help="where sources may be read")
    parser.add_argument("--substitute-path", metavar="FROM=TO", action="append", default=[])
    parser.add_argument("--debug-file", metavar="PATH")
    parser.add_argument("--dwp", metavar="PATH")
    parser.add_argument("--no-cache", action="store_true")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace, env: Environment) -> ExitStatus | int:
    """Run, stream guest output (text mode), print the report."""
    from wasmdbg.session.live import RunRequest
    from wasmdbg.session.live import run as run_module
    from wasmdbg.runner.limits import LimitsError, parse_limits
    from wasmdbg.runner.sandbox import SandboxError, parse_dir_grant, parse_env
    from wasmdbg.symbols.symbolizer import SymbolizeOptions

    try:
        limits = parse_limits(args.limits)
        grants = [parse_dir_grant(d, writable=False) for d in args.dir]
        grants += [parse_dir_grant(d, writable=True) for d in args.dir_rw]
        variables = parse_env(args.env, os.environ)
    except LimitsError as error:
        if error.hint:
            env.stdout.write(error.hint)
            return ExitStatus.OK
        env.stderr.write(f"wasmdbg run: error: {printable(error.message)}\n")
        return ExitStatus.USAGE
    except SandboxError as error:
        env.stderr.write(f"wasmdbg run: error: {printable(error.message)}\n")
        return ExitStatus.USAGE
    guest_args = list(args.args)
    request = RunRequest(
        module=args.module,
        args=[] if args.invoke else guest_args,
        argv0=args.argv0,
        env=variables,
        dirs=grants,
        stdin=args.stdin,
        limits=limits,
        invoke=args.invoke,
        invoke_args=guest_args if args.invoke else [],
        unknown_imports_trap=args.unknown_imports_trap,
        symbolize=SymbolizeOptions(debug_file=args.debug_file, dwp=args.dwp, use_cache=not args.no_cache),
    )
    streaming = args.format == "text"

    def on_output(stream: str, chunk: bytes) -> None:
        target = env.stdout if stream == "stdout" else env.stderr
        text = chunk.decode("utf-8", "replace")
        # The guest is untrusted: on a terminal its bytes must not become escape sequences.
        if getattr(target, "isatty", lambda: False)():
            text = printable(text, one_line=False)
        target.write(text)
        target.flush()

    report = run_module(request, on_output if streaming else None)
    if args.report:
        try:
            with open(args.report, "w", encoding="utf-8") as out:
                json.dump(_public(report), out, indent=2)
        except OSError as error:
            raise WasmdbgError(f"{printable(args.report)}: {error.strerror or error}") from None
    if args.format == "json":
        env.stdout.write(json.dumps(_public(report)) + "\n")
    else:
        if report["outcome"] == "returned" and args.invoke:
            for value in report["results"] or []:
                env.stdout.write(f"{value}\n")
        from wasmdbg.render.console import make_console
        from wasmdbg.render.run import RunView
        from wasmdbg.symbols.sources import SourceRoots

        roots = SourceRoots.for_module(args.module, args.source_root, args.substitute_path)
        make_console(env.stderr, width=env.width).print(RunView(report, roots))
    return int(report["exit_status"])


def _public(report: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in report.items() if k != "exit_status"}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(1)

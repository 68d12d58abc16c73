"""`wasmdbg run`: run a module in the sandbox, then explain how it ended."""

from __future__ import annotations

import argparse
import json
import os
import signal
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from wasmdbg.cli.environment import Environment
from wasmdbg.cli.status import ExitStatus
from wasmdbg.errors import WasmdbgError
from wasmdbg.render.terminal import is_terminal
from wasmdbg.text import printable

if TYPE_CHECKING:
    from wasmdbg.session.live import LiveRun, RunRequest
    from wasmdbg.session.report import RunReport
    from wasmdbg.session.session import Session

DESCRIPTION = """\
Run a WebAssembly module (binary or text format) under wasmtime in a sandbox, as a careful
embedder would, and explain how it ended: the outcome, a paragraph of explanation, the symbolized
frames with the source around the innermost user frame, peak memory against the cap, and fuel used.

Options come before MODULE; everything after it goes to the guest, as with wasmtime. Nothing is
granted by default: no files, no environment, no network, empty stdin. --dir grants a directory
READ-ONLY (unlike wasmtime, whose grant is writable); --dir-rw grants it writable. --stdin FILE
gives the guest a file; --stdin - gives it wasmdbg's own stdin.

Limits use wasmtime's -W spelling (see -W help): max-memory-size (default 512 MiB), fuel
(unlimited and not metered unless given, as in wasmtime: metering slows the guest), timeout
(default 60 s; 0 disables), max-wasm-stack. The timeout holds whatever the guest does, also
when it is blocked reading its stdin. The report gives the CPU time the guest used either way.

Compiled code is cached by wasmtime under wasmdbg's cache directory ($WASMDBG_CACHE_DIR, else
the user cache directory), so a second run of a large module does not compile it again;
--no-cache skips that cache (and the DWARF index cache).

Ctrl-C interrupts the guest and reports where it was; a second Ctrl-C quits at once.

--break LOC (repeatable) stops before the code of LOC: FILE:LINE (through the DWARF line table: the
line's first statement row in each function holding it), FUNCTION (its first line past the
prologue) or 0xOFFSET (a module offset, as backtraces print). The run is of an instrumented copy
of the module that calls wasmdbg at those points; the rest of it runs at full speed. Headless, the
run stops at the first hit, reports outcome "breakpoint" with the frames and each frame's
variables (from DWARF: parameters and locals with their types and values; raw wasm locals without
DWARF), then ends (exit 0). Variables are reliable at -O0; optimized code keeps few of them.

--coredump PATH writes a stopped run (trap, timeout, interrupt) as a wasm coredump in the
tool-conventions format, as `wasmtime run -D coredump=PATH` does: the frames, the exported
memories' contents and the globals; `wasmdbg open PATH` shows it. The Python bindings cannot
read locals, the operand stack, or memories and globals the module does not export: frames have
no locals, an unexported memory has no contents, an unexported mutable global its initial value,
and the dump's notes say so.

Guest output passes through byte for byte to a pipe or file; on a terminal, control characters
are shown escaped so the guest cannot drive it.

Exit status mirrors wasmtime: the guest's exit code; 0 after a returned --invoke; 134 for any
trap, including out of fuel, timeout and interrupt; 1 for other errors; 2 for usage errors.
"""

SOURCE_HINT = "add --source-root DIR, or --substitute-path FROM=TO"
DEBUG_HINT = "rebuild the module with -g, or pass its debug file with --debug-file FILE"
_OWN_STDIN = ("-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0")


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `run` and its options."""
    parser = subparsers.add_parser(
        "run",
        help="run a module in the sandbox and explain how it ended",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("module", metavar="MODULE", nargs="?", help="the .wasm (or .wat) module to run")
    parser.add_argument("args", metavar="ARGS", nargs=argparse.REMAINDER, help="arguments for the guest")
    add_run_options(parser)
    parser.set_defaults(command=run)


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options of a run, shared by `wasmdbg run` and the interactive `wasmdbg MODULE`."""
    parser.add_argument("--argv0", metavar="NAME", help="argv[0] for the guest (default: the module's file name)")
    parser.add_argument("--env", metavar="NAME[=VALUE]", action="append", default=[], help="pass one variable")
    parser.add_argument("--dir", metavar="HOST[::GUEST]", action="append", default=[], help="grant read-only")
    parser.add_argument("--dir-rw", metavar="HOST[::GUEST]", action="append", default=[], help="grant writable")
    parser.add_argument("--stdin", metavar="FILE", help="the guest's stdin: a file, or - for wasmdbg's (default: empty)")
    parser.add_argument("-W", dest="limits", metavar="KEY=VALUE,...", action="append", default=[], help="limits (-W help)")
    parser.add_argument("--invoke", metavar="NAME", help="call this export with ARGS instead of _start")
    parser.add_argument(
        "--unknown-imports-trap", action="store_true", help="define missing imports as functions that trap"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--report", metavar="PATH", help="also write the JSON report to PATH")
    parser.add_argument(
        "--coredump", metavar="PATH", help="after a trap, timeout or interrupt, write a wasm coredump to PATH (wasmdbg open reads it)"
    )
    parser.add_argument("--source-root", metavar="DIR", action="append", default=[], help="where sources may be read")
    parser.add_argument("--substitute-path", metavar="FROM=TO", action="append", default=[])
    parser.add_argument("--debug-file", metavar="PATH")
    parser.add_argument("--dwp", metavar="PATH")
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument(
        "--break", dest="breaks", metavar="LOC", action="append", default=[],
        help="stop before FILE:LINE, FUNCTION or 0xOFFSET (repeatable): headless, report the frames and variables there",
    )  # fmt: skip


class UsageError(WasmdbgError):
    """A run option that cannot be used; exit status 2."""


def build_request(args: argparse.Namespace, *, interactive: bool = False) -> RunRequest:
    """The RunRequest the options ask for, every option checked before anything runs.

    Args:
        args: the parsed run options.
        interactive: for the app, whose default is no timeout (the user is watching).

    Raises:
        UsageError: an option is malformed, names a missing file, or cannot be honoured.
    """
    from wasmdbg.runner.grants import SandboxError, parse_dir_grant, parse_env
    from wasmdbg.runner.limits import HEADLESS_LIMITS, INTERACTIVE_LIMITS, LimitsError, parse_limits
    from wasmdbg.session.live import HEADLESS_TICK_S, STDIN_INHERIT, RunRequest

    try:
        limits = parse_limits(args.limits, INTERACTIVE_LIMITS if interactive else HEADLESS_LIMITS)
        grants = [parse_dir_grant(d, writable=False) for d in args.dir]
        grants += [parse_dir_grant(d, writable=True) for d in args.dir_rw]
        variables = parse_env(args.env, os.environ)
    except (LimitsError, SandboxError) as error:
        raise UsageError(error.message, error.hint) from None
    stdin = args.stdin
    if stdin in _OWN_STDIN:
        stdin = STDIN_INHERIT  # inside the agent /dev/stdin would be its control pipe
    elif stdin is not None:
        _check_readable(stdin)
    for flag in ("report", "coredump"):
        if getattr(args, flag, None):
            _check_writable(getattr(args, flag), f"--{flag}")
    guest_args = list(args.args)
    return RunRequest(
        args=[] if args.invoke else guest_args,
        argv0=args.argv0,
        env=variables,
        dirs=grants,
        stdin=stdin,
        limits=limits,
        invoke=args.invoke,
        invoke_args=guest_args if args.invoke else [],
        unknown_imports_trap=args.unknown_imports_trap,
        # The app samples often to draw its chart; a headless run keeps only the report's series.
        tick_s=RunRequest.tick_s if interactive else HEADLESS_TICK_S,
        compile_cache=not getattr(args, "no_cache", False),
    )


def _check_readable(path: str) -> None:
    shown = printable(path)
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        raise UsageError(f"--stdin {shown}: {error.strerror or error}") from None
    if stat.S_ISDIR(mode):
        raise UsageError(f"--stdin {shown}: is a directory")
    if not os.access(path, os.R_OK):
        raise UsageError(f"--stdin {shown}: not readable")


def _check_writable(path: str, flag: str) -> None:
    shown = printable(path)
    if os.path.isdir(path):
        raise UsageError(f"{flag} {shown}: is a directory; give a file name")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UsageError(f"{flag} {shown}: the directory {printable(directory)} does not exist")
    if not os.access(directory, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise UsageError(f"{flag} {shown}: not writable")


def open_session(args: argparse.Namespace) -> Session:
    """The session for MODULE with the debug-file and source options."""
    from wasmdbg.session.session import Session, SessionOptions
    from wasmdbg.symbols.symbolizer import SymbolizeOptions

    options = SessionOptions(
        symbolize=SymbolizeOptions(debug_file=args.debug_file, dwp=args.dwp, use_cache=not args.no_cache),
        source_roots=tuple(args.source_root),
        substitutions=tuple(args.substitute_path),
    )
    return Session.open(args.module, options)


def request_or_status(args: argparse.Namespace, env: Environment, prog: str, *, interactive: bool = False) -> RunRequest | int:
    """The request, or the exit status after saying why there is none (`-W help` is an answer, not an error)."""
    try:
        request = build_request(args, interactive=interactive)
    except UsageError as error:
        if error.hint:
            env.stdout.write(error.hint)
            return ExitStatus.OK
        env.stderr.write(f"{prog}: error: {printable(error.message)}\n")
        return ExitStatus.USAGE
    if args.module is None:
        env.stderr.write(f"{prog}: error: MODULE is required ({prog} [OPTIONS] MODULE [ARGS...])\n")
        return ExitStatus.USAGE
    return request


def run(args: argparse.Namespace, env: Environment) -> ExitStatus | int:
    """Run, stream guest output, print the report."""
    request = request_or_status(args, env, "wasmdbg run")
    if isinstance(request, int):
        return request
    from wasmdbg.session.live import LiveRun

    if args.breaks:
        return _run_to_breakpoint(args, env, request)
    # The agent goes first: its interpreter start, wasmtime's import and the compile then overlap
    # with the parent's own imports, the module's parsing and the symbolizer, which the report
    # needs only once the guest has finished. Nothing is printed before the session opens, so a
    # module the session cannot read still ends as it did: one line, the agent closed unheard.
    live = LiveRun(args.module, request, started=env.take_spare_agent())
    try:
        session = open_session(args)
    except BaseException:
        live.close()
        raise
    symbols = _SymbolsInBackground(session, _RENDER_MODULES if args.format == "text" else ())
    try:
        with live:
            with _interrupt_on_ctrl_c(live, env):
                for event in live.events():
                    if args.format == "text" and event.TYPE == "output":
                        _write_output(env, event.stream, event.data)  # type: ignore[union-attr]
            report = session.finish(live)
            if args.coredump:
                _write_coredump(session, live, report, args.coredump, env)
    except BaseException:
        symbols.cancel()  # a second Ctrl-C, say: leave no index build running
        raise
    from wasmdbg.cli.hints import describe

    if args.report:
        write_report(report, args.report)
    failure = start_failure(report, session)
    if args.format == "json":
        env.stdout.write(json.dumps(report.to_json(describe)) + "\n")
        if failure:
            env.stderr.write(f"wasmdbg run: error: {printable(failure)}\n")
        return report.exit_status
    if failure:
        env.stderr.write(f"wasmdbg run: error: {printable(failure)}\n")
        return report.exit_status
    if report.outcome == "returned" and args.invoke:
        for value in report.results or ():
            env.stdout.write(f"{value}\n")
    from wasmdbg.render.console import make_console
    from wasmdbg.render.run import RunView

    make_console(env.stderr, width=env.width).print(RunView(report, SOURCE_HINT, describe))
    return report.exit_status


def _run_to_breakpoint(args: argparse.Namespace, env: Environment, request: RunRequest) -> int:
    """`run --break`: resolve the breakpoints, run to the first hit, report the stop and end the run."""
    from dataclasses import replace

    from wasmdbg.cli.hints import describe
    from wasmdbg.runner import protocol as p
    from wasmdbg.session.live import LiveRun
    from wasmdbg.symbols.breakpoints import BreakpointError

    session = open_session(args)  # the breakpoints need the line tables before the run starts
    try:
        plan = session.plan_breakpoints(args.breaks)
    except BreakpointError as error:
        env.stderr.write(f"wasmdbg run: error: --break {printable(error.message)}\n")
        return ExitStatus.USAGE
    if args.format == "text":
        for bp in plan.breakpoints:
            env.stderr.write(f"wasmdbg: breakpoint {printable(bp.chosen)}\n")
    describer = session.stop_describer(plan)
    request = replace(request, breakpoints=plan.offsets, call_sites=plan.call_sites)
    report = None
    with LiveRun(args.module, request, started=env.take_spare_agent()) as live:
        with _interrupt_on_ctrl_c(live, env):
            for event in live.events():
                if args.format == "text" and isinstance(event, p.Output):
                    _write_output(env, event.stream, event.data)
                elif isinstance(event, p.Stopped):
                    stop = describer.describe(event, lambda address, size: live.read_memory(address, size))
                    report = session.stop_report(stop, live)
                    break
        if report is None:  # it ended before reaching a breakpoint
            from wasmdbg.findings import NO_BREAKPOINT_HIT, Finding

            report = session.finish(live)
            specs = ", ".join(bp.spec for bp in plan.breakpoints)
            report = replace(report, notes=(*report.notes, Finding(NO_BREAKPOINT_HIT, f"no breakpoint was reached ({specs})")))
    if args.report:
        write_report(report, args.report)
    if args.format == "json":
        env.stdout.write(json.dumps(report.to_json(describe)) + "\n")
        return report.exit_status
    failure = start_failure(report, session)
    if failure:
        env.stderr.write(f"wasmdbg run: error: {printable(failure)}\n")
        return report.exit_status
    from wasmdbg.render.console import make_console
    from wasmdbg.render.run import RunView

    make_console(env.stderr, width=env.width).print(RunView(report, SOURCE_HINT, describe))
    return report.exit_status


_RENDER_MODULES = ("wasmdbg.cli.hints", "wasmdbg.render.console", "wasmdbg.render.run")
"""What printing the text report imports (rich among it): loaded while the guest runs, not after."""


class _SymbolsInBackground:
    """Builds the session's symbolizer on a thread while the guest runs, then imports `modules`.

    A failure is not reported here: `Session.report` asks again, on the caller's thread, and a
    build that failed (a debug file that cannot be used, say) fails there in the same words.
    """

    def __init__(self, session: Session, modules: tuple[str, ...] = ()) -> None:
        self._cancel = threading.Event()
        self._session = session
        self._modules = modules
        self._thread = threading.Thread(target=self._build, name="wasmdbg-symbols", daemon=True)
        self._thread.start()

    def _build(self) -> None:
        try:
            self._session.symbolizer(cancel=self._cancel)
        except Exception:  # noqa: BLE001, S110 - said again, by the report's own build
            pass
        import importlib

        for name in self._modules:
            if self._cancel.is_set():
                return
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001, S110 - the caller's own import says what is wrong
                pass

    def cancel(self) -> None:
        """Stop a build that is still running (its child process is ended)."""
        self._cancel.set()


def _write_coredump(session: Session, live: LiveRun, report: RunReport, path: str, env: Environment) -> None:
    """Write the coredump `--coredump PATH` asks for, or say on stderr why there is none (the run's status stands)."""
    from wasmdbg.session.coredump import STOPPED, coredump_bytes, write_file

    if report.outcome not in STOPPED:
        env.stderr.write(f"wasmdbg run: no coredump written: the run {report.outcome} (a coredump is of a trap)\n")
        return
    try:
        write_file(path, coredump_bytes(session.module, session.path, live, report))
    except WasmdbgError as error:
        env.stderr.write(f"wasmdbg run: no coredump written: {printable(error.message)}\n")


def write_report(report: RunReport, path: str) -> None:
    """Write the JSON report as `--report PATH` asks.

    Raises:
        WasmdbgError: the file cannot be written.
    """
    from wasmdbg.cli.hints import describe

    try:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(report.to_json(describe), out, indent=2)
    except OSError as error:
        raise WasmdbgError(f"{printable(path)}: {error.strerror or error}") from None


def start_failure(report: RunReport, session: Session) -> str | None:
    """One line saying why the guest could not be called at all, and what to do; None if it was."""
    from wasmdbg.runner import protocol as p

    if report.outcome != p.ERROR or report.error_kind is None:
        return None
    message = report.message or "the run could not start"
    exports = [e.name for e in session.module.exports if e.kind == "func"]
    listed = ", ".join(exports[:12]) + (f", … ({len(exports)} in all)" if len(exports) > 12 else "")
    listed = listed or "none"
    if report.error_kind == p.NO_START:
        return f"no _start: use --invoke NAME; exports: {listed}"
    if report.error_kind == p.NO_EXPORT:
        return f"{message}: exported functions: {listed}"
    if report.error_kind in (p.ARITY, p.BAD_ARGUMENT):
        return f"{message}: give the arguments after MODULE (wasmdbg run --invoke NAME MODULE ARGS...)"
    if report.error_kind == p.MISSING_IMPORT:
        return f"{message}: wasmdbg provides WASI (and AssemblyScript's env.abort) only; --unknown-imports-trap runs anyway (calling one traps)"
    return message


def _write_output(env: Environment, stream: str, data: bytes) -> None:
    target: TextIO = env.stdout if stream == "stdout" else env.stderr
    if is_terminal(target):
        # The guest is untrusted: on a terminal its bytes must not become escape sequences.
        target.write(printable(data.decode("utf-8", "replace"), one_line=False))
        target.flush()
        return
    buffer = getattr(target, "buffer", None)
    if buffer is not None:  # a pipe or file gets the guest's bytes unchanged, as wasmtime gives them
        target.flush()
        buffer.write(data)
        buffer.flush()
    else:
        target.write(data.decode("utf-8", "replace"))


@contextmanager
def _interrupt_on_ctrl_c(live: LiveRun, env: Environment) -> Iterator[None]:
    """First Ctrl-C interrupts the guest (the report says where it was); the second quits at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    presses = 0

    def on_sigint(signum: int, frame: object) -> None:
        nonlocal presses
        presses += 1
        if presses > 1:
            raise KeyboardInterrupt
        env.stderr.write("\nwasmdbg: interrupting the guest (Ctrl-C again to quit at once)\n")
        live.interrupt("interrupted by Ctrl-C")

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)

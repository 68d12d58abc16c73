"""`wasmdbg symbolize`: module addresses to functions and source lines."""

from __future__ import annotations

import argparse
import json
import os
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

from wasmdbg.addresses import ModuleOffset
from wasmdbg.cli.environment import Environment
from wasmdbg.cli.hints import describe
from wasmdbg.cli.status import ExitStatus
from wasmdbg.errors import WasmdbgError
from wasmdbg.text import printable

if TYPE_CHECKING:
    from wasmdbg.session.session import Session
    from wasmdbg.findings import Finding
    from wasmdbg.symbols.symbolizer import SymbolizeOptions, Symbolizer

DESCRIPTION = """\
Turn addresses into functions and source lines, inlined frames first, from the module's DWARF
(or a separate debug file), falling back to the name section, export names, and finally
<wasm function N>.

Addresses are module offsets by default, as wasmtime, wasmer and browsers print them
(0x1fc3 or 8131); --code-offsets takes offsets from the start of the code section's contents,
as DWARF tools use. An address outside the code section or not on an instruction boundary is
reported with a warning rather than silently matched.

A stripped module's debug file is found through its external_debug_info section when that
names a file beside the module; otherwise pass it with --debug-file. Split DWARF is completed
from --dwp, from M.wasm.dwp / M.dwp beside the module, or from the .dwo files the skeleton
units name when they sit beside the module. The DWARF index is built
once (in a child process, bounded in time and memory) and cached; --no-cache rebuilds it.

With no ADDR, reads text from stdin (or --input FILE) and finds every backtrace in it: wasmtime
(every era), wasmer, V8 (Chrome, Node, Deno, Workers, Bun), Firefox, Safari, WAMR, WAVM, wazero,
wasm3, WasmEdge, WasmKit, Chicory, behind log prefixes, ANSI colour or exception text. Text mode
copies the input through unchanged and adds the symbolized frames under each recognised frame
line, so it works as a filter in pipelines and CI logs; --format json prints one object per
recognised wasm frame. Each frame is checked against MODULE (function index in range, offset
inside that function and on an instruction boundary, printed name as the name section has it),
and a frame that does not fit says "this trace does not come from this binary". Without MODULE
the frames are parsed and shown without symbolization.

The input is a stream (`tail -f app.log | wasmdbg symbolize M` works): each line is copied
through as soon as the trace it belongs to is complete (a few lines after its last frame) or the
input pauses for 0.2 s, and output is flushed line by line; --format json prints each frame as
soon as its trace is complete. Memory stays bounded on endless input. When nothing in the input
is a wasm frame, text mode says so in one line on stderr (and still exits 0).

With --tui, opens a screen to paste traces into instead (it needs a terminal, and runs nothing):
each recognised frame is listed with its symbolized functions and warnings as you paste, and the
selected frame's source and instructions are shown. --input FILE fills the paste box first. Only
the first 2 MiB of a paste are symbolized. Sources are read under --source-root DIR (default: the
module's directory), after --substitute-path FROM=TO. Keys:
tab moves between panes, ctrl+l clears the paste, ctrl+q quits.

Formats: text for people; json, one object per line per address:
  {"address", "module_offset", "func_index", "frames": [{"function", "linkage_name", "file",
   "line", "column", "inlined", "source"}], "warnings"}
and llvm, which prints what llvm-symbolizer prints (function, file:line:column, blank line).
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `symbolize` and its options."""
    parser = subparsers.add_parser(
        "symbolize",
        help="map addresses, or the backtraces in a log, to functions and source lines",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("module", metavar="MODULE", nargs="?", help="the .wasm file the addresses belong to")
    parser.add_argument(
        "addresses", metavar="ADDR", nargs="*", help="0x-prefixed hex or decimal offsets; none: read a trace"
    )
    parser.add_argument("--input", metavar="FILE", help="read the pasted trace from FILE instead of stdin")
    parser.add_argument("--format", choices=("text", "json", "llvm"), default="text", help="output format")
    parser.add_argument(
        "--code-offsets", action="store_true", help="addresses are relative to the code section's contents"
    )
    parser.add_argument("--debug-file", metavar="PATH", help="a wasm file holding the module's DWARF")
    parser.add_argument("--dwp", metavar="PATH", help="a DWARF package for split DWARF")
    parser.add_argument("--no-cache", action="store_true", help="rebuild the DWARF index instead of using the cache")
    parser.add_argument(
        "--tui", action="store_true", help="paste traces into a screen and see them symbolized as you paste"
    )
    parser.add_argument(
        "--source-root", metavar="DIR", action="append", default=[], help="with --tui: where sources may be read"
    )
    parser.add_argument("--substitute-path", metavar="FROM=TO", action="append", default=[], help="with --tui: map build paths")
    parser.set_defaults(command=run)


def parse_address(text: str) -> int:
    """`0x1fc3` or `8131`; raises ValueError for anything else (negative, junk, empty)."""
    value = int(text[2:], 16) if text[:2].lower() == "0x" else int(text, 10)
    if value < 0 or not text.strip() or text.strip() != text or "_" in text:
        raise ValueError(text)
    return value


MAX_INPUT_BYTES = 512 << 20
"""A pasted trace or log larger than this is refused rather than read into memory."""


def run(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Symbolize addresses, or the backtraces in stdin / --input, or open the paste screen (--tui)."""
    if args.tui:
        return _run_tui(args, env)
    if args.module is None or not args.addresses:
        return _run_pasted(args, env)
    return _run_addresses(args, env)


def _run_addresses(args: argparse.Namespace, env: Environment) -> ExitStatus:
    offsets = []
    for text in args.addresses:
        try:
            offsets.append(parse_address(text))
        except ValueError:
            env.stderr.write(f"wasmdbg symbolize: error: {printable(text)!r} is not an address (0x… hex or decimal)\n")
            return ExitStatus.USAGE
    symbolizer = _symbolizer(args, env)
    code = symbolizer.module.code_section
    if args.code_offsets:
        if code is None:
            raise WasmdbgError(f"{printable(args.module)} has no code section, so code offsets mean nothing")
        offsets = [offset + code.offset for offset in offsets]
    results = [symbolizer.symbolize(ModuleOffset(offset)) for offset in offsets]
    symbolizer.remember_names()

    if args.format == "json":
        for text, result in zip(args.addresses, results):
            record = {
                "address": text,
                "module_offset": result.module_offset,
                "func_index": result.func_index,
                "frames": [frame.to_json() for frame in result.frames],
                "warnings": [describe(w) for w in (*symbolizer.notes, *result.warnings)],
            }
            env.stdout.write(json.dumps(record) + "\n")
        return ExitStatus.OK

    _print_notes(symbolizer.notes, env)
    if args.format == "llvm":
        from wasmdbg.render.symbols_text import llvm_lines

        for result in results:
            env.stdout.write("".join(line + "\n" for line in llvm_lines(result)) + "\n")
        return ExitStatus.OK
    from wasmdbg.render.terminal import is_terminal
    from wasmdbg.render.symbols_text import plain_lines, styled_output

    if env.width is None and not is_terminal(env.stdout) and not styled_output(os.environ):
        # What Rich would print here, without Rich: a log filter's 5,000 addresses in milliseconds.
        for text, result in zip(args.addresses, results):
            env.stdout.write("".join(line + "\n" for line in plain_lines(text, result, describe)))
        return ExitStatus.OK
    from wasmdbg.render.console import make_console
    from wasmdbg.render.symbols import SymbolizedView

    console = make_console(env.stdout, width=env.width)
    for text, result in zip(args.addresses, results):
        console.print(SymbolizedView(text, result, describe))
    return ExitStatus.OK


def _symbolizer(args: argparse.Namespace, env: Environment) -> Symbolizer:
    """The module's symbolizer alone: the filter needs no session (and not its imports)."""
    from wasmdbg.cli.progress import IndexProgressLine
    from wasmdbg.symbols.symbolizer import Symbolizer

    progress = IndexProgressLine(env.stderr, os.path.basename(args.module))
    try:
        return Symbolizer.open(args.module, _options(args), on_progress=progress)
    finally:
        progress.close()


def _session(args: argparse.Namespace) -> Session:
    from wasmdbg.session.session import Session, SessionOptions

    options = SessionOptions(
        symbolize=_options(args), source_roots=tuple(args.source_root), substitutions=tuple(args.substitute_path)
    )
    return Session.open(args.module, options)


def _options(args: argparse.Namespace) -> SymbolizeOptions:
    from wasmdbg.symbols.symbolizer import SymbolizeOptions

    return SymbolizeOptions(debug_file=args.debug_file, dwp=args.dwp, use_cache=not args.no_cache)


def _print_notes(notes: Sequence[Finding], env: Environment) -> None:
    for note in notes:
        env.stderr.write(f"wasmdbg: warning: {printable(describe(note))}\n")


def _read_input_file(path: str) -> str:
    """The text of `--input FILE` for the paste screen, whole (the filter streams it instead)."""
    from wasmdbg.backtrace.lines import decode_input

    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_INPUT_BYTES + 1)
    except OSError as error:
        raise WasmdbgError(f"{printable(path)}: {error.strerror or error}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise WasmdbgError(f"the input is larger than {MAX_INPUT_BYTES >> 20} MiB; cut it to the traces")
    return decode_input(data)


def _run_pasted(args: argparse.Namespace, env: Environment) -> ExitStatus:

    if args.format == "llvm":
        env.stderr.write("wasmdbg symbolize: error: --format llvm needs addresses (MODULE ADDR...)\n")
        return ExitStatus.USAGE
    if args.code_offsets:
        env.stderr.write("wasmdbg symbolize: error: --code-offsets applies to addresses, not to traces\n")
        return ExitStatus.USAGE
    if args.module is None and (args.debug_file or args.dwp):
        env.stderr.write("wasmdbg symbolize: error: --debug-file and --dwp need a MODULE\n")
        return ExitStatus.USAGE
    from wasmdbg.cli.streaming import input_lines
    from wasmdbg.render.pasted import filter_lines, filter_pieces
    from wasmdbg.session.streaming import Settled, StreamAnnotator

    symbolizer = None
    if args.module is not None:
        symbolizer = _symbolizer(args, env)
        _print_notes(symbolizer.notes, env)
    annotator = StreamAnnotator(symbolizer)
    from wasmdbg.render.terminal import is_terminal

    on_terminal = is_terminal(env.stdout)  # the input's escapes are copied to a pipe, shown escaped to a person
    # To a pipe or file the input is copied as the bytes it was, invalid UTF-8 included (the parser
    # reads it decoded, with U+FFFD): each settled line takes the next of these, in input order.
    binary = None if on_terminal else getattr(env.stdout, "buffer", None)
    raw_lines: deque[bytes | None] = deque()

    def emit(settled: Settled) -> None:
        if args.format == "json":
            for frame in settled.frames:
                env.stdout.write(json.dumps(frame.to_json(describe)) + "\n")
        elif binary is None:
            for piece in filter_lines(settled.lines, describe, escape_input=on_terminal):
                env.stdout.write(piece)
        else:
            chunks = []
            for line, copied, added in filter_pieces(settled.lines, describe):
                raw = raw_lines.popleft() if raw_lines else None
                if raw is not None:
                    copied = copied[len(line.text) :]  # the newline, if any
                    chunks.append(raw)
                chunks += [copied.encode(), added.encode()]
            binary.write(b"".join(chunks))
        if settled.lines or settled.frames:
            (binary or env.stdout).flush()  # a log filter: each line as soon as it is settled

    for batch in input_lines(args.input, env, MAX_INPUT_BYTES):
        if batch is not None and binary is not None and args.format != "json":
            raw_lines.extend(line.raw for line in batch)
        emit(annotator.flush() if batch is None else annotator.feed_lines((line.text, line.newline) for line in batch))
    emit(annotator.flush())
    if symbolizer is not None:
        symbolizer.remember_names()
    if annotator.frames_seen == 0 and args.format == "text":
        env.stderr.write(
            "wasmdbg symbolize: no wasm frame recognised in the input (see --help for the runtimes' formats)\n"
        )
    return ExitStatus.OK


TUI_SOURCE_HINT = "add --source-root DIR, or --substitute-path FROM=TO"


def _run_tui(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """`symbolize MODULE --tui [--input FILE]`: the paste screen on MODULE; nothing is run."""
    refusal = None
    if args.module is None:
        refusal = "--tui needs a MODULE to symbolize the pasted traces with"
    elif args.addresses:
        refusal = "--tui takes no ADDR: paste a trace in the screen, or give --input FILE"
    elif args.format != "text":
        refusal = f"--tui shows the frames on screen; --format {args.format} is for the filter without --tui"
    elif args.code_offsets:
        refusal = "--code-offsets applies to addresses, not to traces"
    if refusal is not None:
        env.stderr.write(f"wasmdbg symbolize: error: {refusal}\n")
        return ExitStatus.USAGE
    from wasmdbg.render.terminal import is_terminal

    if not is_terminal(env.stdout) or not is_terminal(env.stdin):
        env.stderr.write(
            "wasmdbg: error: --tui needs a terminal; stdin and stdout must both be one "
            "(without --tui, `wasmdbg symbolize MODULE < LOG` is a filter)\n"
        )
        return ExitStatus.USAGE
    text = _read_input_file(args.input) if args.input is not None else ""  # stdin is the terminal: never read it
    session = _session(args)
    from wasmdbg.tui.symbolize_app import make_symbolize_app

    app = make_symbolize_app(session, text=text, source_hint=TUI_SOURCE_HINT, describe=describe)
    status = app.run()
    return ExitStatus(status if status is not None else app.return_code or 0)

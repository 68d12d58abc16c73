"""`wasmdbg open FILE`: a saved report or a wasm coredump in the trap view, or printed when nobody is watching."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from wasmdbg.cli.environment import Environment
from wasmdbg.cli.status import ExitStatus
from wasmdbg.render.terminal import is_terminal

if TYPE_CHECKING:
    from wasmdbg.session.postmortem import PostMortem

DESCRIPTION = """\
Open what a run left behind, without running anything:

  - a report written by `wasmdbg run --report PATH` (or `wasmdbg MODULE --report PATH`): the
    trap view of that run, its stack, source, disassembly and output;
  - a wasm coredump, as `wasmtime run -D coredump=PATH` or `wasmdbg run --coredump PATH` write
    it (the tool-conventions Coredump.md format): its frames symbolized against the module, the
    memory pane over the dumped memory, and its globals.

The module is found from the file (the report's path, checked against its sha256; the
coredump's recorded name, beside the file or as recorded, its frames checked against the
module's code) or given with --module. A file whose module is missing or different still opens,
with the stack it holds and a note saying what cannot be shown. A coredump does not record why
the guest trapped: the kind is judged from the faulting instruction where only one is possible.

On a terminal this opens the trap view (keys: u/d frames, f fold, g go to address, m the module,
s paste a trace, ? help, q quit).
When stdout is not a terminal, or with --format json, the report is printed instead: text, or the
JSON of `wasmdbg run --format json` with a "postmortem" object added (kind, file, module, notes,
globals, memory).
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `open` and its options."""
    parser = subparsers.add_parser(
        "open",
        help="open a saved report or a wasm coredump in the trap view",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="a report (--report) or a wasm coredump")
    parser.add_argument("--module", metavar="MODULE", help="the module the file belongs to (default: found from the file)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--source-root", metavar="DIR", action="append", default=[], help="where sources may be read")
    parser.add_argument("--substitute-path", metavar="FROM=TO", action="append", default=[])
    parser.add_argument("--debug-file", metavar="PATH")
    parser.add_argument("--dwp", metavar="PATH")
    parser.add_argument("--no-cache", action="store_true")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace, env: Environment) -> ExitStatus | int:
    """Open FILE; WasmdbgError (unreadable, neither kind of file) propagates to the one-line handler."""
    from wasmdbg.cli.commands.run import DEBUG_HINT, SOURCE_HINT
    from wasmdbg.cli.hints import describe
    from wasmdbg.session.postmortem import open_postmortem
    from wasmdbg.session.session import SessionOptions
    from wasmdbg.symbols.symbolizer import SymbolizeOptions

    options = SessionOptions(
        symbolize=SymbolizeOptions(debug_file=args.debug_file, dwp=args.dwp, use_cache=not args.no_cache),
        source_roots=tuple(args.source_root),
        substitutions=tuple(args.substitute_path),
    )
    postmortem = open_postmortem(args.file, module=args.module, options=options)
    if args.format == "json":
        env.stdout.write(json.dumps(postmortem_json(postmortem)) + "\n")
        return ExitStatus.OK
    if not is_terminal(env.stdout) or not is_terminal(env.stdin):
        _print(postmortem, env)
        return ExitStatus.OK
    from wasmdbg.tui.postmortem_app import make_postmortem_app

    app = make_postmortem_app(postmortem, source_hint=SOURCE_HINT, describe=describe, debug_hint=DEBUG_HINT)
    app.run()
    return ExitStatus.OK


def postmortem_json(postmortem: PostMortem) -> dict[str, Any]:
    """`wasmdbg run --format json`'s object for the file's run, with a "postmortem" object added."""
    from wasmdbg.cli.hints import describe

    data = postmortem.report.to_json(describe)
    session = postmortem.session
    memory = postmortem.memory
    data["postmortem"] = {
        "kind": postmortem.kind,
        "file": postmortem.path,
        "module": session.path if session is not None else None,
        "notes": list(postmortem.notes),
        "globals": [
            {"index": g.index, "name": g.name, "type": g.type, "mutable": g.mutable, "value": g.value, "captured": g.captured}
            for g in postmortem.globals
        ],
        "memory": None if memory is None else {"size": memory.size, "captured_bytes": memory.captured_bytes},
    }
    return data


def _print(postmortem: PostMortem, env: Environment) -> None:
    from wasmdbg.cli.commands.run import SOURCE_HINT
    from wasmdbg.cli.hints import describe
    from wasmdbg.render.console import make_console
    from wasmdbg.render.postmortem import globals_table, notes_text
    from wasmdbg.render.run import RunView
    from wasmdbg.session.postmortem import COREDUMP

    console = make_console(env.stdout, width=env.width)
    if postmortem.notes:
        console.print(notes_text(postmortem.notes))
    console.print(RunView(postmortem.report, SOURCE_HINT, describe))
    if postmortem.kind == COREDUMP and postmortem.globals:
        console.print(globals_table(postmortem.globals))

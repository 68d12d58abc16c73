"""`wasmdbg info`: what a person needs to know about a module before debugging it."""

from __future__ import annotations

import argparse
import json

from wasmdbg.cli.environment import Environment
from wasmdbg.cli.status import ExitStatus

DESCRIPTION = """\
Show a module's size and sha256, its sections with offsets and sizes, imports, exports,
memories, function counts, and the debug information it carries (DWARF, name section,
build id, external debug file, source map, producers), with a one-line verdict on how far
symbolization will go: source lines, function names only, or indices only. A stripped module's
debug file, found as `symbolize` finds it (through external_debug_info, beside the module), counts.

The module's layout is read exactly and wasmtime validates it, function bodies included, so
a module wasmtime would refuse is still described, with the refusal marked in the report, and
exits with status 1 and the reason and offset on stderr. MODULE may be in the text format (.wat).
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `info` and its options."""
    parser = subparsers.add_parser(
        "info",
        help="describe a module: sections, imports, exports, memories, debug info",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("module", metavar="MODULE", help="path to a .wasm (or .wat) file")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default), json for scripts",
    )
    parser.add_argument(
        "--no-validate",
        action="store_true",
        help="skip wasmtime's validation (to look at a module it refuses); still exits 1 on a malformed layout",
    )
    parser.set_defaults(command=run)


def run(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Print the module's description; WasmdbgError propagates to the caller's one-line handler.

    A module wasmtime refuses is described first, then its refusal raised (one line, exit 1).
    """
    from wasmdbg.cli.hints import describe
    from wasmdbg.session.session import Session

    info = Session.open(args.module).info(validate=not args.no_validate)
    if args.format == "json":
        json.dump(info.to_json(describe), env.stdout, indent=2)
        env.stdout.write("\n")
    else:
        from wasmdbg.render.console import make_console
        from wasmdbg.render.module import ModuleView

        make_console(env.stdout, width=env.width).print(ModuleView(info, describe))
    refusal = info.refusal_error()
    if refusal is not None:
        raise refusal
    return ExitStatus.OK

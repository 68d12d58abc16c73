"""`wasmdbg info`: what a person needs to know about a module before debugging it."""

from __future__ import annotations

import argparse
import json

from wasmdbg.cli.environment import Environment
from wasmdbg.cli.status import ExitStatus
from wasmdbg.inspection.module_info import inspect_module

DESCRIPTION = """\
Show a module's size and sha256, its sections with offsets and sizes, imports, exports,
memories, function counts, and the debug information it carries (DWARF, name section,
build id, external debug file, source map, producers), with a one-line verdict on how far
symbolization will go: source lines, function names only, or indices only.

The module's layout is read exactly and wasmtime validates it, function bodies included, so
a module wasmtime would refuse is reported (exit status 1) with the reason and offset.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `info` and its options."""
    parser = subparsers.add_parser(
        "info",
        help="describe a module: sections, imports, exports, memories, debug info",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("module", metavar="MODULE", help="path to a .wasm file")
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
    """Print the module's description; WasmdbgError propagates to the caller's one-line handler."""
    info = inspect_module(args.module, validate=not args.no_validate)
    if args.format == "json":
        json.dump(info.to_json(), env.stdout, indent=2)
        env.stdout.write("\n")
        return ExitStatus.OK
    from wasmdbg.render.console import make_console
    from wasmdbg.render.module import ModuleView

    make_console(env.stdout, width=env.width).print(ModuleView(info))
    return ExitStatus.OK

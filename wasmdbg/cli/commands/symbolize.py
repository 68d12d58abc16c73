"""`wasmdbg symbolize`: module addresses to functions and source lines."""

from __future__ import annotations

import argparse
import json

from wasmdbg.cli.environment import Environment
from wasmdbg.cli.status import ExitStatus
from wasmdbg.errors import WasmdbgError
from wasmdbg.text import printable

DESCRIPTION = """\
Turn addresses into functions and source lines, inlined frames first, from the module's DWARF
(or a separate debug file), falling back to the name section, export names, and finally
<wasm function N>.

Addresses are module offsets by default, as wasmtime, wasmer and browsers print them
(0x1fc3 or 8131); --code-offsets takes offsets from the start of the code section's contents,
as DWARF tools use. An address outside the code section or not on an instruction boundary is
reported with a warning rather than silently matched.

A stripped module's debug file is found through its external_debug_info section when that
names a file beside the module; otherwise pass it with --debug-file. The DWARF index is built
once (in a child process, bounded in time and memory) and cached; --no-cache rebuilds it.

Formats: text for people; json, one object per line per address:
  {"address", "module_offset", "func_index", "frames": [{"function", "linkage_name", "file",
   "line", "column", "inlined", "source"}], "warnings"}
and llvm, which prints what llvm-symbolizer prints (function, file:line:column, blank line).
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `symbolize` and its options."""
    parser = subparsers.add_parser(
        "symbolize",
        help="map addresses to functions and source lines",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("module", metavar="MODULE", help="the .wasm file the addresses belong to")
    parser.add_argument("addresses", metavar="ADDR", nargs="+", help="0x-prefixed hex or decimal offsets")
    parser.add_argument("--format", choices=("text", "json", "llvm"), default="text", help="output format")
    parser.add_argument(
        "--code-offsets", action="store_true", help="addresses are relative to the code section's contents"
    )
    parser.add_argument("--debug-file", metavar="PATH", help="a wasm file holding the module's DWARF")
    parser.add_argument("--dwp", metavar="PATH", help="a DWARF package for split DWARF")
    parser.add_argument("--no-cache", action="store_true", help="rebuild the DWARF index instead of using the cache")
    parser.set_defaults(command=run)


def parse_address(text: str) -> int:
    """`0x1fc3` or `8131`; raises ValueError for anything else (negative, junk, empty)."""
    value = int(text[2:], 16) if text[:2].lower() == "0x" else int(text, 10)
    if value < 0 or not text.strip() or text.strip() != text or "_" in text:
        raise ValueError(text)
    return value


def run(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Symbolize each address; print in the chosen format."""
    from wasmdbg.symbolizer import SymbolizeOptions, Symbolizer

    offsets = []
    for text in args.addresses:
        try:
            offsets.append(parse_address(text))
        except ValueError:
            env.stderr.write(f"wasmdbg symbolize: error: {printable(text)!r} is not an address (0x… hex or decimal)\n")
            return ExitStatus.USAGE
    options = SymbolizeOptions(debug_file=args.debug_file, dwp=args.dwp, use_cache=not args.no_cache)
    symbolizer = Symbolizer.open(args.module, options)
    code = symbolizer.module.code_section
    if args.code_offsets:
        if code is None:
            raise WasmdbgError(f"{printable(args.module)} has no code section, so code offsets mean nothing")
        offsets = [offset + code.offset for offset in offsets]
    results = [symbolizer.symbolize(offset) for offset in offsets]

    if args.format == "json":
        for text, result in zip(args.addresses, results):
            record = {
                "address": text,
                "module_offset": result.module_offset,
                "func_index": result.func_index,
                "frames": [frame.to_json() for frame in result.frames],
                "warnings": [*symbolizer.notes, *result.warnings],
            }
            env.stdout.write(json.dumps(record) + "\n")
        return ExitStatus.OK

    for note in symbolizer.notes:
        env.stderr.write(f"wasmdbg: warning: {printable(note)}\n")
    if args.format == "llvm":
        from wasmdbg.render.symbols import llvm_lines

        for result in results:
            env.stdout.write("".join(line + "\n" for line in llvm_lines(result)) + "\n")
        return ExitStatus.OK
    from wasmdbg.render.console import make_console
    from wasmdbg.render.symbols import SymbolizedView

    console = make_console(env.stdout, width=env.width)
    for text, result in zip(args.addresses, results):
        console.print(SymbolizedView(text, result))
    return ExitStatus.OK

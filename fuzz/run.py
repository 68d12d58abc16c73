"""Run one fuzz target under atheris (libFuzzer): `python fuzz/run.py TARGET [CORPUS_DIR ...] [-flags]`.

wasmdbg's modules are instrumented for coverage as they are imported; the standard library and
the dependencies are not (pyelftools is isolated in a child process in real use, and is not what
is under test here). Every libFuzzer flag is passed through: see fuzz/README.md for long runs.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    import atheris

    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        raise SystemExit("usage: python fuzz/run.py TARGET [CORPUS_DIR ...] [libFuzzer flags]")
    name = sys.argv.pop(1)
    with atheris.instrument_imports(include=["wasmdbg", "fuzz"]):
        from fuzz.targets import TARGETS

        if name not in TARGETS:
            raise SystemExit(f"unknown target {name!r}: one of {', '.join(TARGETS)}")
        target = TARGETS[name]
        target(b"")  # import everything the target uses now, inside the instrumentation
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

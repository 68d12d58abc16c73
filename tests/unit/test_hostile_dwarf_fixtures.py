"""Self-checks of the hostile DWARF fixtures, and a record of what a naive pyelftools reader does with each.

The modules must be valid wasm with unchanged code (only their DWARF is hostile), the good module must
symbolize correctly with an independent tool (`wasm-tools addr2line`), and every case's effect on a naive
pyelftools walk is pinned: these are the facts wasmdbg's isolated index build has to survive.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.fixtures.hostile_dwarf import (
    CASES,
    CODE_SECTION_OFFSET,
    FUNCTIONS,
    HOSTILE_CASES,
    TRAP_LINE,
    TRAP_OFFSET,
    good_module,
    sleb,
    uleb,
)
from tests.helpers import ROOT, wasm_tools
from wasmdbg.runner.validate import validation_error
from wasmdbg.wasm.module import read_module

MODULES: dict[str, Callable[[], bytes]] = {"good": good_module, **HOSTILE_CASES}

STEPS = ("dies", "tree", "lines", "ranges", "names")
"""The parts of the naive walk, each run on a fresh DWARFInfo so one failure does not hide the next."""

STEP_BUDGET_S = 2.0
"""Wall-clock budget of one step. The good module's steps take milliseconds; a "hang" is a step that
would take minutes or forever (huge_attribute_list, the slowest finite one, needs about 70 s a step)."""

# Outcome of each step: "finished", "hang" (over budget), "recursion" (RecursionError), "memory"
# (MemoryError under the walk's 1 GiB address-space limit), "elftools:<name>" (one of pyelftools' own
# exceptions: ELFError and its subclasses, or DWARFError) or "foreign:<name>" (anything else: a caller
# catching only pyelftools' exceptions would crash). Steps not listed finish.
EXPECTED: dict[str, dict[str, str]] = {
    "good": {},
    # iter_DIE_children follows DW_AT_sibling back to the same DIE forever; the flat iter_DIEs ignores it.
    "self_sibling": {"tree": "hang"},
    # iter_DIE_children recurses once per level when there is no DW_AT_sibling; iter_DIEs is flat.
    "deep_nesting": {"tree": "recursion"},
    # The top DIE's children are complete, so only the flat walk reads past the section's end.
    "truncated_unit": {"dies": "elftools:ELFParseError", "ranges": "elftools:ELFParseError",
                       "names": "elftools:ELFParseError"},
    "truncated_die": {"dies": "elftools:ELFParseError", "tree": "elftools:ELFParseError",
                      "ranges": "elftools:ELFParseError", "names": "elftools:ELFParseError"},
    "unknown_abbreviation": {"dies": "foreign:KeyError", "tree": "foreign:KeyError", "ranges": "foreign:KeyError",
                             "names": "foreign:KeyError"},
    # Harmless to pyelftools: it starts the opcodes where its header parse ended, not at header_length.
    "huge_line_header": {},
    # Builds a list of 2**32-1 empty directories: under 1 GiB it ends in MemoryError after about 20 s.
    "huge_directory_count": {"lines": "hang"},
    "huge_block_length": {"dies": "elftools:ELFParseError", "tree": "elftools:ELFParseError",
                          "ranges": "elftools:ELFParseError", "names": "elftools:ELFParseError"},
    # Finite but quadratic: 10,000 attributes parsed for each of 5,000 one-byte DIEs.
    "huge_attribute_list": {"dies": "hang", "tree": "hang", "ranges": "hang", "names": "hang"},
    # Harmless to pyelftools: the name's value is None (test_string_offset_past_end_reads_as_none).
    "string_offset_past_end": {},
    # The DW_FORM_block4 fails first; the line program still decodes (header_length is ignored).
    "huge_counts": {"dies": "elftools:ELFParseError", "tree": "elftools:ELFParseError",
                    "ranges": "elftools:ELFParseError", "names": "elftools:ELFParseError"},
    # pyelftools resolves each reference fine; the naive "follow the origin until a name" loop never ends.
    "cyclic_abstract_origin": {"names": "hang"},
    "ranges_into_garbage": {"ranges": "elftools:ELFParseError"},
    "zero_line_range": {"lines": "foreign:ZeroDivisionError"},
    # Harmless to pyelftools, which keeps rows in program order; a reader that bisects must sort them.
    "backwards_lines": {},
    "bogus_unit_type": {step: "elftools:ELFParseError" for step in STEPS},
    "bad_address_size": {step: "foreign:AssertionError" for step in STEPS},
    "unknown_form": {"dies": "foreign:KeyError", "tree": "foreign:KeyError", "ranges": "foreign:KeyError",
                     "names": "foreign:KeyError"},
    "reference_out_of_unit": {"names": "elftools:DWARFError"},
    "missing_abbrev_section": {step: "foreign:AssertionError" for step in STEPS},
}

# The naive reader, run in a child process: the pyelftools example loops, plus the ranges and the
# abstract-origin chase a symbolizer adds. Each step gets an interval-timer budget, so one hanging step
# does not hide the others, and the process gets a 1 GiB address-space limit, so a runaway allocation
# becomes a MemoryError instead of swapping the machine.
_NAIVE_WALK = r"""
import io, json, resource, signal, sys, time
from elftools.common.exceptions import DWARFError, ELFError
from elftools.dwarf.dwarfinfo import DebugSectionDescriptor, DWARFInfo, DwarfConfig
from wasmdbg.wasm.module import read_module

path, budget_s = sys.argv[1], float(sys.argv[2])
data = open(path, "rb").read()
secs = {s.name: data[s.data_offset:s.end] for s in read_module(data).sections if s.is_custom}
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

def dwarfinfo():
    def d(name):
        b = secs.get(name)
        return None if b is None else DebugSectionDescriptor(io.BytesIO(b), name, None, len(b), 0)
    return DWARFInfo(DwarfConfig(little_endian=True, machine_arch="wasm", default_address_size=4),
        d(".debug_info"), d(".debug_aranges"), d(".debug_abbrev"), None, None, d(".debug_str"), d(".debug_loc"),
        d(".debug_ranges"), d(".debug_line"), None, None, d(".debug_addr"), d(".debug_str_offsets"),
        d(".debug_line_str"), d(".debug_loclists"), d(".debug_rnglists"), None, None, None)

def dies(di):
    for cu in di.iter_CUs():
        for die in cu.iter_DIEs():
            die.attributes

def tree(di):
    for cu in di.iter_CUs():
        stack = [cu.get_top_DIE()]
        while stack:
            stack.extend(stack.pop().iter_children())

def lines(di):
    for cu in di.iter_CUs():
        program = di.line_program_for_CU(cu)
        if program is not None:
            program.get_entries()

def ranges(di):
    range_lists = di.range_lists()
    for cu in di.iter_CUs():
        for die in cu.iter_DIEs():
            if "DW_AT_ranges" in die.attributes:
                range_lists.get_range_list_at_offset(die.attributes["DW_AT_ranges"].value, cu=cu)

def names(di):
    for cu in di.iter_CUs():
        for die in cu.iter_DIEs():
            if die.tag in ("DW_TAG_subprogram", "DW_TAG_inlined_subroutine"):
                while "DW_AT_name" not in die.attributes and "DW_AT_abstract_origin" in die.attributes:
                    die = die.get_DIE_from_attribute("DW_AT_abstract_origin")

class OverBudget(BaseException):
    pass

def over_budget(signum, frame):
    raise OverBudget

signal.signal(signal.SIGALRM, over_budget)
for step in (dies, tree, lines, ranges, names):
    started = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, budget_s)
    try:
        step(dwarfinfo())
        outcome = "finished"
    except OverBudget:
        outcome = "hang"
    except RecursionError:
        outcome = "recursion"
    except MemoryError:
        outcome = "memory"
    except (ELFError, DWARFError) as error:  # pyelftools' own; DWARFError is not an ELFError
        outcome = "elftools:" + type(error).__name__
    except Exception as error:
        outcome = "foreign:" + type(error).__name__
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    elapsed = time.perf_counter() - started
    print(json.dumps([step.__name__, outcome, round(elapsed, 3)]), flush=True)
"""


def _walk(directory: Path, name: str, data: bytes) -> dict[str, str]:
    """Run the naive walk on one module: step -> outcome."""
    path = directory / f"{name}.wasm"
    path.write_bytes(data)
    backstop_s = len(STEPS) * STEP_BUDGET_S + 30  # only if the in-process budget itself fails
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _NAIVE_WALK, str(path), str(STEP_BUDGET_S)],
            capture_output=True,
            text=True,
            timeout=backstop_s,
            cwd=ROOT,
        )
        stdout = proc.stdout
    except subprocess.TimeoutExpired as expired:
        # Steps that printed nothing were still running (or never started) when the process was killed.
        raw = expired.stdout or b""
        stdout = raw.decode() if isinstance(raw, bytes) else raw
    outcomes = {step: "hang" for step in STEPS}
    for line in stdout.splitlines():
        step, outcome, _elapsed = json.loads(line)
        outcomes[step] = outcome
    return outcomes


@pytest.fixture(scope="module")
def naive_outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Every module's naive-walk outcomes, run a few at a time: most of the wall time is budgets running out."""
    directory = tmp_path_factory.mktemp("hostile_dwarf")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(_walk, directory, name, make()) for name, make in MODULES.items()}
        return {name: future.result() for name, future in futures.items()}


# -- the encoder and the container ------------------------------------------------------------------


def test_leb128_matches_the_dwarf_specification_examples() -> None:
    # DWARF 4, figures 22 and 23.
    assert [uleb(n).hex() for n in (2, 127, 128, 129, 130, 12857)] == ["02", "7f", "8001", "8101", "8201", "b964"]
    assert [sleb(n).hex() for n in (2, -2, 127, -127, 128, -128, 129, -129)] == [
        "02", "7e", "ff00", "817f", "8001", "807f", "8101", "ff7e"
    ]


@pytest.mark.parametrize("name", MODULES)
def test_module_is_valid_wasm_with_unmoved_code_when_dwarf_is(name: str) -> None:
    data = MODULES[name]()
    module = read_module(data)
    assert validation_error(data) is None
    assert module.code_section is not None and module.code_section.data_offset == CODE_SECTION_OFFSET
    spans = [(b.offset - CODE_SECTION_OFFSET, b.end - CODE_SECTION_OFFSET) for b in module.bodies]
    assert spans == [(f.low_pc, f.high_pc) for f in FUNCTIONS]
    assert module.names is not None and dict(module.names.functions) == {f.index: f.name for f in FUNCTIONS}
    assert ".debug_info" in module.dwarf.sections
    assert module.sections[-1].name.startswith(".debug_")  # DWARF comes after everything else
    assert len(data) < 32_000


def test_good_module_carries_the_four_debug_sections_of_one_dwarf4_unit() -> None:
    dwarf = read_module(good_module()).dwarf
    assert (dwarf.sections, dwarf.versions, dwarf.unit_count) == (
        (".debug_abbrev", ".debug_info", ".debug_str", ".debug_line"), (4,), 1
    )


def test_good_module_symbolizes_every_instruction_with_wasm_tools() -> None:
    expected = {TRAP_OFFSET: f"divide /hostile/hostile.c:{TRAP_LINE}:0"}
    for function in FUNCTIONS:
        expected[function.low_pc] = f"{function.name} /hostile/hostile.c:{function.decl_line}:0"
        expected.update({at: f"{function.name} /hostile/hostile.c:{line}:0" for at, line in function.rows})
    printed = wasm_tools(
        "addr2line", "--code-section-relative", "-", *map(str, expected), input=good_module()
    ).splitlines()
    assert printed == [f"{at}: {frame}" for at, frame in expected.items()]


def test_every_case_is_described() -> None:
    assert set(EXPECTED) == set(MODULES)
    for name, case in CASES.items():
        module = case()
        assert module.name == name and module.description and module.data == HOSTILE_CASES[name]()


# -- what a naive pyelftools reader does with each case ---------------------------------------------


@pytest.mark.parametrize("name", MODULES)
def test_naive_pyelftools_walk_behaves_as_recorded_when_dwarf_is(
    name: str, naive_outcomes: dict[str, dict[str, str]]
) -> None:
    assert naive_outcomes[name] == {step: EXPECTED[name].get(step, "finished") for step in STEPS}


def test_string_offset_past_end_reads_as_none() -> None:
    # pyelftools does not raise here: it hands back None where a name (bytes) belongs, so `.decode()` fails later.
    script = (
        "import io, sys\n"
        "from elftools.dwarf.dwarfinfo import DebugSectionDescriptor, DWARFInfo, DwarfConfig\n"
        "from tests.fixtures.hostile_dwarf import string_offset_past_end\n"
        "from wasmdbg.wasm.module import read_module\n"
        "data = string_offset_past_end().data\n"
        "secs = {s.name: data[s.data_offset:s.end] for s in read_module(data).sections if s.is_custom}\n"
        "d = lambda n: DebugSectionDescriptor(io.BytesIO(secs[n]), n, None, len(secs[n]), 0) if n in secs else None\n"
        "di = DWARFInfo(DwarfConfig(True, 'wasm', 4), d('.debug_info'), None, d('.debug_abbrev'), None, None,\n"
        "    d('.debug_str'), None, None, d('.debug_line'), *[None] * 10)\n"
        "print([die.attributes['DW_AT_name'].value for cu in di.iter_CUs() for die in cu.iter_DIEs()\n"
        "       if die.tag == 'DW_TAG_subprogram'])\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.stdout.strip() == "[b'outer', b'divide', None]", proc.stderr

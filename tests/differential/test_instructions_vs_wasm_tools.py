"""The instruction decoder against wasm-tools: every instruction's offset, mnemonic and immediates.

`wasm-tools print --print-offsets` (wasmparser + wasmprinter, Bytecode Alliance) is the independent
reference. Each printed instruction line starts with `(;@hex ;)`, and the `)` that closes a `(func`
stands for the body's final `end`. Our instructions are rendered the way wasmprinter writes them (without
names: the `name` section is renamed in place first, which keeps every offset) and compared token by
token, floats by their bits. Inputs: one synthetic body holding every opcode in the tables, modules that
`wasm-tools smith` generates with every proposal the decoder reads, smith modules with random (often
malformed) bodies for accept/reject agreement, and the real DWARF modules of the reference corpus.
"""

from __future__ import annotations

import random
import re
import struct
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import CORPUS, smith_module, wasm_tools_path
from wasmdbg.errors import WasmFormatError
from wasmdbg.wasm import opcodes as K
from wasmdbg.wasm.instructions import Instruction, iter_instructions
from wasmdbg.wasm.module import read_module
from wasmdbg.wasm.opcodes import OPCODES, PREFIXED, Op
from wasmdbg.wasm.reader import Reader
from wasmdbg.wasm.sections import read_sections

pytestmark = pytest.mark.differential

SMITH_SEEDS = range(150)
SMITH_INPUT_SIZE = 30_000
SMITH_FLAGS = (
    # Proposals beyond tests.helpers.SMITH_FEATURES that the decoder reads.
    "--custom-descriptors-enabled", "true",
    "--shared-everything-threads-enabled", "true",
    "--max-memories", "4",  # multi-memory: memory indices in memargs and bulk-memory instructions
    # Bigger bodies: more instructions per module.
    "--min-funcs", "10",
    "--max-instructions", "2000",
)  # fmt: skip
INVALID_SEEDS = range(60)

# -- wasm-tools print ---------------------------------------------------------------------------------

_LINE = re.compile(r"^\(;@([0-9a-f]+)\s*;\)( *)(.*)$")
_ERROR_OFFSET = re.compile(r"\(at offset 0x([0-9a-f]+)\)")


@dataclass
class PrintedFunction:
    """One `(func` of `wasm-tools print --print-offsets`: its body's offset and instruction lines."""

    offset: int
    """Offset of the `(func` line: the body's local declarations, just after its size field."""
    lines: list[tuple[int, str]]
    """(offset, text) per instruction; the closing `)` becomes `end`."""

    @property
    def code_range(self) -> tuple[int, int]:
        """(first instruction, one past the final `end`), as wasm-tools located them."""
        return self.lines[0][0], self.lines[-1][0] + 1


def without_names(data: bytes) -> bytes:
    """The module with its `name` section renamed in place, so wasm-tools prints indices, not `$names`."""
    out = bytearray(data)
    for section in read_sections(data):
        if section.is_custom and section.name == "name":
            out[section.data_offset - 4 : section.data_offset] = b"xame"
    return bytes(out)


def run_print(data: bytes) -> tuple[list[PrintedFunction], str | None]:
    """The functions `wasm-tools print` printed, and its error message if it stopped early."""
    result = subprocess.run(
        [wasm_tools_path(), "print", "--print-offsets", "-"], input=data, capture_output=True, timeout=120
    )
    functions: list[PrintedFunction] = []
    current: PrintedFunction | None = None
    for line in result.stdout.decode(errors="replace").splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        offset, top_level, text = int(match.group(1), 16), len(match.group(2)) == 2, match.group(3)
        if current is None:
            if top_level and text.startswith("(func"):  # not a `(func` inside an `(import` group
                current = PrintedFunction(offset, [])
        elif top_level and text == ")":
            current.lines.append((offset, "end"))
            functions.append(current)
            current = None
        elif not text.startswith(("(local", "(@")):
            current.lines.append((offset, text))
    error = result.stderr.decode(errors="replace").strip() if result.returncode else None
    return functions, error


# -- rendering our instructions as wasmprinter does ----------------------------------------------------


def op_at(data: bytes, offset: int) -> Op:
    """The table entry of the instruction at `offset` (its mnemonic alone can be ambiguous)."""
    opcode = data[offset]
    if opcode in PREFIXED:
        return PREFIXED[opcode][Reader(data, offset + 1).u32()]
    return OPCODES[opcode]


def _block_type(block_type: str | int | None) -> list[str]:
    if block_type is None:
        return []
    if isinstance(block_type, int):
        return [f"(type {block_type})"]
    return [f"(result {block_type})"]


def _memarg(op: Op, align: int, offset: int, memory: int) -> list[str]:
    tokens = [str(memory)] if memory else []
    if offset:
        tokens.append(f"offset={offset}")
    if align != op.align:
        tokens.append(f"align={1 << align}")
    return tokens


def _handlers(handlers: tuple[tuple[int, int | None], ...]) -> list[str]:
    return [f"(on {tag} {'switch' if label is None else label})" for tag, label in handlers]


def render(ins: Instruction, op: Op) -> list[str]:
    """Our instruction as wasmprinter's tokens (floats stay bit patterns, see `printed_tokens`)."""
    imm, kind = ins.immediates, op.kind
    tokens = [ins.mnemonic]
    if kind in (K.NONE, K.FENCE):
        pass
    elif kind == K.BLOCK:
        tokens += _block_type(imm[0])
    elif kind == K.TRY_TABLE:
        tokens += _block_type(imm[0])
        for catch, tag, label in imm[1]:
            tokens.append(f"({catch} {label})" if tag is None else f"({catch} {tag} {label})")
    elif kind == K.BR_TABLE:
        tokens += [str(t) for t in imm[0]] + [str(imm[1])]
    elif kind == K.MEMORY:
        tokens += [str(imm[0])] if imm[0] else []
    elif kind in (K.CALL_INDIRECT,):
        tokens += ([str(imm[1])] if imm[1] else []) + [f"(type {imm[0]})"]
    elif kind in (K.MEMORY_INIT, K.TABLE_INIT):  # printed as `memory.init [memory] data`
        tokens += ([str(imm[1])] if imm[1] else []) + [str(imm[0])]
    elif kind in (K.MEMORY_COPY, K.TABLE_COPY):
        tokens += [str(imm[0]), str(imm[1])] if imm != (0, 0) else []
    elif kind == K.MEMARG:
        tokens += _memarg(op, *imm)
    elif kind == K.MEMARG_LANE:
        tokens += _memarg(op, *imm[:3]) + [str(imm[3])]
    elif kind == K.SHUFFLE:
        tokens += [str(lane) for lane in imm[0]]
    elif kind in (K.F32, K.F64):
        tokens.append(imm[0])  # an int: compared with the printed float's bits
    elif kind == K.V128:
        tokens += ["i32x4"] + [f"0x{(imm[0] >> (32 * i)) & 0xFFFFFFFF:08x}" for i in range(4)]
    elif kind == K.SELECT_T:
        tokens.append(f"(result {' '.join(imm[0])})" if imm[0] else "(result)")
    elif kind == K.RESUME:
        tokens += [str(imm[0])] + _handlers(imm[1])
    elif kind == K.RESUME_THROW:
        tokens += [str(imm[0]), str(imm[1])] + _handlers(imm[2])
    else:  # indices, labels, lanes, integers, types, orderings: printed in order
        tokens += [str(value) for value in imm]
    return tokens


def _float_bits(token: str, bits: int) -> int | None:
    """The bit pattern wasmprinter means by a float token (`0x1.8p+1`, `-nan:0x200000`, `inf`)."""
    mantissa_bits = 23 if bits == 32 else 52
    sign = (1 << (bits - 1)) if token.startswith("-") else 0
    text = token.lstrip("+-")
    exponent_ones = ((1 << (bits - 1 - mantissa_bits)) - 1) << mantissa_bits
    if text == "inf":
        return sign | exponent_ones
    if text.startswith("nan"):
        payload = int(text[4:], 16) if text.startswith("nan:") else 1 << (mantissa_bits - 1)
        return sign | exponent_ones | payload
    try:
        value = float.fromhex(text)
    except ValueError:
        return None
    packed = struct.pack("<f" if bits == 32 else "<d", -value if sign else value)
    return int.from_bytes(packed, "little")


def _groups(text: str) -> list[str]:
    """Top-level tokens: atoms and balanced parenthesized groups, whitespace normalized."""
    tokens: list[str] = []
    depth = 0
    current = ""
    for char in text:
        if depth == 0 and char.isspace():
            if current:
                tokens.append(current)
            current = ""
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        current += char
    if current:
        tokens.append(current)
    return [re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", re.sub(r"\s+", " ", t))) for t in tokens]


def printed_tokens(text: str, op: Op) -> list[object]:
    """wasm-tools' line as tokens: comments dropped, a block's expanded `(type N)` signature dropped."""
    text = re.sub(r"\(;.*?;\)", " ", text)
    text = re.sub(r";;.*$", "", text)
    tokens: list[object] = list(_groups(text))
    if op.kind in (K.BLOCK, K.TRY_TABLE) and len(tokens) > 1 and str(tokens[1]).startswith("(type "):
        # `block (type 3) (param i32) (result i64)`: the signature is spelled out from the type section.
        rest = [t for t in tokens[2:] if not str(t).startswith(("(param", "(result"))]
        tokens = tokens[:2] + rest
    if op.kind in (K.F32, K.F64) and len(tokens) == 2:
        bits = _float_bits(str(tokens[1]), 32 if op.kind == K.F32 else 64)
        tokens[1] = bits if bits is not None else tokens[1]
    return tokens


# -- comparing ---------------------------------------------------------------------------------------


def _describe(ins: Instruction) -> str:
    return f"@0x{ins.offset:x} {ins.mnemonic} {ins.immediates!r}"


def compare_body(data: bytes, code_range: tuple[int, int], printed: PrintedFunction, what: str) -> int:
    """Decode one body and compare it with wasm-tools' lines; fail with the first difference.

    Returns:
        The number of instructions compared.
    """
    __tracebackhide__ = True
    ours = list(iter_instructions(data, *code_range))
    for i, (ins, (offset, text)) in enumerate(zip(ours, printed.lines)):
        op = op_at(data, ins.offset)
        if (ins.offset, ins.mnemonic) != (offset, text.split(" ", 1)[0]) or render(ins, op) != printed_tokens(
            text, op
        ):
            context = "\n".join(
                f"    wasmdbg {_describe(a):60s} | wasm-tools @0x{o:x} {t}"
                for a, (o, t) in list(zip(ours, printed.lines))[max(0, i - 3) : i]
            )
            pytest.fail(
                f"{what}: body at 0x{printed.offset:x}, first difference at instruction #{i}:\n"
                f"{context}\n"
                f"  > wasmdbg    {_describe(ins)} -> {render(ins, op)}\n"
                f"  > wasm-tools @0x{offset:x} {text} -> {printed_tokens(text, op)}"
            )
    if len(ours) != len(printed.lines):
        pytest.fail(
            f"{what}: body at 0x{printed.offset:x}: wasmdbg decoded {len(ours)} instructions, "
            f"wasm-tools printed {len(printed.lines)}"
        )
    return len(ours)


def compare_module(data: bytes, what: str) -> tuple[int, int]:
    """Compare every body of a module; returns (functions, instructions) compared."""
    __tracebackhide__ = True
    data = without_names(data)
    printed, error = run_print(data)
    assert error is None, f"{what}: wasm-tools print failed: {error}"
    ranges = [function.code_range for function in printed]
    try:
        module = read_module(data)
    except WasmFormatError:
        module = None  # e.g. types the module reader does not know yet: wasm-tools located the bodies
    if module is not None:
        assert [(b.locals_offset, b.code_offset, b.end) for b in module.bodies] == [
            (f.offset, *f.code_range) for f in printed
        ], f"{what}: read_module and wasm-tools disagree on where the bodies are"
    count = sum(compare_body(data, code_range, f, what) for code_range, f in zip(ranges, printed))
    return len(printed), count


# -- every opcode once -------------------------------------------------------------------------------


def _leb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _sleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        if (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def _example_immediates(op: Op, rng: random.Random) -> bytes:
    """Well-formed (not necessarily valid) immediates of an op's kind, with varied values."""
    kind = op.kind

    def index() -> bytes:
        return _leb(rng.choice((0, 1, 5, 127, 128, 300, 70000)))

    def heap_type() -> bytes:
        return rng.choice((b"\x70", b"\x6e", b"\x71", b"\x65\x6b", b"\x62\x03", _leb(2), _leb(200)))

    if kind == K.NONE:
        return b""
    if kind in (K.LABEL, K.FUNC, K.LOCAL, K.GLOBAL, K.TABLE, K.MEMORY, K.TYPE, K.TAG, K.DATA, K.ELEM):
        return index()
    if kind in (K.CALL_INDIRECT, K.FIELD, K.ARRAY_FIXED, K.ARRAY_DATA, K.ARRAY_ELEM, K.ARRAY_COPY):
        return index() + index()
    if kind in (K.MEMORY_INIT, K.TABLE_INIT, K.MEMORY_COPY, K.TABLE_COPY, K.CONT_BIND, K.SWITCH):
        return index() + index()
    if kind in (K.MEMARG, K.MEMARG_LANE):
        align = rng.choice((0, op.align or 0, 3))
        memarg = rng.choice(
            (bytes([align]) + _leb(0), bytes([align]) + _leb(77), bytes([align | 0x40]) + _leb(2) + _leb(1 << 33))
        )
        return memarg + (bytes([rng.randrange(16)]) if kind == K.MEMARG_LANE else b"")
    if kind == K.LANE:
        return bytes([rng.randrange(16)])
    if kind == K.SHUFFLE:
        return bytes(rng.randrange(32) for _ in range(16))
    if kind == K.I32:
        return _sleb(rng.choice((0, -1, 63, 64, -65, 2**31 - 1, -(2**31))))
    if kind == K.I64:
        return _sleb(rng.choice((0, -1, 2**40, -(2**63), 2**63 - 1)))
    if kind == K.F32:
        return struct.pack("<f", rng.choice((0.0, -1.5, 3.25e-39, float("inf")))) if rng.random() < 0.8 else (
            b"\x01\x00\xc0\x7f"  # a NaN with a payload
        )
    if kind == K.F64:
        return struct.pack("<d", rng.choice((0.0, -2.75, 1e300, float("-inf"))))
    if kind == K.V128:
        return rng.randbytes(16)
    if kind == K.SELECT_T:
        return b"\x02\x7f\x63\x6e"
    if kind == K.HEAP_TYPE:
        return heap_type()
    if kind in (K.REF_NONNULL, K.REF_NULLABLE):
        return heap_type()
    if kind == K.BR_ON_CAST:
        return bytes([rng.randrange(4)]) + _leb(1) + heap_type() + heap_type()
    if kind == K.FENCE:
        return b"\x00"
    if kind == K.BR_TABLE:
        return b"\x03" + index() + _leb(0) + index() + index()
    if kind in (K.ORDERED_GLOBAL, K.ORDERED_TABLE, K.ORDERED_TYPE):
        return bytes([rng.randrange(2)]) + index()
    if kind == K.ORDERED_FIELD:
        return bytes([rng.randrange(2)]) + index() + index()
    if kind == K.RESUME:
        return index() + b"\x02\x00\x01\x02\x01\x03"
    if kind == K.RESUME_THROW:
        return index() + index() + b"\x01\x00\x04\x00"
    raise AssertionError(f"no example for {kind}")


def every_opcode_body(seed: int) -> bytes:
    """A body (no locals) using every opcode of the tables once, block structure kept well-formed."""
    rng = random.Random(seed)
    body = bytearray(b"\x00")  # no local declarations
    for opcode, op in OPCODES.items():
        if op.mnemonic in ("else", "end", "catch", "catch_all", "delegate"):
            continue  # emitted inside their blocks below
        code = bytes([opcode])
        if op.mnemonic in ("block", "loop"):
            body += code + rng.choice((b"\x40", b"\x7f", b"\x63\x6e", _leb(0))) + b"\x01\x0b"
        elif op.mnemonic == "if":
            body += code + b"\x7e" + b"\x01\x05\x01\x0b"  # if (result i64) nop else nop end
        elif op.mnemonic == "try":
            body += code + b"\x40\x01\x07" + _leb(3) + b"\x19\x0b"  # try nop catch 3 catch_all end
            body += code + b"\x7d\x18" + _leb(2)  # try (result f32) delegate 2
        elif op.mnemonic == "try_table":
            catches = b"\x04" + b"\x00\x01\x00" + b"\x01\x02\x01" + b"\x02\x00" + b"\x03\x02"
            body += code + b"\x40" + catches + b"\x0b"
        else:
            body += code + _example_immediates(op, rng)
    for prefix, table in PREFIXED.items():
        for sub, op in table.items():
            body += bytes([prefix]) + _leb(sub) + _example_immediates(op, rng)
    return bytes(body + b"\x0b")


def module_with_body(body: bytes) -> bytes:
    """A module with one function type `(func)` and one function whose body is `body`."""

    def section(section_id: int, payload: bytes) -> bytes:
        return bytes([section_id]) + _leb(len(payload)) + payload

    code = section(10, b"\x01" + _leb(len(body)) + body)
    return b"\0asm\x01\0\0\0" + section(1, b"\x01\x60\x00\x00") + section(3, b"\x01\x00") + code


@pytest.mark.parametrize("seed", range(8))
def test_every_opcode_matches_wasm_tools(seed: int) -> None:
    data = module_with_body(every_opcode_body(seed))
    functions, instructions = compare_module(data, f"every-opcode body (seed {seed})")
    assert functions == 1
    assert instructions > sum(len(table) for table in PREFIXED.values()) + len(OPCODES)


# -- generated modules -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SMITH_SEEDS)
def test_smith_module_matches_wasm_tools(seed: int) -> None:
    data = smith_module(seed, SMITH_INPUT_SIZE, *SMITH_FLAGS)
    compare_module(data, f"smith seed {seed}")


def _first_error(data: bytes) -> WasmFormatError | None:
    try:
        module = read_module(data)
        for body in module.bodies:
            for _ in iter_instructions(data, body.code_offset, body.end):
                pass
    except WasmFormatError as error:
        return error
    return None


def _body_containing(data: bytes, offset: int) -> int | None:
    """Index of the code-section entry (size field included) holding `offset`, if any."""
    code = next((s for s in read_sections(data) if s.id == 10), None)
    if code is None:
        return None
    r = Reader(data, code.offset, code.end)
    for i in range(r.u32()):
        start = r.pos
        r.skip(r.u32())
        if start <= offset < r.pos:
            return i
    return None


@pytest.mark.parametrize("seed", INVALID_SEEDS)
def test_random_bodies_are_rejected_like_wasm_tools(seed: int) -> None:
    """smith with raw random bytes as bodies: we reject exactly the modules wasm-tools rejects, in the same body."""
    data = smith_module(seed, SMITH_INPUT_SIZE, "--min-funcs", "10", "--allow-invalid-funcs", "true")
    printed, their_error = run_print(without_names(data))
    ours = _first_error(data)
    if their_error is None:
        assert ours is None, f"wasm-tools printed the module, wasmdbg rejected it: {ours}"
        compare_module(data, f"random bodies, seed {seed}")
        return
    assert ours is not None, f"wasm-tools rejected the module ({their_error}), wasmdbg read it all"
    match = _ERROR_OFFSET.search(their_error)
    assert match, their_error
    theirs_at = int(match.group(1), 16)
    assert _body_containing(data, ours.offset) == _body_containing(data, theirs_at), (
        f"different bodies rejected: wasmdbg {ours}; wasm-tools {their_error}"
    )


# -- real modules ------------------------------------------------------------------------------------


def _corpus_modules() -> Iterator[Path]:
    yield from sorted((CORPUS / "dwarf-binaryen").glob("*.wasm"))


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.exists(), reason="../shared/corpus is absent")
@pytest.mark.parametrize("path", list(_corpus_modules()), ids=lambda p: p.name)
def test_corpus_module_matches_wasm_tools(path: Path) -> None:
    functions, instructions = compare_module(path.read_bytes(), path.name)
    assert functions > 0 and instructions > 0

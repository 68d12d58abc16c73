"""Coredump code offsets (function-relative) <-> module offsets (what runtimes print, what the symbolizer takes).

A coredump frame's `codeoffset` counts bytes from the start of the function's body as wasmparser
delimits it: the first byte after the body's size LEB128, i.e. the local declarations' count
(`FunctionBody.locals_offset` here; `wasm-tools print --print-offsets` puts the same offset on each
`(func` line). It is neither relative to the size field nor to the code section.

That is what wasmtime writes. In wasmtime (read at commit e6b33de5, 49.0.0-dev):
- crates/wasmtime/src/runtime/coredump.rs, `WasmCoreDump::_serialize`, writes `frame.func_offset()`
  (0 when unknown) as `codeoffset`;
- crates/wasmtime/src/runtime/trap.rs, `FrameInfo::func_offset`, returns
  `instr.file_offset() - func_start.file_offset()`, where `instr` is the module offset of the frame's
  instruction (`FrameInfo::module_offset`) and `func_start` comes from `func_start_srcloc`;
- crates/wasmtime/src/compile.rs (where `start_srcloc` is made) and `set_address_map` in
  crates/cranelift/src/compiler.rs set that start to `body.get_binary_reader().original_position()`;
- wasmparser's `FunctionBody::from_reader` (crates/wasmparser/src/readers/core/code.rs) builds the body
  from `read_reader()`, which reads the size LEB128 and starts the body's reader just after it.
For callers' frames the instruction is the call itself: `WasmBacktrace::from_captured` (trap.rs) looks up
`pc - 1` for every frame but the trapping one, so no return-address adjustment is needed here.
A dump written by the wasmtime 49.0.3 CLI confirms it on functions whose size LEB128 takes two bytes
(tests/fixtures/coredump/).
"""

from __future__ import annotations

from wasmdbg.addresses import ModuleOffset
from wasmdbg.wasm.module import WasmModule


def module_offset(module: WasmModule, func_index: int, code_offset: int) -> ModuleOffset | None:
    """The module offset of a coredump frame's position.

    Args:
        module: the module the dump's frame ran in.
        func_index: the frame's function index (imported functions first).
        code_offset: the frame's `codeoffset`, relative to the body's first byte after its size.

    Returns:
        The module offset, or None when the function is imported or out of range, or the offset
        lies outside its body.
    """
    body = module.body(func_index)
    if body is None or code_offset < 0:
        return None
    offset = body.locals_offset + code_offset
    return ModuleOffset(offset) if offset < body.end else None


def code_offset(module: WasmModule, func_index: int, module_offset: int) -> int | None:
    """The coredump `codeoffset` of a module offset inside a function's body.

    Args:
        module: the module.
        func_index: the function the offset lies in (imported functions first).
        module_offset: an offset from the start of the module file, as runtimes print it.

    Returns:
        The offset relative to the body's first byte after its size, or None when the function is
        imported or out of range, or the offset lies outside its body.
    """
    body = module.body(func_index)
    if body is None or not body.locals_offset <= module_offset < body.end:
        return None
    return module_offset - body.locals_offset

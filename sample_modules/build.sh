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
rm -f "$OUT"/*.wasm
cd "$OUT"

# ---------------------------------------------------------------- helpers
# c_module LANG SAMPLE OPT [extra link flags...]  ->  build/SAMPLE.OPT.wasm
c_module() {
    local lang="$1" sample="$2" opt="$3"
    shift 3
    local src compiler extra=() link=()
    case "$lang" in
        c) src="../c/$sample.c"; compiler="$CC"; extra=(-std=gnu11) ;;
        # -no-demangle: keep Itanium-mangled names in the name section (wasm-ld
        # demangles them by default), so a debugger has something to demangle.
        # (Spelled with one dash: clang's driver swallows -Wl,--no-demangle
        # and does not pass it on to wasm-ld.)
        cpp) src="../cpp/$sample.cpp"; compiler="$CXX"; extra=(-std=c++17 -fno-exceptions -fno-rtti)
             link=(-Wl,-no-demangle) ;;
        *) echo "bad language $lang" >&2; return 1 ;;
    esac
    local obj="$TMP/$sample.$opt.o"
    "$compiler" "${WASI_FLAGS[@]}" "-$opt" "${DEBUG_FLAGS[@]}" "${extra[@]}" -Wall -c "$src" -o "$obj"
    # No -O flag at link time: with one, clang would run any wasm-opt on PATH.
    "$compiler" "${WASI_FLAGS[@]}" "${extra[@]}" "$obj" "${link[@]}" "$@" -o "$sample.$opt.wasm"
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

# ---------------------------------------------------------------- other C samples
for opt in O0 O2; do
    for sample in spin leak hello exitcode readfile; do
        c_module c "$sample" "$opt"
    done
done

# ---------------------------------------------------------------- WAT samples
for src in ../wat/*.wat; do
    name="$(basename "$src" .wat)"
    "$WAT2WASM" --debug-names --enable-multi-memory "$src" -o "$name.wasm"
done

# ---------------------------------------------------------------- checks
# No path of this checkout may leak into a module.
if grep -l -a -F -e "$(dirname "$HERE")/" -e "$TMP" -- *.wasm; then
    echo "build.sh: the modules above contain a build-machine path" >&2
    exit 1
fi

chmod 0644 -- *.wasm
echo "build.sh: built $(ls -1 -- *.wasm | wc -l) modules in $OUT"

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

# ---------------------------------------------------------------- checks
# No path of this checkout may leak into a module or split-DWARF file.
if grep -l -a -F -e "$(dirname "$HERE")/" -e "$TMP" -- *.wasm *.dwo *.dwp; then
    echo "build.sh: the files above contain a build-machine path" >&2
    exit 1
fi

chmod 0644 -- *.wasm *.dwo *.dwp
echo "build.sh: built $(ls -1 -- *.wasm | wc -l) modules (+ $(ls -1 -- *.dwo *.dwp | wc -l) split-DWARF files) in $OUT"

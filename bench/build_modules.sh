#!/bin/sh
# Build the benchmark guests into bench/build/ (gitignored):
#   sqlbench.wasm  SQLite 3.53.0 (amalgamation from npm better-sqlite3@12.9.0) + bench/modules/sqlbench.c, -O1 -g
#   compute.wasm   bench/modules/compute.c, -O2 -g (compute-bound, no calls in the hot loop)
#   flood.wasm     bench/modules/flood.c, -O2 -g (prints N lines, then traps)
#   calls.wasm     bench/modules/calls.c, -O1 -g (a call in the hot loop; breakpoints' cost)
# Needs Debian's clang, lld, wasi-libc and libclang-rt-14-dev-wasm32, and npm (for `npm pack`).
# Compile and link are separate steps on purpose: a one-step optimizing clang build runs wasm-opt
# when it is on PATH, which rewrites the DWARF. A step whose output is newer than its inputs is skipped.
# Outputs are written under a temporary name and renamed, so a reader never sees a half-written module.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
MODULES="$HERE/modules"
BUILD="$HERE/build"
SQLITE="$BUILD/sqlite-3.53.0"
PACKAGE="better-sqlite3@12.9.0"
INTEGRITY="sha512-wqUv4Gm3toFpHDQmaKD4QhZm3g1DjUBI0yzS4UBl6lElUmXFYdTQmmEDpAFa5o8FiFiymURypEnfVHzILKaxqQ=="
CLANG=${CLANG:-clang}
TARGET="--target=wasm32-wasi --sysroot=/usr"
DEFINES="-D_WASI_EMULATED_MMAN -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_GETPID"
# Paths in the DWARF name /sqlite and /bench, never this checkout or a temp dir.
PREFIX_MAP="-fdebug-prefix-map=$SQLITE=/sqlite -fdebug-prefix-map=$MODULES=/bench -fdebug-prefix-map=$BUILD=/build"
SQLITE_FLAGS="-DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_WAL -DSQLITE_OMIT_SHARED_CACHE -DSQLITE_OMIT_RANDOMNESS"
LIBS="-lwasi-emulated-mman -lwasi-emulated-signal -lwasi-emulated-process-clocks -lwasi-emulated-getpid"

mkdir -p "$BUILD"

# up_to_date OUTPUT INPUT...: true when OUTPUT exists and is newer than every INPUT.
up_to_date() {
    out=$1; shift
    [ -e "$out" ] || return 1
    for input in "$@"; do
        [ "$out" -nt "$input" ] || return 1
    done
    return 0
}

# compile OPT SOURCE OBJECT [EXTRA...]: one translation unit, run from its own directory.
compile() {
    opt=$1 source=$2 object=$3; shift 3
    (cd "$(dirname "$source")" && $CLANG $TARGET -g "$opt" $DEFINES $PREFIX_MAP "$@" -c "$source" -o "$object.tmp")
    mv "$object.tmp" "$object"
}

# link OUTPUT OBJECT...
link() {
    out=$1; shift
    $CLANG $TARGET "$@" $LIBS -o "$out.tmp.wasm"
    mv "$out.tmp.wasm" "$out"
    echo "built $out ($(wc -c < "$out") bytes)"
}

fetch_sqlite() {
    if [ -e "$SQLITE/sqlite3.c" ] && [ -e "$SQLITE/sqlite3.h" ] && [ -e "$SQLITE/sqlite3ext.h" ]; then
        return 0
    fi
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent "$PACKAGE" > /dev/null)
    tarball=$(ls "$tmp"/*.tgz)
    actual="sha512-$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$tarball")"
    if [ "$actual" != "$INTEGRITY" ]; then
        echo "build_modules.sh: $PACKAGE integrity mismatch: got $actual" >&2
        exit 1
    fi
    tar -xzf "$tarball" -C "$tmp" package/deps/sqlite3/sqlite3.c package/deps/sqlite3/sqlite3.h package/deps/sqlite3/sqlite3ext.h
    mkdir -p "$SQLITE.tmp"
    mv "$tmp"/package/deps/sqlite3/sqlite3.c "$tmp"/package/deps/sqlite3/sqlite3.h "$tmp"/package/deps/sqlite3/sqlite3ext.h "$SQLITE.tmp/"
    rm -rf "$SQLITE"
    mv "$SQLITE.tmp" "$SQLITE"
    rm -rf "$tmp"
    trap - EXIT
    echo "fetched SQLite from $PACKAGE ($INTEGRITY)"
}

# sqlbench: SQLite + the driver, -O1.
if ! up_to_date "$BUILD/sqlbench.wasm" "$MODULES/sqlbench.c" "$0"; then
    fetch_sqlite
    if ! up_to_date "$BUILD/sqlite3.o" "$SQLITE/sqlite3.c" "$0"; then
        compile -O1 "$SQLITE/sqlite3.c" "$BUILD/sqlite3.o" $SQLITE_FLAGS
    fi
    compile -O1 "$MODULES/sqlbench.c" "$BUILD/sqlbench.o" $SQLITE_FLAGS -I"$SQLITE"
    link "$BUILD/sqlbench.wasm" "$BUILD/sqlbench.o" "$BUILD/sqlite3.o"
fi

# compute and flood: single C files, -O2; calls at -O1 (its calls must stay calls).
for name in compute flood calls; do
    level=-O2
    [ "$name" = calls ] && level=-O1
    if ! up_to_date "$BUILD/$name.wasm" "$MODULES/$name.c" "$0"; then
        compile $level "$MODULES/$name.c" "$BUILD/$name.o"
        link "$BUILD/$name.wasm" "$BUILD/$name.o"
    fi
done

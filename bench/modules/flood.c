/* wasmdbg benchmark guest: floods stdout, then traps.
 *   flood [N]   prints N numbered lines (default 200000) as fast as it can, then hits `unreachable`
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long lines = argc >= 2 ? atol(argv[1]) : 200000;
    for (long i = 0; i < lines; i++) printf("line %ld of %ld: the quick brown fox jumps over the lazy dog\n", i, lines);
    fflush(stdout);
    __builtin_trap();
}

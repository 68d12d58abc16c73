/* abort: a failed consistency check calls abort(), which wasi-libc
 * implements as the wasm `unreachable` instruction.
 *
 * main -> validate_config -> check_range -> abort().
 */
#include <stdio.h>
#include <stdlib.h>

static volatile int g_limit = 10;

__attribute__((noinline)) void check_range(const char *what, int value, int limit) {
    if (value > limit) {
        fprintf(stderr, "check_range: %s = %d exceeds limit %d, aborting\n", what, value, limit);
        abort();
    }
}

__attribute__((noinline)) int validate_config(int workers) {
    check_range("workers", workers, g_limit);
    return workers;
}

int main(int argc, char **argv) {
    (void)argv;
    int workers = 41 + argc; /* 42 without extra arguments */
    printf("validating config with %d workers\n", workers);
    fflush(stdout);
    return validate_config(workers) == 0;
}

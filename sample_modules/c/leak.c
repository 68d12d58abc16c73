/* leak: allocates 1 MiB every 100 ms for about 10 s and never frees it, so
 * linear memory grows steadily.  Prints progress.  If malloc fails it reports
 * on stderr and aborts; otherwise it exits 0 after 100 allocations.
 * The optional argument overrides the number of allocations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK (1024 * 1024)

static void *volatile g_last;

__attribute__((noinline)) void *leak_chunk(int i) {
    void *p = malloc(CHUNK);
    if (p == NULL) {
        fprintf(stderr, "leak: malloc failed after %d MiB\n", i);
        abort();
    }
    memset(p, i & 0xff, CHUNK);
    g_last = p;
    return p;
}

int main(int argc, char **argv) {
    int rounds = 100;
    if (argc > 1)
        rounds = atoi(argv[1]);
    struct timespec delay = {0, 100 * 1000 * 1000};
    for (int i = 1; i <= rounds; i++) {
        leak_chunk(i);
        printf("leaked %d MiB\n", i);
        fflush(stdout);
        nanosleep(&delay, NULL);
    }
    printf("done, leaked %d MiB\n", rounds);
    return 0;
}

/* spin: never terminates.  spin_forever() is a call-free infinite loop, for
 * fuel and epoch/timeout interruption tests.
 */
#include <stdio.h>

static volatile unsigned long g_counter;

__attribute__((noinline)) void spin_forever(unsigned long step) {
    for (;;) {
        g_counter += step;
    }
}

int main(int argc, char **argv) {
    (void)argv;
    printf("spinning forever\n");
    fflush(stdout);
    spin_forever((unsigned long)argc);
    return 0;
}

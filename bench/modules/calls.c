/* wasmdbg benchmark guest: a call in the hot loop, and two functions reached once.
 *   calls [N]   N million calls of step() (default 20), then finish(); step() calls rare() once
 * A breakpoint in finish() costs the hot loop nothing (step() cannot reach finish(), so its call
 * site is not wrapped); one in rare() wraps main's call of step(): two host calls per iteration.
 */
#include <stdio.h>
#include <stdlib.h>

static volatile unsigned sink;

__attribute__((noinline)) void rare(unsigned v) {
    sink = v;
}

__attribute__((noinline)) unsigned step(unsigned i, unsigned n) {
    unsigned v = (i * 2654435761u) >> 7;
    if (i == n - 1)
        rare(v);
    return v;
}

__attribute__((noinline)) void finish(unsigned acc) {
    printf("%u\n", acc);
}

int main(int argc, char **argv) {
    unsigned n = (unsigned)(argc >= 2 ? atol(argv[1]) : 20) * 1000000u;
    unsigned acc = 0;
    for (unsigned i = 0; i < n; i++)
        acc += step(i, n);
    finish(acc);
    return 0;
}

/* stackoverflow: unbounded recursion exhausts the wasm (native) call stack.
 *
 * main -> start_walk -> walk_tree -> walk_tree -> ...
 * The module is linked with a large shadow stack (-z stack-size) so that the
 * engine's call-stack limit is hit first (trap STACK_OVERFLOW) rather than
 * the C shadow stack pointer running off the bottom of linear memory.
 * The volatile store after the recursive call keeps it from being turned
 * into a loop.
 */
#include <stdio.h>

static volatile int g_sink;
static volatile int g_stop = -1;

__attribute__((noinline)) int walk_tree(int depth) {
    if (depth == g_stop)
        return 0;
    int below = walk_tree(depth + 1);
    g_sink = below;
    return below + 1;
}

__attribute__((noinline)) int start_walk(int root) {
    return walk_tree(root);
}

int main(int argc, char **argv) {
    (void)argv;
    printf("walking a tree with no leaves\n");
    fflush(stdout);
    int n = start_walk(argc);
    printf("unreachable: depth %d\n", n);
    return 0;
}

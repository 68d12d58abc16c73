/* badcall: an indirect call through a function pointer cast to the wrong
 * type.  The pointer is loaded from a volatile table, so the call is a real
 * `call_indirect` whose expected type (i32) -> i32 does not match the target
 * (i32, i32) -> i32, and wasmtime traps with BAD_SIGNATURE.
 */
#include <stdio.h>

typedef int (*unary_fn)(int);

__attribute__((noinline)) static int add_pair(int a, int b) {
    return a + b;
}

__attribute__((noinline)) static int negate(int a) {
    return -a;
}

/* Handlers table; entry 1 is deliberately the wrong type. */
static void *volatile g_handlers[2] = {(void *)negate, (void *)add_pair};

__attribute__((noinline)) int dispatch(int slot, int arg) {
    unary_fn fn = (unary_fn)g_handlers[slot];
    return fn(arg);
}

int main(int argc, char **argv) {
    (void)argv;
    printf("handler 0 -> %d\n", dispatch(0, 5));
    fflush(stdout);
    printf("handler %d -> %d\n", argc, dispatch(argc, 5)); /* slot 1: wrong signature */
    return 0;
}

/* hello: prints to stdout and stderr and exits 0. */
#include <stdio.h>

int main(void) {
    printf("Hello from wasmdbg sample\n");
    printf("line 2 on stdout\n");
    fprintf(stderr, "a note on stderr\n");
    printf("goodbye\n");
    return 0;
}

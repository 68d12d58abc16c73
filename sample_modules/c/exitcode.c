/* exitcode: prints a line and exits with status 3. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    printf("exiting with code 3\n");
    fflush(stdout);
    exit(3);
}

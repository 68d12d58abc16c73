/* readfile: prints the file named by argv[1] (a path inside a preopened
 * directory, e.g. /data/input.txt).  On failure prints the errno message to
 * stderr and exits 1.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: readfile PATH\n");
        return 1;
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        fprintf(stderr, "readfile: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    char buf[256];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stdout);
    if (ferror(f)) {
        fprintf(stderr, "readfile: %s: %s\n", argv[1], strerror(errno));
        fclose(f);
        return 1;
    }
    fclose(f);
    return 0;
}

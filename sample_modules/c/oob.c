/* oob: a store through a wild pointer far beyond linear memory.
 *
 * main -> fill_record -> store_field.  The pointer is computed from argc
 * (0x7ffffff0 when run without extra arguments), which is far past the end of
 * linear memory, so wasmtime traps with MEMORY_OUT_OF_BOUNDS.
 */
#include <stdint.h>
#include <stdio.h>

struct record {
    int id;
    int value;
};

__attribute__((noinline)) void store_field(int *slot, int value) {
    *slot = value;
}

__attribute__((noinline)) void fill_record(struct record *rec, int id) {
    store_field(&rec->id, id);
    store_field(&rec->value, id * 2);
}

int main(int argc, char **argv) {
    (void)argv;
    uintptr_t addr = (uintptr_t)0x7ffffff0u + (uintptr_t)(argc - 1) * 16u;
    struct record *rec = (struct record *)addr;
    printf("writing record at %#lx\n", (unsigned long)addr);
    fflush(stdout);
    fill_record(rec, 7);
    printf("unreachable: wrote %d\n", rec->value);
    return 0;
}

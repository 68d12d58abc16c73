/* divzero: integer division by zero a few calls deep.
 *
 * main -> average_per_bucket -> compute_ratio -> quotient (static inline).
 * The divisor comes from argc and a volatile global, so the compiler cannot
 * fold the division away.  At -O2, quotient() is inlined into
 * compute_ratio(), so the trapping i32.div_s sits inside an inlined frame.
 */
#include <stdio.h>

static volatile int g_bias = 0;

static inline int quotient(int total, int count) {
    return total / count;
}

__attribute__((noinline)) int compute_ratio(int total, int count) {
    int q = quotient(total, count);
    return q + 1;
}

__attribute__((noinline)) int average_per_bucket(int items, int buckets) {
    int r = compute_ratio(items * 10, buckets + g_bias);
    printf("ratio = %d\n", r);
    return r;
}

int main(int argc, char **argv) {
    (void)argv;
    int buckets = argc - 1; /* 0 when run without extra arguments */
    printf("dividing 42 items into %d buckets\n", buckets);
    fflush(stdout);
    int r = average_per_bucket(42, buckets);
    return r > 0 ? 0 : 2;
}

/* wasmdbg benchmark guest: compute-bound, no calls in the hot loop.
 *   compute [N]   N million rounds of an integer hash/LCG mix (default 400), prints the result
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    uint64_t rounds = (uint64_t)(argc >= 2 ? atol(argv[1]) : 400) * 1000000u;
    uint64_t x = 0x9e3779b97f4a7c15u, acc = 0;
    for (uint64_t i = 0; i < rounds; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        uint64_t h = x ^ (x >> 29);
        h *= 0xbf58476d1ce4e5b9u;
        acc += h ^ (h >> 32);
    }
    printf("%llu\n", (unsigned long long)acc);
    return 0;
}

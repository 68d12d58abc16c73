/* A ledger that posts four entries to an account and exits 0.
 *
 * The breakpoint sample: post() takes a struct through a pointer and a C
 * string, and keeps locals of several types, so a debugger stopped at the
 * marked lines has parameters, locals, a pointee struct and strings to show.
 */
#include <stdio.h>
#include <string.h>

enum kind { DEPOSIT = 1, WITHDRAWAL = 2 };

struct account {
    int id;
    const char *owner;
    long long balance;
    unsigned char flags;
};

static int post(struct account *acct, const char *memo, int amount) {
    enum kind kind = amount < 0 ? WITHDRAWAL : DEPOSIT;
    int before = (int)acct->balance;
    acct->balance += amount; /* breakpoint line: post */
    printf("%-4s %-10s %+5d  %4d -> %4lld\n", kind == DEPOSIT ? "in" : "out", memo, amount, before,
           acct->balance);
    return before;
}

int main(void) {
    struct account acct = {7, "ada", 100, 3};
    char memo[16];
    int entries[4] = {-40, 25, -10, 5};
    int posted = 0;
    for (int i = 0; i < 4; i++) {
        snprintf(memo, sizeof memo, "entry %d", i + 1);
        post(&acct, memo, entries[i]);
        posted++; /* breakpoint line: main loop */
    }
    printf("%s: %d entries, balance %lld\n", acct.owner, posted, acct.balance);
    return 0;
}

/* wasmdbg benchmark guest: SQLite running a query, or trapping in a user SQL function.
 *   sqlbench query N   sum over a recursive CTE of N rows (call-heavy: the VDBE calls per row)
 *   sqlbench trap      a user-defined SQL function divides by zero, called from SQLite's VDBE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sqlite3.h"

static volatile int divisor = 0;

static void ratio(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    int total = sqlite3_value_int(argv[0]);
    sqlite3_result_int(ctx, total / divisor);
}

static int print_row(void *unused, int columns, char **values, char **names) {
    (void)unused;
    for (int i = 0; i < columns; i++) printf("%s = %s\n", names[i], values[i] ? values[i] : "NULL");
    return 0;
}

int main(int argc, char **argv) {
    sqlite3 *db;
    char sql[512];
    char *error = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) { fprintf(stderr, "open failed\n"); return 1; }
    sqlite3_create_function(db, "ratio", 1, SQLITE_UTF8, NULL, ratio, NULL, NULL);
    if (argc >= 2 && strcmp(argv[1], "trap") == 0) {
        snprintf(sql, sizeof sql, "CREATE TABLE t(x); INSERT INTO t VALUES (1),(2),(3); SELECT ratio(sum(x)) FROM t;");
    } else {
        long rows = argc >= 3 ? atol(argv[2]) : 1000000;
        snprintf(sql, sizeof sql,
                 "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %ld) "
                 "SELECT count(*), sum(x %% 7), max(length(printf('%%d', x))) FROM c;", rows);
    }
    if (sqlite3_exec(db, sql, print_row, NULL, &error) != SQLITE_OK) { fprintf(stderr, "error: %s\n", error); return 1; }
    sqlite3_close(db);
    return 0;
}

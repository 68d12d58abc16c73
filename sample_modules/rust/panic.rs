// panic: a Rust panic (slice index out of bounds) a couple of user functions
// deep.  On wasm32-wasi panics abort: the panic message goes to stderr and
// then the module executes `unreachable`.

use std::env;

#[inline(never)]
fn lookup(table: &[u32], index: usize) -> u32 {
    table[index]
}

#[inline(never)]
fn sum_selected(table: &[u32], picks: &[usize]) -> u32 {
    let mut total = 0;
    for &p in picks {
        total += lookup(table, p);
    }
    total
}

fn main() {
    let table = vec![3u32, 1, 4, 1, 5];
    let extra = env::args().count(); // 1 without extra arguments
    let picks = vec![0, 2, 4 + extra * 3]; // last pick is 7: out of bounds
    println!("summing {} picks from a table of {}", picks.len(), table.len());
    let total = sum_selected(&table, &picks);
    println!("unreachable: total {}", total);
}

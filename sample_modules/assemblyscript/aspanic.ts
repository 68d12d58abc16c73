// aspanic: an assertion failing a few calls deep (main); an array check failing in AssemblyScript's std (pick).

function checkedShare(total: i32, people: i32): i32 {
  assert(people > 0, "people must be positive");
  return total / people;
}

function split(total: i32, people: i32): i32 {
  return checkedShare(total, people) + 1;
}

export function main(people: i32): i32 {
  return split(100, people);
}

export function pick(slot: i32): i32 {
  const slots: i32[] = [10, 20, 30];
  return slots[slot]; // out of range: AssemblyScript's array checks call abort
}

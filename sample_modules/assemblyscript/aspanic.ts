// aspanic: an AssemblyScript program whose assertion fails a few calls deep.

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

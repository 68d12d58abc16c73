// gopanic: a Go program that panics with an index out of range a few calls deep.
package main

import (
	"fmt"
	"os"
)

type inventory struct {
	slots []int
}

//go:noinline
func (inv *inventory) pick(slot int) int {
	return inv.slots[slot] // index out of range
}

//go:noinline
func restock(inv *inventory, slot int) int {
	fmt.Printf("picking slot %d of %d\n", slot, len(inv.slots))
	return inv.pick(slot) * 2
}

func main() {
	inv := &inventory{slots: []int{10, 20, 30}}
	total := restock(inv, 0)
	total += restock(inv, len(os.Args)+6)
	fmt.Println("unreachable:", total)
}

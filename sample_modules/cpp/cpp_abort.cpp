// cpp_abort: std::vector::at() out of range inside a templated member
// function of a namespaced class.  Built with -fno-exceptions against libc++,
// so the out_of_range "throw" becomes abort(), i.e. the wasm `unreachable`
// instruction.  Function names in the module are mangled Itanium names, e.g.
// _ZNK9inventory5ShelfIiE4pickEm = inventory::Shelf<int>::pick(unsigned long) const.
#include <cstddef>
#include <cstdio>
#include <vector>

namespace inventory {

template <typename T>
class Shelf {
public:
    Shelf(std::initializer_list<T> items) : items_(items) {}

    std::size_t size() const { return items_.size(); }

    __attribute__((noinline)) T pick(std::size_t slot) const {
        return items_.at(slot);
    }

private:
    std::vector<T> items_;
};

__attribute__((noinline)) int restock(const Shelf<int> &shelf, std::size_t slot) {
    std::printf("picking slot %zu from a shelf of %zu\n", slot, shelf.size());
    std::fflush(stdout);
    return shelf.pick(slot) * 2;
}

} // namespace inventory

int main(int argc, char **) {
    inventory::Shelf<int> shelf{10, 20, 30};
    int total = inventory::restock(shelf, 0);
    total += inventory::restock(shelf, static_cast<std::size_t>(argc) + 6); // slot 7: out of range
    std::printf("unreachable: total %d\n", total);
    return 0;
}

"""demangle: sample names against wasm-tools addr2line, known pairs, and hostile names within bounds."""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator, Mapping
from functools import cache
from types import FrameType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import SAMPLES, sample_manifest, sample_module_paths, wasm_tools
from wasmdbg.symbols.demangle import MAX_DEMANGLED_CHARS, MAX_NAME_CHARS, demangle, is_mangled
from wasmdbg.wasm.module import read_module

BUILD = SAMPLES / "build"

DWARF_TWIN = {"panic.names.wasm": "panic.O2.wasm", "cpp_abort.names.wasm": "cpp_abort.O2.wasm"}
"""A `names` module is its O2 build without DWARF (same code, same name section): wasm-tools reads the twin."""

NOT_FROM_THE_NAME = {
    # libc++ was built without DW_AT_linkage_name here: wasm-tools prints DW_AT_name ("get_new_handler", "<unnamed>").
    "_ZSt15get_new_handlerv": "std::get_new_handler()",
    "_Znwm": "operator new(unsigned long)",
    "_ZdlPv": "operator delete(void*)",
    "_ZnwmSt11align_val_t": "operator new(unsigned long, std::align_val_t)",
    "_ZdlPvSt11align_val_t": "operator delete(void*, std::align_val_t)",
    # wasm-tools' cpp_demangle drops a parameter pack's expansion (", )" or no parameters at all) and spells `Dn`
    # std::nullptr_t where GNU c++filt, whose spelling wasmdbg follows, writes decltype(nullptr).
    "_ZNSt3__227__do_deallocate_handle_sizeIJEEEvPvmDpT_":
        "void std::__2::__do_deallocate_handle_size<>(void*, unsigned long)",
    "_ZNSt3__217__compressed_pairIPiNS_9allocatorIiEEEC2IDnNS_18__default_init_tagEEEOT_OT0_":
        "std::__2::__compressed_pair<int*, std::__2::allocator<int> >::__compressed_pair"
        "<decltype(nullptr), std::__2::__default_init_tag>(decltype(nullptr)&&, std::__2::__default_init_tag&&)",
    "_ZNSt3__27forwardIDnEEOT_RNS_16remove_referenceIS1_E4typeE":
        "decltype(nullptr)&& std::__2::forward<decltype(nullptr)>"
        "(std::__2::remove_reference<decltype(nullptr)>::type&)",
    "_ZNSt3__222__compressed_pair_elemIPiLi0ELb0EEC2IDnvEEOT_":
        "std::__2::__compressed_pair_elem<int*, 0, false>::__compressed_pair_elem<decltype(nullptr), void>"
        "(decltype(nullptr)&&)",
}
"""Names wasm-tools does not print as a demangling of the name itself, with GNU c++filt's spelling instead."""


def name_section(module: str) -> Mapping[int, str]:
    names = read_module((BUILD / module).read_bytes()).names
    assert names is not None, module
    return names.functions


@cache
def wasm_tools_functions(module: str) -> dict[int, str]:
    """The function `wasm-tools addr2line` names at each defined function's first instruction, by function index.

    That is the last frame printed for the address (frames come innermost first), and only where DWARF covers it.
    """
    path = BUILD / DWARF_TWIN.get(module, module)
    indices = {body.code_offset: body.func_index for body in read_module(path.read_bytes()).bodies}
    frames: dict[int, str] = {}
    address = -1
    for line in wasm_tools("addr2line", str(path), *map(hex, indices)).splitlines():
        if line.startswith("0x"):
            text, _, line = line.partition(": ")
            address = int(text, 16)
        frames[address] = line.strip()
    return {
        indices[address]: frame.rsplit(" ", 1)[0]  # drop " file:line:column"
        for address, frame in frames.items()
        if not frame.startswith("no dwarf frames")
    }


def expected(name: str, wasm_tools_name: str) -> str:
    if name in NOT_FROM_THE_NAME:
        return NOT_FROM_THE_NAME[name]
    # LLVM renamed a local Rust symbol ("…E.113"): DWARF has the name without the suffix, rustc-demangle keeps it.
    renamed = re.fullmatch(r"_ZN.*E(\.\d+)", name)
    return wasm_tools_name + renamed.group(1) if renamed else wasm_tools_name


@pytest.mark.differential
@pytest.mark.parametrize("module", ["panic.O2.wasm", "panic.names.wasm", "cpp_abort.names.wasm", "cpp_abort.O0.wasm"])
def test_sample_names_demangle_as_wasm_tools_prints_them(module: str) -> None:
    reference = wasm_tools_functions(module)
    mangled = {i: name for i, name in name_section(module).items() if name.startswith(("_Z", "_R")) and i in reference}
    assert len(mangled) >= 5
    wrong = {
        name: (demangle(name), expected(name, reference[i]))
        for i, name in mangled.items()
        if demangle(name) != expected(name, reference[i])
    }
    assert wrong == {}


def test_the_issue_examples_demangle() -> None:
    assert demangle("_ZN5panic6lookup17h3a77a11ead1e674cE") == "panic::lookup"
    assert demangle("_ZNK9inventory5ShelfIiE4pickEm") == "inventory::Shelf<int>::pick(unsigned long) const"
    assert "_ZN5panic6lookup17h3a77a11ead1e674cE" in name_section("panic.names.wasm").values()
    assert "_ZNK9inventory5ShelfIiE4pickEm" in name_section("cpp_abort.names.wasm").values()


def test_manifest_linkage_names_demangle_to_the_wasm_tools_function() -> None:
    pairs = {
        (location["linkage_name"], location["function_wasm_tools"])
        for entry in sample_manifest()
        for frame in entry.get("trap_frames") or []  # type: ignore[attr-defined]
        for location in frame["locations"]
        if location["function_wasm_tools"] is not None  # wasm-tools refuses split-DWARF addresses
    }
    assert any(name.startswith("_ZN") for name, _ in pairs) and any(name.startswith("_ZNK") for name, _ in pairs)
    assert {name: demangle(name) for name, _ in pairs} == dict(pairs)


RUST_V0 = [
    # rustc-demangle's test suite (src/v0.rs) and RFC 2603; printed as rustc-demangle's {:#} prints them
    ("_RNvC6_123foo3bar", "123foo::bar"),
    ("_RNvCs15kBYyAo9fc_7mycrate7example", "mycrate::example"),
    ("_RNvNtCs1234_7mycrate3foo3bar", "mycrate::foo::bar"),
    ("_RNCNCNgCs6DXkGYLi8lr_2cc5spawn00B5_", "cc::spawn::{closure#0}::{closure#0}"),
    ("_RNCINkXs25_NgCsbmNqQUJIY6D_4core5sliceINyB9_4IterhENuNgNoBb_4iter8iterator8Iterator9rpositionNCNgNpB9_6memchr"
     "7memrchrs_0E0Bb_",
     "<core::slice::Iter<u8> as core::iter::iterator::Iterator>::rposition::<core::slice::memchr::memrchr::{closure#1}>"
     "::{closure#0}"),
    ("_RINbNbCskIICzLVDPPb_5alloc5alloc8box_freeDINbNiB4_5boxed5FnBoxuEp6OutputuEL_ECs1iopQbuBiw2_3std",
     "alloc::alloc::box_free::<dyn alloc::boxed::FnBox<(), Output = ()>>"),
    ("_RNvMsr_NtCs3ssYzQotkvD_3std4pathNtB5_10Components7as_path", "<std::path::Components>::as_path"),
    ("_RMCs4fqI2P2rA04_13const_genericINtB0_8UnsignedKhb_E", "<const_generic::Unsigned<11>>"),
    ("_RMCs4fqI2P2rA04_13const_genericINtB0_4BoolKb1_E", "<const_generic::Bool<true>>"),
    ("_RNvYNtCs1234_7mycrate3FooNtB4_5Trait6method", "<mycrate::Foo as mycrate::Trait>::method"),
    ("_RINvCs1234_7mycrate3fooRShE", "mycrate::foo::<&[u8]>"),
    ("_RNvCsgHrWtfHoMEn_4rand3foo.llvm.A5310EB9", "rand::foo"),
    ("_RMC0TTTTTTpB8_EB7_EB6_EB5_EB4_EB3_E", "<" + "(" * 6 + "_, _), (_, _)), ((_, _), (_, _))), (((_, _), (_, _)), "
     "((_, _), (_, _)))), ((((_, _), (_, _)), ((_, _), (_, _))), (((_, _), (_, _)), ((_, _), (_, _))))), (((((_, _), "
     "(_, _)), ((_, _), (_, _))), (((_, _), (_, _)), ((_, _), (_, _)))), ((((_, _), (_, _)), ((_, _), (_, _))), "
     "(((_, _), (_, _)), ((_, _), (_, _))))))>"),  # 2^6 copies through back-references: within the bounds
]

RUST_LEGACY = [
    ("_ZN4core3fmt5write17h05af221e174051e9E", "core::fmt::write"),
    ("_ZN5alloc7raw_vec19RawVec$LT$T$C$A$GT$16reserve_for_push17h9688ec5c464e5be1E",
     "alloc::raw_vec::RawVec<T,A>::reserve_for_push"),
    ("_ZN70_$LT$core..result..Result$LT$T$C$E$GT$$u20$as$u20$core..fmt..Debug$GT$3fmt17hcd0d80f49b14aa87E"
     ".llvm.4466027856543929677", "<core::result::Result<T,E> as core::fmt::Debug>::fmt"),
    ("_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17h0123456789abcdefE", "std::rt::lang_start::{{closure}}"),
    ("_ZN4core9panicking9panic_str17hc4399dfa63a042c7E.113", "core::panicking::panic_str.113"),
]

ITANIUM = [
    # the Itanium C++ ABI's mangling examples (and a few of every compiler's output); spelled as GNU c++filt spells them
    ("_Z1fv", "f()"),
    ("_Z3foo3bar", "foo(bar)"),
    ("_Zrm1XS_", "operator%(X, X)"),
    ("_ZplR1XS0_", "operator+(X&, X&)"),
    ("_ZlsRK1XS1_", "operator<<(X const&, X const&)"),
    ("_ZN3FooIA4_iE3barE", "Foo<int [4]>::bar"),
    ("_Z1fIiEvi", "void f<int>(int)"),
    ("_Z3absILi11EEvv", "void abs<11>()"),
    ("_ZN1AIfEcviEv", "A<float>::operator int()"),
    ("_ZN1N1TIiiE2mfES0_IddE", "N::T<int, int>::mf(N::T<double, double>)"),
    ("_ZZN1N1fEiE1p", "N::f(int)::p"),
    ("_Z1fPFvvEM1SFvvE", "f(void (*)(), void (S::*)())"),
    ("_Z1fI1XEvPVN1AIT_E1TE", "void f<X>(A<X>::T volatile*)"),
    ("_Z4makeI7FactoryiET_IT0_Ev", "Factory<int> make<Factory, int>()"),
    ("_Z3foo5Hello5WorldS0_S_", "foo(Hello, World, World, Hello)"),
    ("_Z3fooPM2ABi", "foo(int AB::**)"),
    ("_ZTI7a_class", "typeinfo for a_class"),
    ("_ZTV1A", "vtable for A"),
    ("_ZThn8_N1D1fEv", "non-virtual thunk to D::f()"),
    ("_ZN1AD0Ev", "A::~A()"),
    ("_ZNSt6vectorIiSaIiEE9push_backERKi", "std::vector<int, std::allocator<int> >::push_back(int const&)"),
    ("_ZZ4mainENKUlvE_clEv", "main::{lambda()#1}::operator()() const"),
    ("_ZN12_GLOBAL__N_13fooEv", "(anonymous namespace)::foo()"),
    ("_ZN3foo3barEv.cold", "foo::bar() [clone .cold]"),
    ("_ZN9inventory7restockERKNS_5ShelfIiEEm", "inventory::restock(inventory::Shelf<int> const&, unsigned long)"),
]


KNOWN = RUST_V0 + RUST_LEGACY + ITANIUM


@pytest.mark.parametrize(("name", "spelled"), KNOWN, ids=[name for name, _ in KNOWN])
def test_known_names_demangle(name: str, spelled: str) -> None:
    assert demangle(name) == spelled
    assert is_mangled(name)


def all_sample_names() -> set[str]:
    names: set[str] = set()
    for path in sample_module_paths():
        module = read_module(path.read_bytes())
        if module.names is not None:
            names.update(module.names.functions.values())
    return names


def test_names_already_demangled_are_left_alone() -> None:
    demangled = {demangle(name) for name in all_sample_names()} | {spelled for _, spelled in RUST_V0 + ITANIUM}
    demangled |= {"inventory::Shelf<int>::pick(unsigned long) const", "<T as core::any::Any>::type_id", "panic::lookup"}
    assert {name: demangle(name) for name in demangled} == {name: name for name in demangled}
    assert not any(is_mangled(name) for name in demangled)


@pytest.mark.parametrize(
    "name",
    ["", "main", "_start", "__original_main", "dlmalloc", "_Exit", "_start.command_export", "__wasm_call_dtors",
     "_Z", "_R", "_ZN", "_Zebra", "_Rust_begin", "_ZN5panic", "_ZN5panic6lookup17h3a77a11ead1e674c", "$func12",
     "foo::bar(int)", "?foo@@YAXH@Z", "$s10Foundation4DataV5countSivg", "main.cold"],
)
def test_names_that_are_not_mangled_are_left_alone(name: str) -> None:
    assert demangle(name) == name
    assert not is_mangled(name)


def test_plain_sample_names_are_left_alone() -> None:
    plain = {name for name in all_sample_names() if not name.startswith(("_Z", "_R"))}
    assert len(plain) > 50
    assert [name for name in plain if demangle(name) != name] == []


# -- bounds ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def hang_guard() -> Iterator[None]:
    """Fail rather than hang: 60 s is far beyond any bounded answer, and far short of an unbounded one."""

    def give_up(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError("demangle did not return: a bound is missing")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(60)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_name_at_the_input_cap_is_demangled_and_one_past_it_is_not() -> None:
    at_cap = f"_Z{MAX_NAME_CHARS - 6}" + "a" * (MAX_NAME_CHARS - 6)
    past_cap = f"_Z{MAX_NAME_CHARS - 5}" + "a" * (MAX_NAME_CHARS - 5)
    assert len(at_cap) == MAX_NAME_CHARS and len(past_cap) == MAX_NAME_CHARS + 1
    assert demangle(at_cap) == "a" * (MAX_NAME_CHARS - 6)
    assert demangle(past_cap) == past_cap


def test_a_name_spelled_past_the_output_cap_is_left_unchanged() -> None:
    # f(int, int, ...): 5 characters per parameter
    fits = "_Z1f" + "i" * ((MAX_DEMANGLED_CHARS - 1) // 5)
    too_long = fits + "i"
    assert len(demangle(fits)) <= MAX_DEMANGLED_CHARS and demangle(fits).startswith("f(int, int")
    assert demangle(too_long) == too_long


def b62(n: int) -> str:
    """A v0 back-reference's base-62 number: `_` for 0, else n-1 in base 62 and `_`."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if n == 0:
        return "_"
    n, text = n - 1, ""
    while True:
        n, digit = divmod(n, 62)
        text = digits[digit] + text
        if n == 0:
            return text + "_"


def itanium_doubling(levels: int) -> str:
    """f(A<A, A>, A<A<A, A>, A<A, A> >, ...): each parameter is twice the previous one through substitutions."""
    subst = [str(k) if k < 10 else chr(ord("A") + k - 10) for k in range(levels)]
    return "_Z1f1AIS_S_E" + "".join(f"S_IS{s}_S{s}_E" for s in subst)


def rust_v0_doubling(levels: int) -> str:
    """rustc-demangle's `demangle_exponential_explosion`, `levels` deep: 2^levels copies of `_`."""
    return "_RMC0" + "T" * levels + "p" + "".join(f"B{b62(2 + levels - j)}E" for j in range(levels))


HOSTILE = {
    "100KB-nested-names": "_ZN" + "1a" * 50_000 + "Ev",
    "100KB-identifier": "_Z100000" + "a" * 100_000 + "v",
    "100KB-rust-legacy": "_ZN" + "3abc" * 25_000 + "17h0123456789abcdefE",
    "100KB-rust-v0": "_RNvC1a" + "1c" * 50_000,
    "100KB-plain": "x" * 100_000,
    "100KB-pointers": "_Z1f" + "P" * 100_000 + "i",  # overflows LLVM's C stack (pycxxfilt: SIGSEGV)
    "nested-templates-1000": "_Z1fI" + "1aI" * 1000 + "i" + "E" * 1001 + "vv",
    "nested-substitutions-1300": "_Z1aIS_" + "IS_" * 1300 + "E" * 1301 + "v",
    "template-openers-4000": "_Z1f" + "I" * 4000 + "i" + "E" * 4000,
    "pointers-4000": "_Z1f" + "P" * 4000 + "i",
    "function-pointers-1300": "_Z1f" + "PF" * 1300 + "v" + "E" * 1300,
    "rust-v0-paths-1300": "_R" + "Nv" * 1300 + "C1a" + "1b" * 1300,
    "rust-v0-tuples-2000": "_RINvC1a1fT" + "T" * 2000 + "p" + "E" * 2001 + "E",
    "itanium-doubling-30": itanium_doubling(30),  # 2^30 A's: pycxxfilt runs out of memory
    "rust-v0-doubling-40": rust_v0_doubling(40),  # 2^40 underscores
    "nul-byte": "_Z1f\x00v",
    "nul-in-v0": "_RNvC1a\x003foo",
    "surrogate-escaped-bytes": b"_ZN3fo\xff\xfe3barE".decode("utf-8", "surrogateescape"),
    "replacement-character": "_Z3f\ufffdov",
    "binary-junk": "".join(map(chr, range(256))) * 4,
    "terminal-escape": "_ZN3\x1b[2J3barE",
    "huge-length-prefix": "_Z99999999999999999999a",
    "huge-v0-backref": "_RNvB" + "Z" * 40 + "_3foo",
    "huge-legacy-escape": "_ZN11$u110000$5panic17h3a77a11ead1e674cE",
}


@pytest.mark.parametrize("name", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_names_are_left_unchanged(name: str, hang_guard: None) -> None:
    assert demangle(name) == name
    assert not is_mangled(name)


@pytest.mark.parametrize("levels", [30, 40, 60])
def test_exponential_names_are_left_unchanged(levels: int, hang_guard: None) -> None:
    for name in (itanium_doubling(levels), rust_v0_doubling(levels)):
        assert len(name) < MAX_NAME_CHARS
        assert demangle(name) == name
    assert demangle(itanium_doubling(6)).startswith("f(A<A, A>, A<A<A, A>, A<A, A> >, ")  # the same shape, small


def test_deep_nesting_is_left_unchanged(hang_guard: None) -> None:
    for name in (HOSTILE["nested-templates-1000"], HOSTILE["pointers-4000"], HOSTILE["rust-v0-tuples-2000"]):
        assert demangle(name) == name
    assert demangle("_Z1fI" + "1aI" * 20 + "i" + "E" * 21 + "vv").startswith("void f<a<a<a<")  # shallow is fine


MANGLING = "_ZNRSIEKTLPCvifmsBbDnpuh0123456789abcxyz$."
PREFIXES = ("", "_Z", "_ZN", "_ZNK", "_Z1f", "_R", "_RNv", "_RINv", "_RMC0")
SAMPLE_MANGLED = sorted(name for name in all_sample_names() if name.startswith(("_Z", "_R")))


def check_bounds(name: str) -> None:
    spelled = demangle(name)
    assert isinstance(spelled, str)
    assert spelled == name or (len(name) <= MAX_NAME_CHARS and len(spelled) <= MAX_DEMANGLED_CHARS)
    assert spelled == name or name.startswith(("_Z", "_R"))
    assert is_mangled(name) == (spelled != name)
    assert demangle(name) == spelled


@settings(deadline=None, max_examples=300)
@given(st.text(st.characters(exclude_categories=()), max_size=300))
def test_any_text_comes_back_within_the_bounds(name: str) -> None:
    check_bounds(name)


@settings(deadline=None, max_examples=500)
@given(st.sampled_from(PREFIXES), st.text(MANGLING, max_size=600))
def test_mangling_shaped_text_comes_back_within_the_bounds(prefix: str, body: str) -> None:
    check_bounds(prefix + body)


@settings(deadline=None, max_examples=300)
@given(st.sampled_from(PREFIXES), st.binary(max_size=300))
def test_undecodable_bytes_come_back_within_the_bounds(prefix: str, data: bytes) -> None:
    check_bounds(prefix + data.decode("utf-8", "surrogateescape"))


@settings(deadline=None, max_examples=300)
@given(st.sampled_from(SAMPLE_MANGLED), st.integers(0, 400), st.integers(0, 50), st.text(MANGLING, max_size=40))
def test_damaged_sample_names_come_back_within_the_bounds(name: str, at: int, cut: int, insert: str) -> None:
    check_bounds(name[:at] + insert + name[at + cut :])

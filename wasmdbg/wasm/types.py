"""Value, heap, reference and composite types, spelled as the text format spells them."""

from __future__ import annotations

from dataclasses import dataclass

from wasmdbg.wasm.reader import Reader

NUMERIC_TYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128"}

# Abstract heap types: (heap type name, shorthand reference type name for its nullable form).
ABSTRACT_HEAP_TYPES = {
    0x70: ("func", "funcref"),
    0x6F: ("extern", "externref"),
    0x6E: ("any", "anyref"),
    0x6D: ("eq", "eqref"),
    0x6C: ("i31", "i31ref"),
    0x6B: ("struct", "structref"),
    0x6A: ("array", "arrayref"),
    0x69: ("exn", "exnref"),
    0x68: ("cont", "contref"),
    0x74: ("noexn", "nullexnref"),
    0x73: ("nofunc", "nullfuncref"),
    0x72: ("noextern", "nullexternref"),
    0x71: ("none", "nullref"),
    0x75: ("nocont", "nullcontref"),
}
SHARED = 0x65
PACKED_TYPES = {0x78: "i8", 0x77: "i16"}


SINGLE_BYTE_VAL_TYPES = {**NUMERIC_TYPES, **{code: short for code, (_, short) in ABSTRACT_HEAP_TYPES.items()}}
"""Value types written as one byte: numeric, vector, and the nullable abstract reference shorthands."""
_ABSTRACT = {code: name for code, (name, _) in ABSTRACT_HEAP_TYPES.items()}
_NULLABLE_SHORTHAND = {code: short for code, (_, short) in ABSTRACT_HEAP_TYPES.items()}
EXACT = 0x62
"""Prefix of an exact heap type `(exact $t)` (custom descriptors)."""
REF_NULL, REF = 0x63, 0x64


def read_heap_type(r: Reader) -> str:
    """A heap type: abstract (`func`), shared abstract (`(shared any)`), exact (`(exact 3)`) or an index."""
    pos = r.pos
    if pos < r.end:
        b = r.data[pos]
        name = _ABSTRACT.get(b)
        if name is not None:
            r.pos = pos + 1
            return name
        if b == SHARED:
            r.pos = pos + 1
            code = r.u8()
            name = _ABSTRACT.get(code)
            if name is None:
                raise r.error(f"malformed heap type: invalid abstract heap type 0x{code:02x}", pos + 1)
            return f"(shared {name})"
        if b == EXACT:
            r.pos = pos + 1
            return f"(exact {r.u32()})"
    index = r.s33()
    if index < 0:
        raise r.error("malformed heap type", pos)
    return str(index)


def read_heap_ref_type(r: Reader, nullable: bool) -> str:
    """The reference type to a heap type read here, spelled as `wasm-tools print` spells it."""
    pos = r.pos
    if nullable and pos < r.end:
        short = _NULLABLE_SHORTHAND.get(r.data[pos])
        if short is not None:
            r.pos = pos + 1
            return short
    heap_type = read_heap_type(r)
    return f"(ref null {heap_type})" if nullable else f"(ref {heap_type})"


def read_val_type(r: Reader) -> str:
    """A value type: numeric, vector or reference."""
    pos = r.pos
    b = r.u8()
    name = SINGLE_BYTE_VAL_TYPES.get(b)
    if name is not None:
        return name
    if b == REF_NULL:
        return read_heap_ref_type(r, True)
    if b == REF:
        return read_heap_ref_type(r, False)
    if b == SHARED:
        r.pos = pos
        return f"(ref null {read_heap_type(r)})"
    raise r.error(f"malformed value type 0x{b:02x}", pos)


def read_ref_type(r: Reader) -> str:
    """A reference type (tables, element segments): a value type that must be a reference."""
    pos = r.pos
    if pos < r.end and r.data[pos] in NUMERIC_TYPES:
        raise r.error(f"malformed reference type 0x{r.data[pos]:02x}", pos)
    return read_val_type(r)


def read_storage_type(r: Reader) -> str:
    """A struct or array field's type: a value type or a packed i8/i16."""
    b = r.peek()
    if b in PACKED_TYPES:
        r.u8()
        return PACKED_TYPES[b]
    return read_val_type(r)


def read_block_type(r: Reader) -> str | int | None:
    """A block type: None for empty, a value type, or a type index (a non-negative s33)."""
    pos = r.pos
    if pos < r.end:
        b = r.data[pos]
        if b == 0x40:
            r.pos = pos + 1
            return None
        if b & 0xC0 == 0x40:  # a one-byte negative s33: a value type
            return read_val_type(r)
    index = r.s33()
    if index < 0:
        raise r.error("malformed block type", pos)
    return index


@dataclass(frozen=True, slots=True)
class Limits:
    """Limits of a memory or table, in pages or elements."""

    min: int
    max: int | None
    shared: bool = False
    is64: bool = False
    page_size_log2: int | None = None
    """Custom page size (log2 bytes) when the module sets one; None means 64 KiB pages."""


def read_limits(r: Reader, what: str) -> Limits:
    """Limits: flags byte (max present, shared, 64-bit, custom page size), min, [max], [page size]."""
    start = r.pos
    flags = r.u8()
    if flags & ~0x0F:
        raise r.error(f"malformed limits flags 0x{flags:02x} in {what}", start)
    is64 = bool(flags & 0x04)
    read = r.u64 if is64 else r.u32
    minimum = read()
    maximum = read() if flags & 0x01 else None
    page_size_log2 = r.u32() if flags & 0x08 else None
    return Limits(minimum, maximum, bool(flags & 0x02), is64, page_size_log2)


@dataclass(frozen=True, slots=True)
class TableType:
    """A table's element type and limits."""

    element_type: str
    limits: Limits


def read_table_type(r: Reader) -> TableType:
    """A table type: reference type then limits."""
    element_type = read_ref_type(r)
    return TableType(element_type, read_limits(r, "table type"))


@dataclass(frozen=True, slots=True)
class GlobalType:
    """A global's value type and mutability."""

    val_type: str
    mutable: bool
    shared: bool = False


def read_global_type(r: Reader) -> GlobalType:
    """A global type: value type then a mutability byte (bit 0 mutable, bit 1 shared)."""
    val_type = read_val_type(r)
    start = r.pos
    flags = r.u8()
    if flags & ~0x03:
        raise r.error(f"malformed mutability 0x{flags:02x}", start)
    return GlobalType(val_type, bool(flags & 0x01), bool(flags & 0x02))


@dataclass(frozen=True, slots=True)
class FieldType:
    """A struct field or array element."""

    storage_type: str
    mutable: bool


@dataclass(frozen=True, slots=True)
class CompositeType:
    """One entry of the type index space: a function, struct, array or continuation type."""

    kind: str
    """"func", "struct", "array" or "cont"."""
    params: tuple[str, ...] = ()
    results: tuple[str, ...] = ()
    fields: tuple[FieldType, ...] = ()
    """Struct fields, or the one array element."""
    supertypes: tuple[int, ...] = ()
    final: bool = True
    shared: bool = False
    cont_type: int | None = None
    """The function type index a continuation type wraps."""
    describes: int | None = None
    """The type this descriptor type describes (custom descriptors)."""
    descriptor: int | None = None
    """The descriptor type of this type (custom descriptors)."""

    def signature(self) -> str:
        """The text-format spelling of a function type, e.g. `(func (param i32) (result i64))`."""
        parts = ["func"]
        if self.params:
            parts.append(f"(param {' '.join(self.params)})")
        if self.results:
            parts.append(f"(result {' '.join(self.results)})")
        return f"({' '.join(parts)})"


def _read_field_type(r: Reader) -> FieldType:
    storage = read_storage_type(r)
    start = r.pos
    mutable = r.u8()
    if mutable > 1:
        raise r.error(f"malformed mutability 0x{mutable:02x}", start)
    return FieldType(storage, bool(mutable))


def _read_val_types(r: Reader, what: str) -> tuple[str, ...]:
    return tuple(read_val_type(r) for _ in range(r.count(what)))


# Custom descriptors: a composite type may be prefixed by `describes x` and `descriptor x`.
DESCRIBES, DESCRIPTOR = 0x4C, 0x4D


def _read_composite_type(r: Reader, supertypes: tuple[int, ...], final: bool) -> CompositeType:
    prefixes: dict[int, int] = {}
    while r.peek() in (DESCRIBES, DESCRIPTOR) and r.peek() not in prefixes:
        prefix = r.u8()
        prefixes[prefix] = r.u32()
    describes, descriptor = prefixes.get(DESCRIBES), prefixes.get(DESCRIPTOR)
    start = r.pos
    form = r.u8()
    shared = False
    if form == SHARED:
        shared = True
        start = r.pos
        form = r.u8()
    kind: str
    params: tuple[str, ...] = ()
    results: tuple[str, ...] = ()
    fields: tuple[FieldType, ...] = ()
    cont_type = None
    if form == 0x60:
        kind = "func"
        params = _read_val_types(r, "parameter")
        results = _read_val_types(r, "result")
    elif form == 0x5F:
        kind = "struct"
        fields = tuple(_read_field_type(r) for _ in range(r.count("struct field", 2)))
    elif form == 0x5E:
        kind = "array"
        fields = (_read_field_type(r),)
    elif form == 0x5D:
        kind = "cont"
        cont_type = read_heap_index(r)
    else:
        raise r.error(f"malformed type form 0x{form:02x}", start)
    return CompositeType(kind, params, results, fields, supertypes, final, shared, cont_type, describes, descriptor)


def read_heap_index(r: Reader) -> int:
    """A type index encoded as a non-negative s33 (continuation types, some GC immediates)."""
    start = r.pos
    index = r.s33()
    if index < 0:
        raise r.error("malformed type index", start)
    return index


def _read_sub_type(r: Reader) -> CompositeType:
    b = r.peek()
    if b in (0x50, 0x4F):
        r.u8()
        supertypes = tuple(r.u32() for _ in range(r.count("supertype")))
        return _read_composite_type(r, supertypes, final=b == 0x4F)
    return _read_composite_type(r, (), final=True)


def read_rec_group(r: Reader) -> list[CompositeType]:
    """One entry of the type section: a recursion group (0x4E) or a single subtype."""
    if r.peek() == 0x4E:
        r.u8()
        return [_read_sub_type(r) for _ in range(r.count("recursion group member"))]
    return [_read_sub_type(r)]

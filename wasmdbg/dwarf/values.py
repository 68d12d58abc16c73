"""Source-level values: a DWARF type applied to bytes from a held guest, rendered as text.

Types are followed through typedefs and qualifiers to base types, enums, pointers and references
(with the pointee, read from memory, as a child), structs, classes and unions (members as
children), arrays (elements as children; `char` arrays also as a string) and Rust slices and
`&str` (`data_ptr` and `length`, shown as their elements). Names are the source's: C's
`struct account *`, C++'s and Rust's qualified `inventory::Shelf<int> &`, `&[u32]`. Every string
from the guest or the DWARF is escaped; every walk is bounded.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from wasmdbg.dwarf.die_tree import MAX_REFERENCE_HOPS, DieForest, UnitTree
from wasmdbg.dwarf.locations import FrameState

MAX_ELEMENTS = 64
"""Array and slice elements shown; the rest is one `…` child."""
MAX_STRING = 256
"""Bytes of a C string or `&str` read and shown."""
MAX_VALUES = 2000
"""Variables (members and elements included) produced for one scope."""
_C_LANGUAGES = frozenset({0x01, 0x02, 0x0C, 0x1D, 0x2C})
_POINTERS = {"DW_TAG_pointer_type": " *", "DW_TAG_reference_type": " &", "DW_TAG_rvalue_reference_type": " &&"}
_QUALIFIERS = {"DW_TAG_const_type": "const", "DW_TAG_volatile_type": "volatile", "DW_TAG_restrict_type": "restrict",
               "DW_TAG_atomic_type": "_Atomic"}  # fmt: skip
_AGGREGATES = {"DW_TAG_structure_type": "struct", "DW_TAG_class_type": "class", "DW_TAG_union_type": "union"}
_SCOPES = frozenset({"DW_TAG_namespace", "DW_TAG_structure_type", "DW_TAG_class_type", "DW_TAG_union_type",
                     "DW_TAG_enumeration_type"})  # fmt: skip
_ATE_BOOLEAN, _ATE_FLOAT, _ATE_SIGNED, _ATE_SIGNED_CHAR, _ATE_UNSIGNED, _ATE_UNSIGNED_CHAR, _ATE_UTF = 2, 4, 5, 6, 7, 8, 0x10


@dataclass(frozen=True)
class Variable:
    """One variable, member, element or pointee, with its value or why there is none."""

    name: str
    type_name: str
    kind: str
    """"parameter", "local", "member", "element" or "pointee"."""
    value: str | None
    address: int | None
    """Where in linear memory the value lies, when it does."""
    unavailable: str | None
    children: tuple[Variable, ...] = ()
    decl_line: int | None = None


def quote(raw: bytes, truncated: bool = False) -> str:
    """Bytes as a double-quoted string: printable ASCII as is, everything else escaped."""
    out = []
    for byte in raw:
        if byte in (0x22, 0x5C):
            out.append("\\" + chr(byte))
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        elif byte == 0x0A:
            out.append("\\n")
        else:
            out.append(f"\\x{byte:02x}")
    return '"' + "".join(out) + '"' + ("…" if truncated else "")


def quote_text(text: str, truncated: bool = False) -> str:
    """Decoded text (a Rust `&str`) quoted, with non-printable characters escaped."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return '"' + "".join(out) + '"' + ("…" if truncated else "")


def clean(text: str) -> str:
    """A name from the DWARF with control characters escaped."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def _text(value: object) -> str:
    return clean(value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))


@dataclass
class Budget:
    """What one scope may still produce."""

    values: int = MAX_VALUES


@dataclass
class TypeNamer:
    """Source names of types; the unit's language decides `struct x` (C) or `ns::x` (C++, Rust)."""

    forest: DieForest
    _names: dict[tuple[int, int], str] = field(default_factory=dict)

    def language(self, tree: UnitTree) -> int | None:
        attr = tree.dies[0].attributes.get("DW_AT_language") if tree.dies else None
        return int(attr.value) if attr is not None else None

    def qualified(self, tree: UnitTree, i: int) -> str:
        """A DIE's name prefixed by its enclosing namespaces and types (C++, Rust)."""
        name = _text(tree.dies[i].attributes["DW_AT_name"].value) if "DW_AT_name" in tree.dies[i].attributes else ""
        parts = [name]
        j = tree.parents[i]
        hops = 0
        while j > 0 and hops < MAX_REFERENCE_HOPS:
            die = tree.dies[j]
            if die.tag in _SCOPES and "DW_AT_name" in die.attributes:
                parts.append(_text(die.attributes["DW_AT_name"].value))
            elif die.tag == "DW_TAG_namespace":
                parts.append("(anonymous namespace)")
            j = tree.parents[j]
            hops += 1
        return "::".join(reversed(parts))

    def name(self, found: tuple[UnitTree, int] | None, hops: int = 0) -> str:
        if found is None:
            return "void"
        tree, i = found
        key = (int(tree.cu.cu_offset), i)
        if key in self._names:
            return self._names[key]
        self._names[key] = "…"  # a cycle names itself once
        self._names[key] = result = self._name(tree, i, hops)
        return result

    def _name(self, tree: UnitTree, i: int, hops: int) -> str:
        die = tree.dies[i]
        tag = die.tag
        if hops > MAX_REFERENCE_HOPS:
            return "…"
        target = self.forest.follow(tree, i, "DW_AT_type")
        own = "DW_AT_name" in die.attributes
        if tag in _POINTERS:
            if own:  # Rust names its pointer and reference types: `&u32`, `*mut u8`
                return _text(die.attributes["DW_AT_name"].value)
            return self.name(target, hops + 1) + _POINTERS[tag]
        if tag in _QUALIFIERS:
            inner = self.name(target, hops + 1)
            pointee_is_pointer = target is not None and target[0].dies[target[1]].tag in _POINTERS
            return f"{inner} {_QUALIFIERS[tag]}" if pointee_is_pointer else f"{_QUALIFIERS[tag]} {inner}"
        if tag == "DW_TAG_array_type":
            dims = "".join(f"[{n}]" if n is not None else "[]" for n in self.dimensions(tree, i))
            return self.name(target, hops + 1) + dims
        if tag == "DW_TAG_subroutine_type":
            return "function"
        if tag in _AGGREGATES or tag == "DW_TAG_enumeration_type":
            keyword = _AGGREGATES.get(tag, "enum")
            if self.language(tree) in _C_LANGUAGES:
                return f"{keyword} {_text(die.attributes['DW_AT_name'].value)}" if own else f"{keyword} <anonymous>"
            return self.qualified(tree, i) if own else f"<anonymous {keyword}>"
        if tag == "DW_TAG_typedef" and own and self.language(tree) not in _C_LANGUAGES:
            return self.qualified(tree, i)
        if own:
            return _text(die.attributes["DW_AT_name"].value)
        return "?"

    def dimensions(self, tree: UnitTree, i: int) -> list[int | None]:
        out: list[int | None] = []
        for j in tree.children(i):
            die = tree.dies[j]
            if die.tag != "DW_TAG_subrange_type":
                continue
            count = die.attributes.get("DW_AT_count")
            upper = die.attributes.get("DW_AT_upper_bound")
            lower = die.attributes.get("DW_AT_lower_bound")
            if count is not None and isinstance(count.value, int):
                out.append(count.value)
            elif upper is not None and isinstance(upper.value, int):
                out.append(upper.value - (lower.value if lower is not None and isinstance(lower.value, int) else 0) + 1)
            else:
                out.append(None)
        return out or [None]


def _size(found: tuple[UnitTree, int] | None, forest: DieForest, namer: TypeNamer, hops: int = 0) -> int | None:
    """A type's size in bytes."""
    if found is None or hops > MAX_REFERENCE_HOPS:
        return None
    tree, i = found
    die = tree.dies[i]
    attr = die.attributes.get("DW_AT_byte_size")
    if attr is not None and isinstance(attr.value, int):
        return int(attr.value)
    if die.tag in _POINTERS:
        return 4
    if die.tag == "DW_TAG_array_type":
        element = _size(forest.follow(tree, i, "DW_AT_type"), forest, namer, hops + 1)
        total = element
        for n in namer.dimensions(tree, i):
            if n is None or total is None:
                return None
            total *= n
        return total
    if die.tag in ("DW_TAG_typedef", *_QUALIFIERS):
        return _size(forest.follow(tree, i, "DW_AT_type"), forest, namer, hops + 1)
    return None


def _strip(forest: DieForest, found: tuple[UnitTree, int] | None) -> tuple[UnitTree, int] | None:
    """Through typedefs and qualifiers to the type that decides how a value reads."""
    for _ in range(MAX_REFERENCE_HOPS):
        if found is None:
            return None
        tree, i = found
        if tree.dies[i].tag not in ("DW_TAG_typedef", *_QUALIFIERS):
            return found
        found = forest.follow(tree, i, "DW_AT_type")
    return None


class ValueReader:
    """Reads values of DWARF types out of one stop's state."""

    def __init__(self, forest: DieForest, state: FrameState, budget: Budget) -> None:
        self.forest = forest
        self.state = state
        self.budget = budget
        self.namer = TypeNamer(forest)

    def type_name(self, found: tuple[UnitTree, int] | None) -> str:
        return self.namer.name(found)

    def size(self, found: tuple[UnitTree, int] | None) -> int | None:
        return _size(found, self.forest, self.namer)

    def variable(
        self, name: str, kind: str, found: tuple[UnitTree, int] | None, raw: bytes | None, address: int | None,
        depth: int, unavailable: str | None = None, decl_line: int | None = None,
    ) -> Variable:  # fmt: skip
        """A variable of type `found` whose bytes are `raw` (None: `unavailable` says why)."""
        self.budget.values -= 1
        type_name = self.type_name(found)
        if raw is None:
            return Variable(name, type_name, kind, None, address, unavailable or "unavailable", (), decl_line)
        try:
            value, children = self._render(found, raw, address, depth, name)
        except Exception as error:  # noqa: BLE001 - one bad type must not lose the other variables
            return Variable(name, type_name, kind, None, address, f"could not be read: {clean(str(error))[:80]}", (), decl_line)
        return Variable(name, type_name, kind, value, address, None, children, decl_line)

    def read(self, address: int, size: int | None) -> bytes | None:
        if size is None or size <= 0 or size > 1 << 20:
            return None
        return self.state.read_memory(address, size)

    def _render(
        self, found: tuple[UnitTree, int] | None, raw: bytes, address: int | None, depth: int, name: str,
    ) -> tuple[str | None, tuple[Variable, ...]]:  # fmt: skip
        base = _strip(self.forest, found)
        if base is None:
            return None, ()
        tree, i = base
        die = tree.dies[i]
        tag = die.tag
        if tag == "DW_TAG_base_type":
            return self._scalar(die, raw), ()
        if tag == "DW_TAG_enumeration_type":
            return self._enum(tree, i, raw), ()
        if tag in _POINTERS:
            return self._pointer(tree, i, raw, depth, name)
        if tag == "DW_TAG_array_type":
            return self._array(tree, i, raw, address, depth)
        if tag in _AGGREGATES:
            return self._aggregate(tree, i, raw, address, depth)
        return None, ()

    def _scalar(self, die: object, raw: bytes) -> str:
        attrs = getattr(die, "attributes", {})
        encoding = int(attrs["DW_AT_encoding"].value) if "DW_AT_encoding" in attrs else _ATE_UNSIGNED
        size = len(raw)
        if encoding == _ATE_FLOAT and size in (4, 8):
            return repr(struct.unpack("<f" if size == 4 else "<d", raw)[0])
        if encoding == _ATE_BOOLEAN:
            return "true" if any(raw) else "false"
        signed = encoding in (_ATE_SIGNED, _ATE_SIGNED_CHAR)
        number = int.from_bytes(raw, "little", signed=signed)
        if encoding in (_ATE_SIGNED_CHAR, _ATE_UNSIGNED_CHAR) and size == 1:
            return f"{number} '{_char(quote(bytes([raw[0]]))[1:-1])}'"
        if encoding == _ATE_UTF:
            if 0 <= number <= 0x10FFFF and not 0xD800 <= number <= 0xDFFF:
                return f"{number} '{_char(quote_text(chr(number))[1:-1])}'"
            return str(number)
        return str(number)

    def _enum(self, tree: UnitTree, i: int, raw: bytes) -> str:
        underlying = _strip(self.forest, self.forest.follow(tree, i, "DW_AT_type"))
        signed = False
        if underlying is not None:
            attrs = underlying[0].dies[underlying[1]].attributes
            signed = "DW_AT_encoding" in attrs and int(attrs["DW_AT_encoding"].value) in (_ATE_SIGNED, _ATE_SIGNED_CHAR)
        number = int.from_bytes(raw, "little", signed=signed)
        for j in tree.children(i):
            die = tree.dies[j]
            value = die.attributes.get("DW_AT_const_value")
            if die.tag == "DW_TAG_enumerator" and value is not None and isinstance(value.value, int):
                if value.value == number or value.value % (1 << (8 * len(raw))) == number % (1 << (8 * len(raw))):
                    return _text(die.attributes["DW_AT_name"].value) if "DW_AT_name" in die.attributes else str(number)
        return str(number)

    def _pointer(self, tree: UnitTree, i: int, raw: bytes, depth: int, name: str) -> tuple[str | None, tuple[Variable, ...]]:
        pointer = int.from_bytes(raw[:4], "little")
        target = self.forest.follow(tree, i, "DW_AT_type")
        pointee = _strip(self.forest, target)
        if pointer == 0:
            return "0x0 (null)", ()
        shown = f"{pointer:#x}"
        if pointee is not None:
            pdie = pointee[0].dies[pointee[1]]
            attrs = pdie.attributes
            if pdie.tag == "DW_TAG_base_type" and self.size(pointee) == 1 and "DW_AT_encoding" in attrs and int(
                attrs["DW_AT_encoding"].value
            ) in (_ATE_SIGNED_CHAR, _ATE_UNSIGNED_CHAR):
                text = self._c_string(pointer)
                return (f"{shown} {text}" if text is not None else f"{shown} <unreadable>"), ()
        if depth <= 0 or pointee is None or self.budget.values <= 0:
            return shown, ()
        size = self.size(target)
        raw_pointee = self.read(pointer, size)
        child = self.variable(f"*{name}", "pointee", target, raw_pointee, pointer, depth - 1,
                              unavailable=f"memory at {pointer:#x} unreadable" if size else "pointee of unknown size")  # fmt: skip
        return shown, (child,)

    def _c_string(self, address: int) -> str | None:
        raw = self.read(address, MAX_STRING)
        if raw is None:  # near the end of memory: read byte by byte up to it
            chunk = bytearray()
            for k in range(MAX_STRING):
                byte = self.state.read_memory(address + k, 1)
                if not byte:
                    break
                chunk += byte
                if byte == b"\0":
                    break
            if not chunk:
                return None
            raw = bytes(chunk)
        nul = raw.find(b"\0")
        return quote(raw[:nul]) if nul >= 0 else quote(raw, truncated=True)

    def _array(self, tree: UnitTree, i: int, raw: bytes, address: int | None, depth: int) -> tuple[str | None, tuple[Variable, ...]]:
        element = self.forest.follow(tree, i, "DW_AT_type")
        size = self.size(element)
        dims = self.namer.dimensions(tree, i)
        count = dims[0]
        if size is None or size <= 0 or count is None:
            return "[?]", ()
        inner = _strip(self.forest, element)
        value = None
        if inner is not None and size == 1 and inner[0].dies[inner[1]].tag == "DW_TAG_base_type":
            attrs = inner[0].dies[inner[1]].attributes
            if "DW_AT_encoding" in attrs and int(attrs["DW_AT_encoding"].value) in (_ATE_SIGNED_CHAR, _ATE_UNSIGNED_CHAR):
                nul = raw.find(b"\0")
                value = quote(raw[:nul]) if nul >= 0 else quote(raw)
        if len(dims) > 1:
            return value or f"[{count}]", ()  # multi-dimensional arrays: the shape only
        if value is not None or depth <= 0:  # a char array reads as its string, not as characters
            return value or f"[{count}]", ()
        children = []
        for k in range(min(count, MAX_ELEMENTS)):
            if self.budget.values <= 0:
                break
            piece = raw[k * size : (k + 1) * size]
            at = None if address is None else address + k * size
            children.append(self.variable(f"[{k}]", "element", element, piece if len(piece) == size else None, at, depth - 1,
                                          unavailable="past the bytes read"))  # fmt: skip
        if count > MAX_ELEMENTS:
            children.append(Variable("…", "", "element", f"{count - MAX_ELEMENTS} more", None, None))
        return value, tuple(children)

    def _members(self, tree: UnitTree, i: int) -> list[tuple[str, tuple[UnitTree, int] | None, int | None, int, int | None]]:
        """(name, type, byte offset, index, bit size) of each data member and base class."""
        out = []
        for j in tree.children(i):
            die = tree.dies[j]
            if die.tag not in ("DW_TAG_member", "DW_TAG_inheritance"):
                continue
            if "DW_AT_declaration" in die.attributes or "DW_AT_external" in die.attributes:
                continue  # a static member has no bytes in the object
            location = die.attributes.get("DW_AT_data_member_location")
            offset: int | None = 0
            if location is not None:
                value = location.value
                if isinstance(value, int):
                    offset = value
                elif isinstance(value, list) and len(value) >= 2 and value[0] == 0x23:  # DW_OP_plus_uconst
                    offset = _uleb_list(value[1:])
                else:
                    offset = None
            bits = die.attributes.get("DW_AT_bit_size")
            target = self.forest.follow(tree, j, "DW_AT_type")
            if die.tag == "DW_TAG_inheritance":
                member = f"<{self.type_name(target)}>"
            else:
                member = _text(die.attributes["DW_AT_name"].value) if "DW_AT_name" in die.attributes else "<anonymous>"
            out.append((member, target, offset, j, int(bits.value) if bits is not None else None))
        return out

    def _aggregate(self, tree: UnitTree, i: int, raw: bytes, address: int | None, depth: int) -> tuple[str | None, tuple[Variable, ...]]:
        members = self._members(tree, i)
        name = _text(tree.dies[i].attributes["DW_AT_name"].value) if "DW_AT_name" in tree.dies[i].attributes else ""
        by_name = {m[0]: m for m in members}
        if (name.startswith(("&[", "&mut [", "*const [", "*mut [")) or name in ("&str", "&mut str")) and {
            "data_ptr", "length"} <= set(by_name):  # fmt: skip
            return self._slice(name, by_name["data_ptr"], by_name["length"], raw, depth)
        if depth <= 0:
            return "{…}", ()
        children = []
        for member, target, offset, j, bits in members:
            if self.budget.values <= 0:
                break
            line = tree.dies[j].attributes.get("DW_AT_decl_line")
            decl = int(line.value) if line is not None and isinstance(line.value, int) else None
            size = self.size(target)
            if offset is None or size is None:
                children.append(self.variable(member, "member", target, None, None, depth - 1, "member at an unknown offset", decl))
                continue
            if bits is not None:
                children.append(self._bitfield(member, tree, j, target, raw, offset, size, bits, decl))
                continue
            piece = raw[offset : offset + size]
            at = None if address is None else address + offset
            children.append(self.variable(member, "member", target, piece if len(piece) == size else None, at, depth - 1,
                                          "past the bytes read", decl))  # fmt: skip
        return None, tuple(children)

    def _bitfield(
        self, member: str, tree: UnitTree, j: int, target: tuple[UnitTree, int] | None, raw: bytes, offset: int,
        size: int, bits: int, decl: int | None,
    ) -> Variable:  # fmt: skip
        self.budget.values -= 1
        attrs = tree.dies[j].attributes
        bit_offset = int(attrs["DW_AT_data_bit_offset"].value) if "DW_AT_data_bit_offset" in attrs else 8 * offset
        container = int.from_bytes(raw, "little")
        value = (container >> bit_offset) & ((1 << bits) - 1) if bits > 0 else 0
        return Variable(member, f"{self.type_name(target)} : {bits}", "member", str(value), None, None, (), decl)

    def _slice(
        self, name: str, data: tuple[str, tuple[UnitTree, int] | None, int | None, int, int | None],
        length: tuple[str, tuple[UnitTree, int] | None, int | None, int, int | None], raw: bytes, depth: int,
    ) -> tuple[str | None, tuple[Variable, ...]]:  # fmt: skip
        if data[2] is None or length[2] is None:
            return None, ()
        pointer = int.from_bytes(raw[data[2] : data[2] + 4], "little")
        count = int.from_bytes(raw[length[2] : length[2] + 4], "little")
        if name.endswith("str"):
            text = self.read(pointer, min(count, MAX_STRING)) if count else b""
            if text is None:
                return f"len {count} <unreadable>", ()
            return f"len {count} {quote_text(text.decode('utf-8', 'replace'), truncated=count > MAX_STRING)}", ()
        pointer_type = data[1]
        element = self.forest.follow(*pointer_type, "DW_AT_type") if pointer_type is not None else None
        size = self.size(element)
        if depth <= 0 or size is None or size <= 0:
            return f"len {count}", ()
        shown = min(count, MAX_ELEMENTS)
        block = self.read(pointer, shown * size) if shown else b""
        children = []
        for k in range(shown):
            if self.budget.values <= 0:
                break
            piece = block[k * size : (k + 1) * size] if block is not None else None
            children.append(self.variable(f"[{k}]", "element", element, piece, pointer + k * size, depth - 1,
                                          f"memory at {pointer + k * size:#x} unreadable"))  # fmt: skip
        if count > MAX_ELEMENTS:
            children.append(Variable("…", "", "element", f"{count - MAX_ELEMENTS} more", None, None))
        return f"len {count}", tuple(children)


def _char(quoted: str) -> str:
    """A character as it reads between single quotes (the double quote needs no escape there)."""
    return {"\\\"": '"', "'": "\\'"}.get(quoted, quoted)


def _uleb_list(code: list[int]) -> int | None:
    result = shift = 0
    for byte in code:
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result
    return None

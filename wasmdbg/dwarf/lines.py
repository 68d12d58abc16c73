"""A direct decoder of one `.debug_line` program: its header and the rows of its line table.

It exists because pyelftools' line-program decoder dominated the cold index build (a Construct
parse and a `LineState` copy per row, ~16x slower than this). It replaces pyelftools on the hot
path only: `build` falls back to pyelftools wherever this decoder raises `LineProgramError`, and
the tests hold the two to identical results on every module at hand, so this module reproduces
pyelftools' reading of the state machine (including its quirks, noted where they matter) rather
than the letter of the standard. Everything pyelftools would read differently from the standard, or
that cannot be read at all, is rejected instead of guessed at.

Every length and count is checked against the bytes left before it is trusted, so hostile input
costs time linear in its size and ends in `LineProgramError`.
"""

from __future__ import annotations

from dataclasses import dataclass

Row = tuple[int, int, int, int]
"""(address, file, line, column) of one emitted state."""

_MAX_LEB_BYTES = 10
"""A LEB128 this long already holds 70 bits; longer ones are rejected, not summed (quadratic ints)."""

# Standard opcodes pyelftools knows; anything else below opcode_base is skipped by its operand count.
_COPY, _ADVANCE_PC, _ADVANCE_LINE, _SET_FILE, _SET_COLUMN = 1, 2, 3, 4, 5
_NEGATE_STMT, _SET_BASIC_BLOCK, _CONST_ADD_PC, _FIXED_ADVANCE_PC = 6, 7, 8, 9
_SET_PROLOGUE_END, _SET_EPILOGUE_BEGIN, _SET_ISA = 10, 11, 12
_END_SEQUENCE, _SET_ADDRESS, _DEFINE_FILE, _SET_DISCRIMINATOR = 1, 2, 3, 4

_LNCT_PATH, _LNCT_DIRECTORY_INDEX = 1, 2
# The content types pyelftools' enum knows; an unknown one makes it raise, so it is rejected here.
_KNOWN_LNCT = {1, 2, 3, 4, 5, 0x2000, 0x2001, 0x2002, 0x3FFF}

_FORM_BLOCK2, _FORM_BLOCK4, _FORM_DATA2, _FORM_DATA4, _FORM_DATA8 = 0x03, 0x04, 0x05, 0x06, 0x07
_FORM_STRING, _FORM_BLOCK, _FORM_BLOCK1, _FORM_DATA1, _FORM_FLAG = 0x08, 0x09, 0x0A, 0x0B, 0x0C
_FORM_SDATA, _FORM_STRP, _FORM_UDATA, _FORM_DATA16, _FORM_LINE_STRP = 0x0D, 0x0E, 0x0F, 0x1E, 0x1F
_FIXED_FORM_SIZES = {_FORM_DATA1: 1, _FORM_FLAG: 1, _FORM_DATA2: 2, _FORM_DATA4: 4, _FORM_DATA8: 8, _FORM_DATA16: 16}
_STRING_FORMS = {_FORM_STRING, _FORM_STRP, _FORM_LINE_STRP}
_INDEX_FORMS = {_FORM_DATA1, _FORM_DATA2, _FORM_DATA4, _FORM_DATA8, _FORM_UDATA, _FORM_SDATA}
_SKIPPED_FORMS = {*_FIXED_FORM_SIZES, *_STRING_FORMS, _FORM_UDATA, _FORM_SDATA, _FORM_BLOCK, _FORM_BLOCK1,
                  _FORM_BLOCK2, _FORM_BLOCK4}  # fmt: skip
# Not accepted: strx* (pyelftools raises NotImplementedError on them), strp_sup/GNU_strp_alt (they
# need a supplementary file), and every form a line table header has no business holding.


class LineProgramError(ValueError):
    """The program is malformed, truncated, or uses something this decoder leaves to pyelftools."""


class LineProgramUnreadable(LineProgramError):
    """A program no reader can decode within bounds: `build` must not hand it to pyelftools either."""


@dataclass(frozen=True, slots=True)
class FileEntry:
    name: bytes
    dir_index: int


@dataclass(frozen=True, slots=True)
class LineProgram:
    """One decoded line program: what `build` reads from its header, and its rows by sequence."""

    version: int
    dwarf64: bool
    include_directory: tuple[bytes, ...]
    """Directory names as pyelftools' `include_directory` holds them (DWARF 5: entry 0 included)."""
    file_entry: tuple[FileEntry, ...]
    sequences: list[tuple[list[Row], Row]]
    """(rows, the DW_LNE_end_sequence row) per sequence, in program order; rows are not deduplicated."""
    trailing: list[Row]
    """Rows after the last end_sequence (a program cut short of one; `build` drops them)."""

    def rows(self) -> list[tuple[int, int, int, int, bool]]:
        """Every emitted state as (address, file, line, column, end_sequence), as pyelftools lists them."""
        out: list[tuple[int, int, int, int, bool]] = []
        for rows, end in self.sequences:
            out.extend((*row, False) for row in rows)
            out.append((*end, True))
        out.extend((*row, False) for row in self.trailing)
        return out


class _Reader:
    """Bounded reads over [pos, end) of one buffer; every overrun is a LineProgramError."""

    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes, pos: int, end: int) -> None:
        self.data, self.pos, self.end = data, pos, end

    def fixed(self, size: int) -> int:
        pos = self.pos
        if pos + size > self.end:
            raise LineProgramError(f"truncated at {pos:#x}: {size} bytes needed")
        self.pos = pos + size
        return int.from_bytes(self.data[pos : pos + size], "little")

    def skip(self, size: int) -> None:
        if size < 0 or self.pos + size > self.end:
            raise LineProgramError(f"truncated at {self.pos:#x}: {size} bytes needed")
        self.pos += size

    def uleb(self) -> int:
        data, pos, end = self.data, self.pos, self.end
        value = shift = 0
        while True:
            if pos >= end or shift >= 7 * _MAX_LEB_BYTES:
                raise LineProgramError(f"bad LEB128 at {self.pos:#x}")
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                self.pos = pos
                return value

    def sleb(self) -> int:
        start = self.pos
        value = self.uleb()
        bits = 7 * (self.pos - start)
        if value >> (bits - 1):
            value -= 1 << bits
        return value

    def cstring(self) -> bytes:
        nul = self.data.find(b"\0", self.pos, self.end)
        if nul < 0:
            raise LineProgramError(f"unterminated string at {self.pos:#x}")
        text = self.data[self.pos : nul]
        self.pos = nul + 1
        return text


def _string_at(section: bytes | None, offset: int, name: str) -> bytes:
    if section is None:
        raise LineProgramError(f"a string in {name}, which is absent")
    nul = section.find(b"\0", offset) if 0 <= offset < len(section) else -1
    if nul < 0:
        raise LineProgramError(f"no string at {offset:#x} in {name}")
    return section[offset:nul]


def _entry_formats(reader: _Reader) -> list[tuple[int, int]]:
    formats = []
    for _ in range(reader.fixed(1)):
        content, form = reader.uleb(), reader.uleb()
        if content not in _KNOWN_LNCT:
            raise LineProgramError(f"unknown line table content type {content:#x}")
        if form not in _SKIPPED_FORMS:
            raise LineProgramError(f"line table entry form {form:#x} is not read here")
        if content == _LNCT_PATH and form not in _STRING_FORMS:
            raise LineProgramError(f"a path in form {form:#x}")
        if content == _LNCT_DIRECTORY_INDEX and form not in _INDEX_FORMS:
            raise LineProgramError(f"a directory index in form {form:#x}")
        formats.append((content, form))
    return formats


def _entries(
    reader: _Reader, formats: list[tuple[int, int]], offset_size: int, strings: bytes | None,
    line_strings: bytes | None,
) -> list[tuple[bytes | None, int | None]]:
    """DWARF 5 directory or file entries as (DW_LNCT_path, DW_LNCT_directory_index), None if absent."""
    count = reader.uleb()
    if not formats and count > reader.end - reader.pos:
        # pyelftools would build `count` empty entries one by one: billions, for a 5-byte LEB128.
        raise LineProgramUnreadable(f"{count} line table entries of no fields each")
    # Every accepted form takes at least one byte, so a count beyond the bytes left cannot be met.
    if count and (not formats or count > reader.end - reader.pos):
        raise LineProgramError(f"{count} entries in {reader.end - reader.pos} bytes")
    out: list[tuple[bytes | None, int | None]] = []
    for _ in range(count):
        path: bytes | None = None
        index: int | None = None
        for content, form in formats:
            # Later fields of one content type overwrite earlier ones, as in pyelftools' Struct.
            if form == _FORM_STRING:
                text = reader.cstring()
                if content == _LNCT_PATH:
                    path = text
            elif form == _FORM_LINE_STRP or form == _FORM_STRP:
                where = reader.fixed(offset_size)
                if content == _LNCT_PATH:
                    path = (
                        _string_at(line_strings, where, ".debug_line_str") if form == _FORM_LINE_STRP
                        else _string_at(strings, where, ".debug_str")
                    )  # fmt: skip
                elif form == _FORM_LINE_STRP:
                    # pyelftools resolves every string form, whatever the content; a bad one raises there.
                    _string_at(line_strings, where, ".debug_line_str")
                else:
                    _string_at(strings, where, ".debug_str")
            elif form == _FORM_UDATA or form == _FORM_SDATA:
                number = reader.uleb() if form == _FORM_UDATA else reader.sleb()
                if content == _LNCT_DIRECTORY_INDEX:
                    index = number
            elif form in _FIXED_FORM_SIZES:
                size = _FIXED_FORM_SIZES[form]
                if content == _LNCT_DIRECTORY_INDEX:
                    index = reader.fixed(size)
                else:
                    reader.skip(size)
            else:
                length = reader.uleb() if form == _FORM_BLOCK else reader.fixed(
                    {_FORM_BLOCK1: 1, _FORM_BLOCK2: 2, _FORM_BLOCK4: 4}[form]
                )
                reader.skip(length)
        out.append((path, index))
    return out


def decode_line_program(
    section: bytes,
    offset: int,
    address_size: int,
    *,
    strings: bytes | None = None,
    line_strings: bytes | None = None,
) -> LineProgram:
    """Decode the line program at `offset` of `.debug_line` for a unit with `address_size`-byte addresses.

    Args:
        section: the whole `.debug_line` payload.
        offset: the unit's DW_AT_stmt_list.
        address_size: the unit's address size (DW_LNE_set_address operands; a DWARF 5 header's own
            address_size is ignored, as pyelftools ignores it).
        strings: `.debug_str`, for DW_FORM_strp entries.
        line_strings: `.debug_line_str`, for DW_FORM_line_strp entries.

    Raises:
        LineProgramError: on anything malformed or not read here; nothing else.
    """
    if not 0 <= offset <= len(section) - 4:
        raise LineProgramError(f"line program offset {offset:#x} outside .debug_line ({len(section)} bytes)")
    if address_size not in (1, 2, 4, 8):
        raise LineProgramError(f"address size {address_size}")
    head = _Reader(section, offset, len(section))
    unit_length = head.fixed(4)
    dwarf64 = unit_length == 0xFFFFFFFF
    if dwarf64:
        unit_length = head.fixed(8)
    elif unit_length >= 0xFFFFFFF0:
        raise LineProgramError(f"reserved unit length {unit_length:#x}")
    if unit_length > len(section) - head.pos:
        raise LineProgramError(f"unit length {unit_length:#x} beyond .debug_line")
    reader = _Reader(section, head.pos, head.pos + unit_length)
    end = reader.end
    version = reader.fixed(2)
    if not 2 <= version <= 5:
        raise LineProgramError(f"line table version {version}")
    offset_size = 8 if dwarf64 else 4
    if version >= 5:
        reader.skip(2)  # address_size, segment_selector_size
    header_length = reader.fixed(offset_size)
    if header_length > end - reader.pos:
        raise LineProgramError(f"header length {header_length:#x} beyond the unit")
    # pyelftools starts the program where its header parse ends, not at header_length; the two
    # must agree for this decoder to read what pyelftools reads.
    program_start = reader.pos + header_length
    min_inst_length = reader.fixed(1)
    max_ops = reader.fixed(1) if version >= 4 else 1
    reader.skip(1)  # default_is_stmt: no row consumer reads is_stmt
    line_base = reader.fixed(1)
    if line_base >= 0x80:
        line_base -= 0x100
    line_range = reader.fixed(1)
    opcode_base = reader.fixed(1)
    if opcode_base == 0:
        raise LineProgramError("opcode_base 0")
    if line_range == 0 or max_ops == 0:
        raise LineProgramError("line_range or maximum_operations_per_instruction is 0")
    if opcode_base - 1 > end - reader.pos:
        raise LineProgramError(f"opcode_base {opcode_base} beyond the unit")
    operand_counts = section[reader.pos : reader.pos + opcode_base - 1]
    reader.pos += opcode_base - 1

    files: list[FileEntry] = []
    if version >= 5:
        formats = _entry_formats(reader)
        directories = _entries(reader, formats, offset_size, strings, line_strings)
        formats = _entry_formats(reader)
        file_names = _entries(reader, formats, offset_size, strings, line_strings)
        # pyelftools builds include_directory/file_entry only from non-empty lists, and needs a
        # path in every directory and a directory index in every file for `build` to read them.
        if not directories or not file_names:
            raise LineProgramError("a DWARF 5 line table without directories or files")
        include: list[bytes] = []
        for path, _ in directories:
            if path is None:
                raise LineProgramError("a directory without DW_LNCT_path")
            include.append(path)
        for path, index in file_names:
            if path is None or index is None:
                raise LineProgramError("a file without DW_LNCT_path or DW_LNCT_directory_index")
            files.append(FileEntry(path, index))
    else:
        include = []
        while (directory := reader.cstring()) != b"":
            include.append(directory)
        while (name := reader.cstring()) != b"":
            dir_index = reader.uleb()
            reader.uleb()  # mtime
            reader.uleb()  # length
            files.append(FileEntry(name, dir_index))
    if reader.pos != program_start:
        raise LineProgramError(f"header ends at {reader.pos:#x}, header_length says {program_start:#x}")

    sequences, trailing = _run(
        section, reader.pos, end, address_size, min_inst_length, max_ops, line_base, line_range, opcode_base,
        operand_counts,
    )  # fmt: skip
    return LineProgram(version, dwarf64, tuple(include), tuple(files), sequences, trailing)


def _run(
    data: bytes, pos: int, end: int, address_size: int, min_inst_length: int, max_ops: int, line_base: int,
    line_range: int, opcode_base: int, operand_counts: bytes,
) -> tuple[list[tuple[list[Row], Row]], list[Row]]:
    """The state machine over [pos, end). One opcode consumes at least one byte, so it ends."""
    # Per special opcode: operation advance and line advance, precomputed once per program.
    op_advance = [0] * 256
    line_advance = [0] * 256
    for opcode in range(opcode_base, 256):
        adjusted = opcode - opcode_base
        op_advance[opcode] = adjusted // line_range
        line_advance[opcode] = line_base + adjusted % line_range
    # With one operation per instruction op_index stays 0, so the address advance is a product.
    address_advance = [advance * min_inst_length for advance in op_advance]
    const_add_pc = ((255 - opcode_base) // line_range) * min_inst_length  # pyelftools ignores op_index here
    vliw = max_ops != 1

    sequences: list[tuple[list[Row], Row]] = []
    rows: list[Row] = []
    append = rows.append
    address, file, line, column, op_index = 0, 1, 1, 0, 0
    try:
        while pos < end:
            opcode = data[pos]
            pos += 1
            if opcode >= opcode_base:
                if vliw:
                    total = op_index + op_advance[opcode]
                    address += min_inst_length * (total // max_ops)
                    op_index = total % max_ops
                else:
                    address += address_advance[opcode]
                line += line_advance[opcode]
                append((address, file, line, column))
            elif opcode == 0:
                byte = data[pos]
                pos += 1
                if byte < 0x80:
                    length = byte
                else:
                    length, shift = byte & 0x7F, 7
                    while byte >= 0x80:
                        if shift >= 7 * _MAX_LEB_BYTES:
                            raise LineProgramError(f"bad LEB128 at {pos:#x}")
                        byte = data[pos]
                        pos += 1
                        length |= (byte & 0x7F) << shift
                        shift += 7
                if length == 0 or length > end - pos:
                    raise LineProgramError(f"extended opcode of length {length} at {pos:#x}")
                stop = pos + length
                sub = data[pos]
                pos += 1
                if sub == _END_SEQUENCE:
                    if length != 1:  # pyelftools reads on right after the opcode, whatever the length
                        raise LineProgramError(f"DW_LNE_end_sequence of length {length} at {pos:#x}")
                    sequences.append((rows, (address, file, line, column)))
                    rows = []
                    append = rows.append
                    address, file, line, column, op_index = 0, 1, 1, 0, 0
                elif sub == _SET_ADDRESS:
                    # pyelftools reads the unit's address size whatever the length says; they must agree.
                    if length != 1 + address_size:
                        raise LineProgramError(f"DW_LNE_set_address of length {length} at {pos:#x}")
                    address = int.from_bytes(data[pos:stop], "little")
                elif sub == _DEFINE_FILE:
                    # pyelftools appends to its cached header's file list here; left to it.
                    raise LineProgramError("DW_LNE_define_file")
                elif sub == _SET_DISCRIMINATOR:
                    # No row consumer reads the discriminator, but its LEB128 must fill the length
                    # exactly: pyelftools reads the LEB128, not the length.
                    while pos < stop and data[pos] >= 0x80:
                        pos += 1
                    if pos + 1 != stop or length > 1 + _MAX_LEB_BYTES:
                        raise LineProgramError(f"DW_LNE_set_discriminator does not fill its length at {pos:#x}")
                # else: an unknown extended opcode, skipped by its length.
                pos = stop
            elif opcode == _COPY:
                append((address, file, line, column))
            elif opcode <= _SET_COLUMN:
                # advance_pc, advance_line, set_file, set_column: one LEB128 operand.
                byte = data[pos]
                pos += 1
                if byte < 0x80:
                    value = byte
                    bits = 7
                else:
                    value, bits = byte & 0x7F, 7
                    while byte >= 0x80:
                        if bits >= 7 * _MAX_LEB_BYTES:
                            raise LineProgramError(f"bad LEB128 at {pos:#x}")
                        byte = data[pos]
                        pos += 1
                        value |= (byte & 0x7F) << bits
                        bits += 7
                if opcode == _ADVANCE_PC:
                    address += value * min_inst_length  # pyelftools ignores op_index here
                elif opcode == _ADVANCE_LINE:
                    if value >> (bits - 1):
                        value -= 1 << bits
                    line += value
                elif opcode == _SET_FILE:
                    file = value
                else:
                    column = value
            elif opcode == _CONST_ADD_PC:
                address += const_add_pc
            elif opcode == _FIXED_ADVANCE_PC:
                if pos + 2 > end:
                    raise LineProgramError(f"truncated DW_LNS_fixed_advance_pc at {pos:#x}")
                address += data[pos] | data[pos + 1] << 8
                pos += 2
            elif opcode in (_NEGATE_STMT, _SET_BASIC_BLOCK, _SET_PROLOGUE_END, _SET_EPILOGUE_BEGIN):
                pass
            else:
                # set_isa and every opcode pyelftools does not know: their LEB128 operands, skipped.
                count = 1 if opcode == _SET_ISA else operand_counts[opcode - 1]
                for _ in range(count):
                    start = pos
                    while data[pos] >= 0x80:
                        pos += 1
                        if pos - start >= _MAX_LEB_BYTES:
                            raise LineProgramError(f"bad LEB128 at {start:#x}")
                    pos += 1
            if pos > end:
                raise LineProgramError(f"an opcode runs past the end of its unit at {end:#x}")
    except IndexError:
        raise LineProgramError(f"truncated line program at {pos:#x}") from None
    return sequences, rows

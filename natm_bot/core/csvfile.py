"""The one CSV reader: a spreadsheet's file as people save it, whatever the program and its
language made of it.

Excel writes commas in English, semicolons where the comma is the decimal mark (Spanish,
French, Portuguese), tabs for "Unicode text" (in UTF-16); the text is UTF-8 (with a byte
order mark or not), UTF-16 with a byte order mark, or the Windows code page (cp1252, the
superset of Latin-1 that Windows calls "ANSI"). `read_table` finds out which, says so
(`describe`), and refuses plainly what is no text table at all: empty, binary (a workbook
saved as .xlsx or .ods), or text that mixes two encodings. The writer is `text.write_csv`."""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass

from natm_bot.core.i18n import N_, _

MAX_BYTES = 5 * 1024 * 1024
MAX_CELL = 100_000

SEPARATORS = {
    ",": N_("comma-separated"),
    ";": N_("semicolon-separated"),
    "\t": N_("tab-separated"),
}
ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": N_("UTF-8 with a byte order mark"),
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
}

# The control characters (all but tab and line breaks; DEL; the C1 set). A few in a cell are
# refused with their row and field by whoever checks the cells; a NUL, or many, mean the
# file is no text at all.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A well-formed UTF-8 sequence for a character beyond ASCII: in a file that is not UTF-8 as
# a whole, it means two encodings are mixed (cp1252 text almost never has one by chance).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
# Zip (.xlsx, .ods) and OLE2 (.xls) files.
_WORKBOOK = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


class UnreadableTable(ValueError):
    """A file that is not a text table; the message says why, in the reader's language."""


@dataclass(frozen=True)
class Table:
    """The rows of a CSV file (the header first; empty rows kept, so that row N of the
    spreadsheet is `rows[N - 1]`), and how it was read."""

    rows: list[list[str]]
    separator: str
    encoding: str

    def describe(self) -> str:
        """How the file was read, for the reply: `semicolon-separated, Windows-1252`."""
        how = _("{separator}, {encoding}")
        return how.format(
            separator=_(SEPARATORS[self.separator]), encoding=_(ENCODINGS[self.encoding])
        )


def read_table(data: bytes) -> Table:
    """The rows of a CSV file's bytes, its separator and encoding found out, or
    UnreadableTable saying plainly why it cannot be read."""
    if len(data) > MAX_BYTES:
        raise UnreadableTable(
            _("it is larger than {size} MB; no members list needs that much").format(
                size=MAX_BYTES // (1024 * 1024)
            )
        )
    if data.startswith(_WORKBOOK):
        raise UnreadableTable(
            _("it is a spreadsheet workbook, not CSV: save it as CSV (comma or semicolon)")
        )
    text, encoding = _decoded(data)
    if not text.strip():
        raise UnreadableTable(_("it is empty"))
    if _binary(text):
        raise UnreadableTable(_("it is not a text file (a spreadsheet's own format?)"))
    separator = _separator(text)
    rows = _rows(text, separator)
    if not any(cell.strip() for row in rows for cell in row):
        raise UnreadableTable(_("it is empty"))
    return Table(rows, separator, encoding)


def _binary(text: str) -> bool:
    """Whether decoded text is really binary: a NUL, or one character in 20 a control."""
    return "\x00" in text or len(_CONTROL.findall(text)) * 20 > len(text)


def _decoded(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was in."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise UnreadableTable(_("it starts as UTF-16 text but is not UTF-16")) from None
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            raise UnreadableTable(_("it starts as UTF-8 text but is not UTF-8")) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _UTF8_SEQUENCE.search(data):
        raise UnreadableTable(
            _("it mixes UTF-8 with another encoding: save it again as “CSV UTF-8”")
        )
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise UnreadableTable(
            _("its encoding is not UTF-8, UTF-16 or Windows-1252: save it as “CSV UTF-8”")
        ) from None


def _separator(text: str) -> str:
    """The separator that splits the header line into the most cells (a comma when none
    splits it: a table of one column)."""
    header = next(line for line in text.splitlines() if line.strip())
    cells = {sep: len(next(csv.reader([header], delimiter=sep))) for sep in SEPARATORS}
    return max(SEPARATORS, key=lambda sep: cells[sep])


def _rows(text: str, separator: str) -> list[list[str]]:
    """Every row, the header first: row N of the spreadsheet is `rows[N - 1]`."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    rows = []
    try:
        for row in reader:
            if any(len(cell) > MAX_CELL for cell in row):
                raise UnreadableTable(
                    _("line {line} has a cell longer than {count} characters").format(
                        line=reader.line_num, count=MAX_CELL
                    )
                )
            rows.append(row)
    except csv.Error:
        raise UnreadableTable(
            _("line {line} is not valid CSV (look at its quotes)").format(line=reader.line_num)
        ) from None
    return rows

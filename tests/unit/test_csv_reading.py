"""The one CSV reader: any bytes either read as a table (saying how) or are refused with a
plain reason; nothing crashes it, and what a spreadsheet writes reads back as written."""

from __future__ import annotations

import codecs
import csv
import io
import re

from hypothesis import assume, example, given
from hypothesis import strategies as st

from natm_bot.core.csvfile import SEPARATORS, Table, UnreadableTable, read_table

CELLS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), max_codepoint=0x2FF),
    min_size=1,
    max_size=8,
).filter(lambda cell: cell.strip() == cell and cell[0] != '"')


@given(st.binary(max_size=400))
@example(b"")
@example(b"\xff\xfe")
@example(b"\xff\xfe\x00")
@example(b"\xef\xbb\xbf")
@example(b'"unclosed,\n')
@example(b"\r\r\r")
@example(b"a\x85b")
@example(b"\xe2\x80\xa8")
@example(b"\xc3(")
def test_any_bytes_read_as_a_table_or_are_refused_plainly(data: bytes) -> None:
    try:
        table = read_table(data)
    except UnreadableTable as exc:
        reason = str(exc)
        assert reason and "codec" not in reason and "\\x" not in reason
    else:
        assert isinstance(table, Table)
        assert any(cell.strip() for row in table.rows for cell in row)
        assert table.describe().count(",") == 1


@given(
    st.lists(st.lists(CELLS, min_size=2, max_size=4), min_size=2, max_size=5),
    st.sampled_from(sorted(SEPARATORS)),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
def test_what_a_spreadsheet_writes_reads_back(
    rows: list[list[str]], separator: str, encoding: str
) -> None:
    width = len(rows[0])
    rows = [(row * width)[:width] for row in rows]
    assume(not any(set(cell) & set(SEPARATORS) for cell in rows[0]))  # a header names columns
    out = io.StringIO()
    csv.writer(out, delimiter=separator, lineterminator="\r\n").writerows(rows)
    text = out.getvalue()
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
        encoding = "utf-8"
    if encoding == "cp1252":
        # "Ã©" in cp1252 is "é" in UTF-8: such text is UTF-8 (or refused as mixed).
        assume(not re.search(rb"[\xc2-\xf4][\x80-\xbf]", data))
        if data.isascii():
            encoding = "utf-8"
    table = read_table(data)
    assert table.rows == rows
    assert table.encoding == encoding
    if width > 1:
        assert table.separator == separator


def test_utf16_has_its_byte_order_mark() -> None:
    data = codecs.BOM_UTF16_LE + "a\tb\r\n1\t2\r\n".encode("utf-16-le")
    assert read_table(data).describe() == "tab-separated, UTF-16"

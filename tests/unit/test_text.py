"""The one text rule (natm_bot/text.py), checked on arbitrary input: what is stored has no
control or bidi-override character, links show as themselves, CSV cells never run."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from natm_bot.config.validation import unsafe_texts
from natm_bot.core.text import (
    REPLACEMENT,
    UnsafeText,
    checked,
    csv_cell,
    csv_value,
    find_unsafe,
    multi_line,
    neutralise,
    one_line,
    plain_url,
    write_csv,
)
from natm_bot.engine.rendering import md_link, render
from natm_bot.testing.harness import ChatHarness
from tests.conftest import examples

ADMIN = "@admin:localhost"
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Text with the characters that matter over-represented.
TRICKY = st.sampled_from(
    list("\x00\x1b\x9b\u202e\u2066\u2069\u200e\u200f\t\n\r\u2028 =+-@'＝_*[]()<>\"é")
)
TEXT = st.one_of(
    st.text(max_size=80), st.lists(st.one_of(TRICKY, st.text(max_size=4))).map("".join)
)


@given(TEXT)
def test_cleaned_text_never_holds_an_unsafe_character(text: str) -> None:
    for clean in (checked, one_line, multi_line):
        try:
            result = clean(text, "The title")
        except UnsafeText as exc:
            assert UNSAFE.search(text)
            assert re.search(r"\(U\+[0-9A-F]{4}\)", str(exc))
            assert not UNSAFE.search(str(exc))
        else:
            assert not UNSAFE.search(result)
    assert (find_unsafe(text) is None) == (UNSAFE.search(text) is None)


@given(TEXT)
def test_one_line_text_is_one_line_and_neutralised_text_is_safe(text: str) -> None:
    if find_unsafe(text) is None:
        assert "\n" not in one_line(text) and "\t" not in one_line(text)
        assert "\r" not in multi_line(text)
    shown = neutralise(text)
    assert not UNSAFE.search(shown) and len(shown) == len(text)
    assert not UNSAFE.search(render(shown).html) and not UNSAFE.search(render(text).body)


def test_left_to_right_and_right_to_left_marks_stay_in_text() -> None:
    arabic = "مجموعة\u200f (NATM)"
    assert checked(arabic) == arabic


@given(TEXT)
@example('=HYPERLINK("https://evil.example")')
@example("'=1")
@example("''+1")
@example("-")
def test_csv_cells_never_start_a_formula_and_read_back_unchanged(text: str) -> None:
    cell = csv_cell(text)
    assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r", "\n")
    assert not UNSAFE.search(cell)
    assert csv_value(cell) == _one_kind_of_line_break(neutralise(text))


@given(st.lists(st.lists(TEXT, min_size=3, max_size=3), max_size=5))
def test_a_written_csv_reads_back_cell_by_cell(rows: list[list[str]]) -> None:
    out = io.StringIO()
    write_csv(out, ["a", "b", "c"], rows)
    read = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert read[0] == ["a", "b", "c"]
    assert [[csv_value(c) for c in row] for row in read[1:]] == [
        [_one_kind_of_line_break(neutralise(c)) for c in row] for row in rows
    ]


def _one_kind_of_line_break(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _Anchors(HTMLParser):
    """Every link of some HTML: its target and the text people see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[list[str]] = []
        self.inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.found.append([dict(attrs).get("href") or "", ""])
            self.inside = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.found[-1][1] += data


URL_TAIL = st.text(
    alphabet="abcXYZ019-._~:/?#@!$&'()*+,;=_*é<> []`\\\"",
    max_size=40,
)


@given(
    st.sampled_from(["https://", "http://", "HTTPS://"]),
    st.sampled_from(
        ["meet.example.org", "a-b.example", "ex.org:8443", "-x.example", "ex", "a@b.example", ""]
    ),
    URL_TAIL,
)
@example("https://", "meet.example.org", "/__init__/*a*b*_c_")
def test_an_accepted_link_is_one_anchor_showing_its_own_address(
    scheme: str, host: str, tail: str
) -> None:
    text = scheme + host + ("/" + tail if tail else "")
    try:
        url = plain_url(text)
    except ValueError as exc:
        assert str(exc)
        return
    parser = _Anchors()
    parser.feed(render(f"Join: {md_link(url)}").html)
    [(href, shown)] = parser.found
    assert href.lower().startswith(("http://", "https://"))
    if "%" not in url:  # clients show %41 as "A": the same address
        assert shown == url
    if "%" not in url and not re.search(r"[^\x00-\x7f]", url):
        assert href == url


def test_text_that_cannot_be_a_link_is_shown_as_text() -> None:
    old = "https://a.example/x [Official login](https://evil.example/p)"
    assert "<a " not in render(md_link(old)).html
    assert "href" not in render(md_link("https://a.example/\u202ex")).html


@given(
    st.recursive(
        TEXT | st.integers() | st.none(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
        max_leaves=10,
    )
)
def test_every_unsafe_text_of_a_file_is_found_with_a_safe_path(data: object) -> None:
    found = list(unsafe_texts(data))
    flat = repr(data)
    if not found:
        assert not UNSAFE.search(_strings(data))
    for where, what in found:
        assert not UNSAFE.search(where) and "U+" in what, flat


def _strings(data: object) -> str:
    if isinstance(data, str):
        return data
    if isinstance(data, dict):
        return "".join(_strings(k) + _strings(v) for k, v in data.items())
    if isinstance(data, list):
        return "".join(_strings(v) for v in data)
    return ""


LINKS = st.one_of(
    st.text(max_size=60),
    st.tuples(
        st.sampled_from(["https://meet.example.org/", "http://x.example/", ""]), URL_TAIL
    ).map("".join),
)


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(link=LINKS)
async def test_any_typed_link_is_refused_clearly_or_shown_as_itself(
    bot: ChatHarness, link: str
) -> None:
    quoted = link.replace('"', "")
    await bot.reset()
    [reply] = await bot.send(
        f'!meeting add title=Call when="2030-01-01 10:00" tz=UTC link="{quoted}"',
        sender=ADMIN,
    )
    assert "something went wrong" not in reply.body
    if not reply.body.startswith("Planned"):
        return
    meeting = await bot.app.meetings.get(1)
    assert meeting.link is not None and not UNSAFE.search(meeting.link)
    [details] = await bot.send("!meeting 1")
    parser = _Anchors()
    parser.feed(details.html)
    [(href, shown)] = parser.found
    assert href.lower().startswith(("http://", "https://"))
    if "%" not in meeting.link:
        assert shown == meeting.link


@pytest.mark.parametrize("bad", ["\u202e", "\x00", "\x1b", "\u2066"])
def test_the_character_is_named_in_the_message(bad: str) -> None:
    with pytest.raises(UnsafeText) as caught:
        one_line(f"RTL {bad}gnp.exe", "The name")
    assert f"(U+{ord(bad):04X})" in str(caught.value)
    assert str(caught.value).startswith("The name contains ")
    assert REPLACEMENT not in str(caught.value)

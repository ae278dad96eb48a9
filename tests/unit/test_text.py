"""The one text rule (natm_bot/text.py), checked on arbitrary input: what is stored has no
control or bidi-override character."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from natm_bot.rendering import render
from natm_bot.text import (
    REPLACEMENT,
    UnsafeText,
    checked,
    find_unsafe,
    multi_line,
    neutralise,
    one_line,
)
from natm_bot.validation import unsafe_texts

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


@pytest.mark.parametrize("bad", ["\u202e", "\x00", "\x1b", "\u2066"])
def test_the_character_is_named_in_the_message(bad: str) -> None:
    with pytest.raises(UnsafeText) as caught:
        one_line(f"RTL {bad}gnp.exe", "The name")
    assert f"(U+{ord(bad):04X})" in str(caught.value)
    assert str(caught.value).startswith("The name contains ")
    assert REPLACEMENT not in str(caught.value)

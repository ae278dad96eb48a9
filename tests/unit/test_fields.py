"""Named fields in chat commands."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from natm_bot.core.errors import UsageError
from natm_bot.engine.fields import parse_fields


def test_quoted_and_bare_values() -> None:
    text = 'name="Red Tech Collective" category=civil-society country=KE  website=https://x.org'
    assert parse_fields(text, ["name", "category", "country", "website"]) == {
        "name": "Red Tech Collective",
        "category": "civil-society",
        "country": "KE",
        "website": "https://x.org",
    }


def test_smart_quotes_and_spaces_around_equals() -> None:
    assert parse_fields("title = “Weekly call”", ["title"]) == {"title": "Weekly call"}


def test_an_empty_value_does_not_swallow_the_next_field() -> None:
    assert parse_fields("name= when=2027-01-01", ["name", "when"]) == {
        "name": "",
        "when": "2027-01-01",
    }


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(UsageError) as caught:
        parse_fields("colour=red stray name=a name=b", ["name", "when"], required=["when"])
    message = str(caught.value)
    assert "Unknown field `colour`" in message
    assert "“stray” is not a field" in message
    assert "`name` is given twice" in message
    assert "`when` is missing" in message


@given(st.text(max_size=200))
def test_never_crashes(text: str) -> None:
    with contextlib.suppress(UsageError):  # a friendly error is fine; anything else is not
        parse_fields(text, ["a", "b"])

"""Announcement sources are typed; their stored form is written and read in one place, and
a stored form nothing could have written is refused, never half-read."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from natm_bot.core.jobs import AnnouncementSource, SourceKind

NAMES = st.from_regex(r"[a-z0-9][a-z0-9-]{0,30}", fullmatch=True)


@given(st.integers(min_value=1, max_value=10**17))
def test_a_meeting_source_round_trips(number: int) -> None:
    source = AnnouncementSource.meeting(number)
    assert source.format() == f"m:{number}"
    assert AnnouncementSource.parse(source.format()) == source
    assert source.meeting_id == number


@given(NAMES)
def test_a_fixed_source_round_trips(name: str) -> None:
    source = AnnouncementSource.fixed(name)
    assert AnnouncementSource.parse(source.format()) == source
    assert source.meeting_id is None


@given(st.text(max_size=40))
def test_any_stored_text_is_read_back_exactly_or_refused(text: str) -> None:
    try:
        source = AnnouncementSource.parse(text)
    except ValueError:
        return
    assert source.format() == text  # one spelling per source: `m:01` is not `m:1`


@pytest.mark.parametrize(
    "text",
    ["", "m", "m:", "m:abc", "m:01", "m:0", "m:-1", "m:1 ", "m:1\n", "x:1", "M:1", "c:", "c:A",
     "c:two words", ":1", "c:-x", "m:1:2"],
)  # fmt: skip
def test_malformed_stored_forms_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an announcement source"):
        AnnouncementSource.parse(text)


def test_a_source_cannot_be_built_malformed() -> None:
    with pytest.raises(ValueError):
        AnnouncementSource.meeting(0)
    with pytest.raises(ValueError):
        AnnouncementSource(SourceKind.FIXED, "Bad Name")

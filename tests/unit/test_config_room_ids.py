"""The rooms of the `statements:` and `onboarding:` sections of bot.yaml are room ids, with a
server part or without one (room version 12), never aliases or anything else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from natm_bot.config.onboarding import OnboardingSection
from natm_bot.config.statements import StatementsSection

SECTIONS = pytest.mark.parametrize("section", [StatementsSection, OnboardingSection])
Section = type[StatementsSection] | type[OnboardingSection]

# The opaque part of a version-12 room id: unpadded URL-safe base64 of a SHA-256 hash.
V12 = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    min_size=43,
    max_size=43,
)


@SECTIONS
@given(V12)
def test_a_room_of_version_12_has_no_server_part_and_is_taken(
    section: Section, opaque: str
) -> None:
    assert section(rooms=[f"!{opaque}"]).rooms == [f"!{opaque}"]


@SECTIONS
@pytest.mark.parametrize("room", ["!abc:example.org", "!abc:localhost:8448"])
def test_a_room_id_with_a_server_is_taken(section: Section, room: str) -> None:
    assert section(rooms=[room]).rooms == [room]


@pytest.mark.parametrize(
    "room", ["#coalition:example.org", "coalition", "!", "!a b:example.org", "!abc:", ""]
)
@SECTIONS
def test_anything_but_a_room_id_is_refused(section: Section, room: str) -> None:
    with pytest.raises(ValidationError, match="must be a room id"):
        section(rooms=[room])


@SECTIONS
@given(st.text(max_size=60))
def test_whatever_is_taken_is_one_room_id_without_spaces(section: Section, typed: str) -> None:
    try:
        taken = section(rooms=[typed]).rooms
    except ValidationError:
        return
    assert taken == [typed] and typed.startswith("!") and not any(c.isspace() for c in typed)

"""The agenda of a meeting's next date: adding, removing, who may, hostile text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import RoomId
from natm_bot.testing.harness import ChatHarness, make_config
from tests.conftest import ADMIN, ALICE, BOB, examples

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
ROOM_A = RoomId("!a:localhost")


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    async with ChatHarness(make_config(tmp_path, admins=[ADMIN]), ManualClock(START)) as h:
        h.transport.join(ROOM_A)
        body = await h.ask(
            f'!meeting add title=Call when="2027-03-01 12:00" tz=UTC rooms={ROOM_A}',
            sender=ADMIN,
        )
        assert body.startswith("Planned #"), body
        h.transport.add_members(ROOM_A, ALICE, BOB)
        yield h


async def test_people_in_the_rooms_add_and_authors_or_organisers_remove(
    bot: ChatHarness,
) -> None:
    assert "empty" in await bot.ask("!agenda 1", sender=ALICE)
    assert "Added" in await bot.ask("!agenda 1 add Budget *now*", sender=ALICE)
    assert "Added" in await bot.ask("!agenda 1 add Posters", sender=BOB)
    shown = await bot.ask("!agenda 1", sender=BOB)
    assert "1. Budget *now*" in shown and "2. Posters" in shown
    refused = await bot.ask("!agenda 1 remove 1", sender=BOB)
    assert refused.startswith("Sorry") and "author" in refused
    assert "Removed" in await bot.ask("!agenda 1 remove 2", sender=BOB)
    assert "Removed" in await bot.ask("!agenda 1 remove 1", sender=ADMIN)
    assert "empty" in await bot.ask("!agenda 1", sender=ALICE)
    outsider = await bot.ask("!agenda 1 add Mine", sender="@eve:localhost")
    assert outsider.startswith("Sorry") and "rooms" in outsider


async def test_only_organisers_when_the_meeting_says_so(bot: ChatHarness) -> None:
    meeting = await bot.app.meetings.get(1)
    await bot.app.meetings.store.update(replace(meeting, agenda_by="organisers"))
    refused = await bot.ask("!agenda 1 add Budget", sender=ALICE)
    assert refused.startswith("Sorry") and "organisers" in refused
    assert "Added" in await bot.ask("!agenda 1 add Budget", sender=ADMIN)


@pytest.mark.parametrize(
    ("typed", "told"),
    [
        ("!agenda 1 add", "needs some text"),
        ("!agenda 1 add \x00\x1b ", "control character"),
        ("!agenda 1 add " + "x" * 501, "500 characters"),
        ("!agenda 1 remove 0", "no item"),
        ("!agenda 1 remove -1", "no item"),
        ("!agenda 1 remove 99999999999999999999", "no item"),
        ("!agenda 1 remove two", "no item"),
        ("!agenda 1 shuffle", "remove"),
    ],
)
async def test_hostile_input_is_refused_and_changes_nothing(
    bot: ChatHarness, typed: str, told: str
) -> None:
    assert told in await bot.ask(typed, sender=ALICE)
    assert "empty" in await bot.ask("!agenda 1", sender=ALICE)


@settings(
    max_examples=examples(30),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=600))
async def test_any_text_is_added_cleaned_or_refused(bot: ChatHarness, text: str) -> None:
    reply = await bot.ask(f"!agenda 1 add {text}", sender=ALICE)
    assert "went wrong" not in reply
    assert reply.startswith(("Added", "Sorry", "Your message contains")), reply

"""Editing a meeting keeps what was said about its dates: cancelled dates, answers, reminders."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from natm_bot.core.clock import ManualClock
from natm_bot.features.meetings.occurrences import schedule_of
from natm_bot.testing.harness import ChatHarness, Seen, make_config
from tests.conftest import ADMIN, ALICE, BOB, examples

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
WEEKLY = 'title=Weekly when="2027-03-03 12:00" tz=UTC repeat=weekly reminders=1d,0'


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    async with ChatHarness(make_config(tmp_path, admins=[ADMIN]), ManualClock(START)) as bot:
        yield bot


async def _plan(bot: ChatHarness, fields: str = WEEKLY) -> None:
    assert (await bot.ask(f"!meeting add {fields}", sender=ADMIN)).startswith("Planned #1")


def _starting(seen: list[Seen]) -> list[datetime]:
    return [s.at for s in seen if "is starting now" in s.body and s.at]


async def _exdates(bot: ChatHarness) -> set[datetime]:
    [reply] = await bot.send("!meetings ics")
    assert reply.attachment is not None
    [event] = Calendar.from_ical(reply.attachment.data).walk("VEVENT")
    skipped: Any = event.get("EXDATE")
    return {d.dt.astimezone(UTC) for d in skipped.dts} if skipped is not None else set()


async def _answers(bot: ChatHarness) -> list[tuple[int, str, str, int]]:
    rows = await bot.app.db.fetchall(
        "SELECT occurrence, user_id, answer, remind FROM rsvps ORDER BY user_id"
    )
    return [(int(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]


def _at(day: int, hour: int) -> datetime:
    return datetime(2027, 3, day, hour, 0, tzinfo=UTC)


async def test_a_cancelled_date_stays_cancelled_when_the_series_moves(bot: ChatHarness) -> None:
    await _plan(bot)
    await bot.ask("!meeting cancel 1 2027-03-10", sender=ADMIN)
    updated = await bot.ask('!meeting edit 1 when="2027-03-03 18:00"', sender=ADMIN)
    assert updated.startswith("Updated #1 Weekly.") and "1 cancelled date" in updated, updated
    shown = await bot.ask("!meeting 1")
    assert "Wed 17 Mar 2027, 18:00" in shown and "10 Mar" not in shown, shown
    assert await _exdates(bot) == {_at(10, 18)}
    assert _starting(await bot.advance(days=21)) == [_at(3, 18), _at(17, 18)]


async def test_answers_and_reminders_stay_with_their_date(bot: ChatHarness) -> None:
    await _plan(bot)
    await bot.send("!rsvp 1 yes remind", sender=ALICE)
    await bot.send("!rsvp 1 maybe", sender=BOB)
    updated = await bot.ask('!meeting edit 1 when="2027-03-03 18:00"', sender=ADMIN)
    assert "2 answers" in updated, updated
    assert "Next time: 1 going, 1 maybe, 0 not" in await bot.ask("!meeting 1")
    seen = await bot.advance(days=2, hours=9)
    [day_before] = [s for s in seen if "starts in 1 day" in s.body]
    assert day_before.at == _at(2, 18) and "1 going, 1 maybe" in day_before.body
    alice_dm = await bot.transport.direct_room(ALICE)  # type: ignore[arg-type]
    assert [s.at for s in seen if s.room_id == alice_dm] == [_at(3, 17)]


async def test_a_new_time_zone_keeps_the_same_dates(bot: ChatHarness) -> None:
    await _plan(bot, WEEKLY.replace("tz=UTC", "tz=Europe/Berlin"))
    await bot.ask("!meeting cancel 1 2027-03-10", sender=ADMIN)
    await bot.send("!rsvp 1 yes", sender=ALICE)
    assert "Updated" in await bot.ask("!meeting edit 1 tz=America/Bogota", sender=ADMIN)
    assert await _exdates(bot) == {_at(10, 17)}  # 12:00 in Bogotá
    assert [(a[0], a[1]) for a in await _answers(bot)] == [(int(_at(3, 17).timestamp()), ALICE)]


async def test_a_one_off_meeting_moved_to_another_day_keeps_its_answers(
    bot: ChatHarness,
) -> None:
    await _plan(bot, 'title=Once when="2027-03-05 12:00" tz=UTC reminders=0')
    await bot.send("!rsvp 1 yes remind", sender=ALICE)
    assert "Updated" in await bot.ask('!meeting edit 1 when="2027-03-06 15:00"', sender=ADMIN)
    assert "Next time: 1 going" in await bot.ask("!meeting 1")
    alice_dm = await bot.transport.direct_room(ALICE)  # type: ignore[arg-type]
    seen = await bot.advance(days=10)
    assert [s.at for s in seen if s.room_id == alice_dm] == [_at(6, 14)]


async def test_an_edit_that_would_lose_dates_asks_first_then_tells_who_lost_an_answer(
    bot: ChatHarness,
) -> None:
    await _plan(bot)
    await bot.ask("!meeting cancel 1 2027-03-10", sender=ADMIN)
    await bot.send("!rsvp 1 yes remind", sender=ALICE)
    before = await bot.app.meetings.store.get(1)
    asked = await bot.ask('!meeting edit 1 when="2027-03-04 12:00"', sender=ADMIN)
    assert "Wed 10 Mar 2027" in asked and "Wed 3 Mar 2027" in asked, asked
    assert "1 answer" in asked and "confirm" in asked and "Nothing was changed" in asked
    assert await bot.app.meetings.store.get(1) == before
    assert len(await _answers(bot)) == 1
    replies = await bot.send('!meeting edit 1 when="2027-03-04 12:00" confirm', sender=ADMIN)
    assert replies[0].body.startswith("Updated #1 Weekly."), replies[0].body
    alice_dm = await bot.transport.direct_room(ALICE)  # type: ignore[arg-type]
    [told] = [r for r in replies if r.room_id == alice_dm]
    assert "Wed 3 Mar 2027" in told.body and "!rsvp 1" in told.body
    assert ALICE not in replies[0].body  # the organiser learns how many, not who
    assert await _exdates(bot) == set() and await _answers(bot) == []
    assert _starting(await bot.advance(days=14)) == [_at(4, 12), _at(11, 12)]


async def test_confirm_is_a_word_of_its_own_not_a_value(bot: ChatHarness) -> None:
    await _plan(bot)
    assert await bot.ask("!meeting edit 1 title=confirm", sender=ADMIN) == "Updated #1 confirm."
    assert await bot.ask("!meeting edit 1 title=x CONFIRM", sender=ADMIN) == "Updated #1 x."


_ids = itertools.count()
WHENS = [
    f"2027-03-{d:02} {h:02}:{m:02}"
    for d in (2, 3, 4, 10, 31)
    for h in (0, 12, 23)
    for m in (0, 30)
]
FIELD = st.one_of(
    st.tuples(st.just("when"), st.sampled_from([*WHENS, "2020-01-01 10:00", "soon"])),
    st.tuples(st.just("tz"), st.sampled_from(["UTC", "Pacific/Kiritimati", "Etc/GMT+12", "x"])),
    st.tuples(
        st.just("repeat"),
        st.sampled_from(
            ["weekly", "daily", "monthly", "first wednesday", "none", "every 2 weeks"]
        ),
    ),
    st.tuples(st.sampled_from(["title", "repeat", "when"]), st.text(max_size=20)),
)


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(fields=st.lists(FIELD, min_size=1, max_size=3, unique_by=lambda f: f[0]))
async def test_no_edit_loses_history_without_confirm(
    bot: ChatHarness, fields: list[tuple[str, str]]
) -> None:
    await bot.reset()
    await _plan(bot)
    await bot.ask("!meeting cancel 1 2027-03-17", sender=ADMIN)
    await bot.send("!rsvp 1 yes remind", sender=ALICE)
    typed = " ".join(f'{k}="{v.replace(chr(34), "")}"' for k, v in fields)
    replies = await bot.send(f"!meeting edit 1 {typed}", sender=ADMIN)
    assert replies and "something went wrong" not in replies[0].body
    meeting = await bot.app.meetings.store.get(1)
    assert meeting is not None and len(meeting.exceptions) == 1
    assert len(await _answers(bot)) == 1
    if not replies[0].body.startswith("Updated"):
        return
    # Kept with their day: both now belong to real dates of the changed meeting.
    dates = set(schedule_of(meeting).between(START, START + timedelta(days=800)))
    [exdate] = await _exdates(bot)
    [(occurrence, *_)] = await _answers(bot)
    assert exdate in dates and datetime.fromtimestamp(occurrence, UTC) in dates

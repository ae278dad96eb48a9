"""Meetings on a fake clock: DST, recurrences, reminders, cancellations, restarts, calendars."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from natm_bot.config.settings import Config
from natm_bot.core.clock import ManualClock
from natm_bot.core.jobs import AnnouncementSource
from natm_bot.core.messages import RoomId
from natm_bot.testing.harness import LOBBY, ChatHarness, Seen, make_config
from tests.conftest import ADMIN, ALICE, BOB

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
MEETING_1 = AnnouncementSource.meeting(1)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, admins=[ADMIN], display_timezones=["UTC", "Asia/Kolkata"])


@pytest.fixture
async def bot(config: Config) -> AsyncIterator[ChatHarness]:
    async with ChatHarness(config, ManualClock(START)) as harness:
        yield harness


async def _plan(bot: ChatHarness, fields: str) -> str:
    body = await bot.ask(f"!meeting add {fields}", sender=ADMIN)
    assert body.startswith("Planned #"), body
    return body


def _starting(seen: list[Seen]) -> list[Seen]:
    return [s for s in seen if "is starting now" in s.body]


async def test_weekly_berlin_meeting_stays_at_1800_local_across_both_dst_changes(
    bot: ChatHarness,
) -> None:
    await _plan(
        bot,
        'title="Weekly call" when="2027-03-07 18:00" tz=Europe/Berlin repeat=weekly reminders=0',
    )
    seen = _starting(await bot.advance(days=250))
    assert len(seen) == 35  # 7 March … 31 October 2027
    for item in seen:
        assert item.at is not None
        local = item.at.astimezone(BERLIN)
        assert (local.hour, local.minute, local.weekday()) == (18, 0, 6), local
    offsets = {item.at.astimezone(BERLIN).utcoffset() for item in seen if item.at}
    assert offsets == {timedelta(hours=1), timedelta(hours=2)}  # both sides of DST
    assert all(s.room_id == LOBBY for s in seen)


async def test_0230_announcement_on_both_dst_days(bot: ChatHarness) -> None:
    await _plan(
        bot, 'title=Night when="2027-03-20 02:30" tz=Europe/Berlin repeat=daily reminders=0'
    )
    seen = _starting(await bot.advance(days=250))
    days: dict[str, list[datetime]] = {}
    for item in seen:
        assert item.at is not None
        local = item.at.astimezone(BERLIN)
        days.setdefault(f"{local:%Y-%m-%d}", []).append(local)
    assert len(days["2027-10-31"]) == 1  # fall-back day: 02:30 happens twice, announced once
    assert f"{days['2027-10-31'][0]:%H:%M}" == "02:30"
    spring = days["2027-03-28"]  # spring-forward day: 02:30 does not exist
    assert len(spring) == 1 and f"{spring[0]:%H:%M}" == "03:30"
    assert spring[0].tzinfo is not None
    assert all(len(times) == 1 for times in days.values())
    assert all(f"{t[0]:%H:%M}" == "02:30" for day, t in days.items() if day != "2027-03-28")


async def test_first_tuesday_of_the_month_for_twelve_months(bot: ChatHarness) -> None:
    await _plan(
        bot,
        'title=Monthly when="2027-03-02 17:00" tz=America/Mexico_City'
        ' repeat="first tuesday" reminders=0',
    )
    seen = _starting(await bot.advance(days=365))
    dates = [s.at.astimezone(ZoneInfo("America/Mexico_City")) for s in seen if s.at]
    assert len(dates) == 12
    for date in dates:
        assert date.weekday() == 1 and date.day <= 7 and date.hour == 17, date
    assert len({(d.year, d.month) for d in dates}) == 12


async def test_reminders_fire_at_their_offsets_with_rsvp_counts(bot: ChatHarness) -> None:
    await _plan(
        bot,
        'title="Strategy call" when="2027-03-10 15:00" tz=UTC reminders=1d,1h,0 link=https://meet.example.org/s',
    )
    assert "Noted: yes" in await bot.ask("!rsvp 1 yes", sender=ALICE)
    await bot.ask("!rsvp 1 maybe", sender=BOB)
    seen = await bot.advance(days=10)
    assert [s.at for s in seen] == [
        datetime(2027, 3, 9, 15, 0, tzinfo=UTC),
        datetime(2027, 3, 10, 14, 0, tzinfo=UTC),
        datetime(2027, 3, 10, 15, 0, tzinfo=UTC),
    ]
    assert seen[0].body.startswith(
        "⏰ Strategy call starts in 1 day: Wed 10 Mar 2027, 15:00 (UTC)"
    )
    assert "20:30 Kolkata" in seen[0].body and "1 going, 1 maybe" in seen[0].body
    assert "starts in 1 hour" in seen[1].body
    assert seen[2].body.startswith(
        "📣 Strategy call is starting now! Join: https://meet.example.org/s\n"
        "Answers: 1 yes, 1 maybe, 0 no.\n\nMinutes are being taken:"
    )


async def test_yes_with_remind_gets_a_direct_message(bot: ChatHarness) -> None:
    await _plan(bot, 'title=Call when="2027-03-10 15:00" tz=UTC reminders=0')
    await bot.send("!rsvp 1 yes remind", sender=ALICE)
    await bot.send("!rsvp 1 yes", sender=BOB)
    seen = await bot.advance(days=10)
    dm = await bot.transport.direct_room(ALICE)  # type: ignore[arg-type]
    to_alice = [s for s in seen if s.room_id == dm]
    assert len(to_alice) == 1 and to_alice[0].at == datetime(2027, 3, 10, 14, 0, tzinfo=UTC)
    assert len([s for s in seen if s.room_id != LOBBY]) == 1  # Bob asked for no reminder


async def test_a_cancelled_occurrence_is_not_announced(bot: ChatHarness) -> None:
    await _plan(bot, 'title=Weekly when="2027-03-03 12:00" tz=UTC repeat=weekly reminders=0')
    body = await bot.ask("!meeting cancel 1 2027-03-10", sender=ADMIN)
    assert body.startswith("Cancelled #1 Weekly on Wed 10 Mar 2027")
    dates = [s.at.date().isoformat() for s in _starting(await bot.advance(days=21)) if s.at]
    assert dates == ["2027-03-03", "2027-03-17"]
    assert "2027-03-10" not in await bot.ask("!meeting 1")
    await bot.ask("!meeting cancel 1", sender=ADMIN)
    assert _starting(await bot.advance(days=30)) == []
    assert "There is no meeting #1" in await bot.ask("!meeting 1")


async def test_edit_moves_the_announcements(bot: ChatHarness) -> None:
    await _plan(bot, 'title=Call when="2027-03-05 12:00" tz=UTC reminders=0')
    assert (
        await bot.ask('!meeting edit 1 when="2027-03-06 08:30"', sender=ADMIN)
        == "Updated #1 Call."
    )
    seen = _starting(await bot.advance(days=10))
    assert [s.at for s in seen] == [datetime(2027, 3, 6, 8, 30, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ('title=x when="2027-02-30 10:00" tz=UTC', "is not a real date"),
        ('title=x when="2027-04-01 10:00" tz=Mars/Olympus', "is not a time zone I know"),
        ('title=x when="2020-04-01 10:00" tz=UTC', "is in the past"),
        ('title=x when="2027-03-28 02:30" tz=Europe/Berlin', "does not exist in Europe/Berlin"),
        ('title=x when="2027-04-01 10:00" tz=UTC duration=0', "longer than zero"),
        ('title=x when="tomorrow" tz=UTC', "2027-01-05 18:00"),
        (
            'title=x when="2027-04-01 10:00" tz=UTC repeat=sometimes',
            "I don't understand the repeat",
        ),
        ('when="2027-04-01 10:00" tz=UTC', "The field title is missing"),
        ('title=x when="2027-04-01 10:00"', "Which time zone"),
    ],
)
async def test_bad_input_gets_an_example_and_changes_nothing(
    bot: ChatHarness, fields: str, expected: str
) -> None:
    body = await bot.ask(f"!meeting add {fields}", sender=ADMIN)
    assert expected in body, body
    assert "Example: !meeting add" in body or "Usage:" in body
    assert list(await bot.app.db.fetchall("SELECT id FROM meetings")) == []


async def test_only_organisers_plan_meetings(bot: ChatHarness) -> None:
    refused = await bot.ask('!meeting add title=x when="2027-04-01 10:00" tz=UTC', sender=ALICE)
    assert refused.startswith("Sorry, only moderators of the rooms a meeting is announced in")
    bot.transport.set_power_level(LOBBY, ALICE, 50)  # type: ignore[arg-type]
    assert (
        await bot.ask('!meeting add title=x when="2027-04-01 10:00" tz=UTC', sender=ALICE)
    ).startswith("Planned")
    assert "Sorry" in await bot.ask("!meeting cancel 1", sender=BOB)


async def test_meetings_list_in_every_zone_and_the_askers(bot: ChatHarness) -> None:
    await _plan(bot, 'title="Call" when="2027-03-04 18:00" tz=Europe/Berlin')
    assert (
        await bot.ask("!tz Asia/Tokyo", sender=ALICE)
        == "Your time zone is now Asia/Tokyo. Meeting times will include it."
    )
    body = await bot.ask("!meetings", sender=ALICE)
    assert "#1 Call: Thu 4 Mar 2027, 18:00 (Europe/Berlin) · 17:00 UTC · 22:30 Kolkata" in body
    assert "yours (Tokyo): 02:00 Fri · in 3 days" in body
    assert await bot.ask("!tz", sender=ALICE) == "Your time zone is Asia/Tokyo."
    assert "not a time zone I know" in await bot.ask("!tz Europe/Atlantis", sender=ALICE)
    assert await bot.ask("!tz", sender=ALICE) == "Your time zone is Asia/Tokyo."


async def test_restart_across_an_announcement_sends_it_once_marked_late(config: Config) -> None:
    clock = ManualClock(START)
    async with ChatHarness(config, clock) as first:
        await _plan(first, 'title=Call when="2027-03-01 09:10" tz=UTC reminders=0')
    clock.advance(timedelta(minutes=20))  # down across 09:10, back within the 30 min grace
    sent: list[Seen] = []
    for _ in range(5):
        async with ChatHarness(config, clock) as again:
            sent += await again.advance(seconds=1)
    assert [s.body.splitlines()[0] for s in sent] == [
        "(Late: I was offline when this was due.) 📣 Call is starting now!"
    ]
    async with ChatHarness(config, clock) as last:
        rows = await last.app.meetings.ledger.statuses(MEETING_1)
    assert [r[3] for r in rows] == ["late"]


async def test_beyond_the_grace_window_it_is_recorded_missed_not_sent(
    config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(START)
    async with ChatHarness(config, clock) as first:
        await _plan(first, 'title=Call when="2027-03-01 09:10" tz=UTC reminders=0')
    clock.advance(timedelta(hours=3))
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            async with ChatHarness(config, clock) as again:
                assert await again.advance(seconds=1) == []
    assert "missed by" in caplog.text
    async with ChatHarness(config, clock) as last:
        assert [r[3] for r in await last.app.meetings.ledger.statuses(MEETING_1)] == ["missed"]


async def test_fixed_announcements_from_the_config(tmp_path: Path) -> None:
    welcome = {
        "id": "welcome",
        "text": "Welcome, newcomers! Type `!help`.",
        "rooms": ["!lobby:localhost"],
        "start": "2027-03-01 10:00",
        "timezone": "UTC",
        "repeat": "weekly",
    }
    base = make_config(tmp_path).model_dump()
    config = Config.model_validate({**base, "announcements": [welcome], "base_dir": tmp_path})
    async with ChatHarness(config, ManualClock(START)) as bot:
        seen = await bot.advance(days=15)
    assert [s.at for s in seen] == [
        datetime(2027, 3, 1, 10, 0, tzinfo=UTC),
        datetime(2027, 3, 8, 10, 0, tzinfo=UTC),
        datetime(2027, 3, 15, 10, 0, tzinfo=UTC),
    ]
    assert seen[0].body == "Welcome, newcomers! Type !help."


async def test_ics_parses_and_yields_the_meetings(bot: ChatHarness) -> None:
    await _plan(
        bot,
        'title="Observatory" when="2027-03-02 18:00" tz=Europe/Berlin repeat="first tuesday"'
        " duration=90m link=https://meet.example.org/o",
    )
    await _plan(bot, 'title="One-off" when="2027-03-05 09:00" tz=UTC')
    await bot.ask("!meeting cancel 1 2027-04-06", sender=ADMIN)
    [reply] = await bot.send("!meetings ics")
    assert reply.attachment is not None and reply.attachment.mimetype == "text/calendar"
    cal = Calendar.from_ical(reply.attachment.data)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    events: dict[str, Any] = {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"Observatory", "One-off"}
    observatory = events["Observatory"]
    start = observatory.decoded("DTSTART")
    assert start == datetime(2027, 3, 2, 18, 0, tzinfo=BERLIN)
    assert observatory.decoded("DURATION") == timedelta(minutes=90)
    rule = observatory["RRULE"].to_ical().decode()
    skipped = {d.dt for d in observatory["EXDATE"].dts}
    dates = [
        d
        for d in islice(
            cast(Iterable[datetime], rrulestr(rule, dtstart=start.replace(tzinfo=None))), 4
        )
        if d.replace(tzinfo=BERLIN) not in skipped
    ]
    assert [d.date().isoformat() for d in dates] == ["2027-03-02", "2027-05-04", "2027-06-01"]
    assert "RRULE" not in events["One-off"]


ROOM_A = RoomId("!a:localhost")
ROOM_B = RoomId("!b:localhost")


async def test_a_room_that_refuses_is_recorded_failed_and_the_others_still_get_it(
    bot: ChatHarness, caplog: pytest.LogCaptureFixture
) -> None:
    await _plan(
        bot,
        f'title=Call when="2027-03-01 12:00" tz=UTC reminders=1h,0 rooms={ROOM_B},{ROOM_A}',
    )
    bot.transport.leave(ROOM_B)  # the bot was kicked from B
    with caplog.at_level(logging.WARNING):
        seen = await bot.advance(hours=4)
    assert [(s.room_id, s.at) for s in seen] == [
        (ROOM_A, datetime(2027, 3, 1, 11, 0, tzinfo=UTC)),
        (ROOM_A, datetime(2027, 3, 1, 12, 0, tzinfo=UTC)),
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"announcement of meeting #1 for 2027-03-01T12:00:00+00:00 ({when}) failed in {ROOM_B}:"
        " the bot may not post there: it was removed or banned, or lacks permission"
        for when in ("1 hour before", "at the start")
    ]
    report = await bot.ask("!meeting 1", sender=ADMIN)
    assert (
        "Mon 1 Mar 2027, 12:00 (UTC), at the start: sent in !a:localhost · failed in"
        " !b:localhost (the bot may not post there: it was removed or banned, or lacks"
        " permission)" in report
    )
    assert "Mon 1 Mar 2027, 12:00 (UTC), 1 hour before: sent in !a:localhost · failed" in report
    assert "failed" not in await bot.ask("!meeting 1", sender=ALICE)  # organisers only
    rows = await bot.app.meetings.ledger.statuses(MEETING_1)
    assert [r[3] for r in rows if r[2] == "rooms"] == ["failed"] * 2


async def test_a_room_whose_server_does_not_answer_holds_up_no_other_room(
    tmp_path: Path,
) -> None:
    base = make_config(tmp_path, admins=[ADMIN]).model_dump()
    config = Config.model_validate(
        {**base, "meetings": {**base["meetings"], "grace": "1s"}, "base_dir": tmp_path}
    )
    async with ChatHarness(config, ManualClock(START)) as bot:
        await _plan(
            bot,
            f'title=Weekly when="2027-03-01 12:00" tz=UTC reminders=0 rooms={ROOM_B},{ROOM_A}'
            " repeat=weekly",
        )
        await _plan(bot, f'title=Other when="2027-03-01 12:00" tz=UTC reminders=0 rooms={ROOM_A}')
        bot.transport.cut_off(ROOM_B)
        async with asyncio.timeout(30):  # without the fix, B holds everything up for ever
            seen = await bot.advance(hours=4)
        assert sorted(s.body.splitlines()[0] for s in seen if s.room_id == ROOM_A) == [
            "📣 Other is starting now!",
            "📣 Weekly is starting now!",
        ]
        assert all(s.at == datetime(2027, 3, 1, 12, 0, tzinfo=UTC) for s in seen)
        assert "failed in !b:localhost (the homeserver kept failing until the grace" in (
            await bot.ask("!meeting 1", sender=ADMIN)
        )
        await bot.transport.reconnect(ROOM_B)
        seen = await bot.advance(days=7)
        assert {s.room_id for s in seen} == {ROOM_A, ROOM_B}  # next week B has it again


async def test_a_locked_database_during_a_sweep_loses_no_announcement(
    config: Config, bot: ChatHarness
) -> None:
    await _plan(bot, 'title=Call when="2027-03-01 12:00" tz=UTC reminders=0')
    await bot.advance(hours=2, minutes=59)
    # Another program holds the database's write lock; the bot gives up waiting after 0.2 s
    # instead of its usual 10 s, so that the test is quick.
    await bot.app.db.fetchone("PRAGMA busy_timeout = 200")
    blocker = sqlite3.connect(config.resolve(config.paths.database), isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await bot.advance(minutes=5)
    finally:
        blocker.close()
    await bot.advance(minutes=5)  # the next sweep tries it again
    announced = [o for o in bot.transport.sent if "is starting now" in o.reply.markdown]
    assert [o.room_id for o in announced] == [LOBBY]  # once, txn ids de-duplicate the retry
    rows = await bot.app.meetings.ledger.statuses(MEETING_1)
    assert [r[3] for r in rows if r[2] == "rooms"] == ["sent"]
    report = await bot.ask("!meeting 1", sender=ADMIN)
    assert "Mon 1 Mar 2027, 12:00 (UTC), at the start: sent in !lobby:localhost" in report


async def test_a_room_still_being_tried_at_shutdown_gets_it_after_the_restart(
    config: Config,
) -> None:
    clock = ManualClock(START)
    async with ChatHarness(config, clock) as first:
        await _plan(
            first, f'title=Call when="2027-03-01 12:00" tz=UTC reminders=0 rooms={ROOM_B},{ROOM_A}'
        )
        first.transport.cut_off(ROOM_B)
        seen = await first.advance(hours=3, minutes=1)
        assert [s.room_id for s in seen] == [ROOM_A]
        await first.app.announcer.close()  # stopped while B was still being tried
    clock.advance(timedelta(minutes=5))
    async with ChatHarness(config, clock) as again:
        seen = await again.advance(seconds=1)
        assert [(s.room_id, s.body.splitlines()[0]) for s in seen] == [
            (ROOM_B, "(Late: I was offline when this was due.) 📣 Call is starting now!")
        ]
        report = await again.ask("!meeting 1", sender=ADMIN)
    assert "at the start: sent in !a:localhost · sent late in !b:localhost" in report


async def test_finished_meetings_leave_nothing_behind_in_the_announcer(bot: ChatHarness) -> None:
    for day in range(1, 41):  # forty one-off meetings over forty days
        await _plan(bot, f'title="Day {day}" when="2027-03-{day % 28 + 1:02d} 12:00" tz=UTC')
    await _plan(bot, 'title="Weekly" when="2027-03-02 12:00" tz=UTC repeat="FREQ=WEEKLY"')
    seen = await bot.advance(days=60)
    assert len(_starting(seen)) > 40  # the one-offs and the weekly meeting were announced
    # only the weekly one is still due
    assert bot.app.announcer.queue.sources == [AnnouncementSource.meeting(41)]

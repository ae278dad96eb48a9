"""Repeat rules and dates organisers type: nothing they write can hang the bot, flood a room,
break the calendar or be planned on a date the bot would not announce."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar, Event

from natm_bot.config.settings import Config, load_config
from natm_bot.core.clock import ManualClock
from natm_bot.frontends.cli import main
from natm_bot.frontends.offline import offline_app
from natm_bot.testing.harness import ChatHarness, Seen, make_config
from tests.conftest import ADMIN
from tests.deadline import deadline

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
README = Path(__file__).resolve().parents[2] / "README.md"
NOT_UNDERSTOOD = "something went wrong"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, admins=[ADMIN])


@pytest.fixture
async def bot(config: Config) -> AsyncIterator[ChatHarness]:
    async with ChatHarness(config, ManualClock(START)) as harness:
        yield harness


async def _meeting_ids(bot: ChatHarness) -> list[int]:
    return [int(row[0]) for row in await bot.app.db.fetchall("SELECT id FROM meetings")]


def _starting(seen: list[Seen]) -> list[datetime]:
    return [s.at for s in seen if "is starting now" in s.body and s.at is not None]


async def _store_as_an_older_version_did(bot: ChatHarness, rule: str, start: str = "") -> None:
    """Older versions accepted any rule and start; their database still holds them."""
    await bot.app.db.execute("UPDATE meetings SET rrule = ? WHERE id = 1", (rule,))
    if start:
        await bot.app.db.execute("UPDATE meetings SET start_local = ? WHERE id = 1", (start,))


# ----- 1. a rule that never advances ----------------------------------------------------------


async def test_a_rule_that_never_advances_is_refused(bot: ChatHarness) -> None:
    body = await bot.ask(
        '!meeting add title=x when="2027-03-02 10:00" tz=UTC repeat="FREQ=DAILY;INTERVAL=0"',
        sender=ADMIN,
    )
    assert "INTERVAL must be 1 to 365" in body, body
    assert await _meeting_ids(bot) == []


async def test_a_stored_rule_that_never_advances_cannot_hang_the_bot(config: Config) -> None:
    clock = ManualClock(START)
    async with ChatHarness(config, clock) as first:
        await first.ask(
            '!meeting add title=Old when="2027-03-02 10:00" tz=UTC repeat=daily reminders=0',
            sender=ADMIN,
        )
        await _store_as_an_older_version_did(first, "FREQ=DAILY;INTERVAL=0")
    with deadline(20):
        async with ChatHarness(config, clock) as again:  # a restart
            seen = await again.advance(days=3)
            assert "No meetings are planned" in await again.ask("!meetings")
            shown = await again.ask("!meeting 1")
    # Only the first date is certain; the bot says why the rest is not announced.
    assert _starting(seen) == [datetime(2027, 3, 2, 10, 0, tzinfo=UTC)]
    assert "can no longer be used" in shown and "!meeting edit 1 repeat=" in shown, shown


# ----- 2. sub-daily rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=SECONDLY",
        "FREQ=MINUTELY;INTERVAL=5",
        "FREQ=HOURLY",
        "FREQ=HOURLY;INTERVAL=24",
        "FREQ=DAILY;BYHOUR=9,17",
        "FREQ=WEEKLY;BYMINUTE=0,30",
        "FREQ=MONTHLY;BYSECOND=1",
    ],
)
async def test_rules_more_often_than_daily_are_refused(bot: ChatHarness, rule: str) -> None:
    body = await bot.ask(
        f'!meeting add title=x when="2027-03-02 10:00" tz=UTC repeat="{rule}"', sender=ADMIN
    )
    assert "at most once a day" in body, body
    assert await _meeting_ids(bot) == []


async def test_a_stored_secondly_rule_announces_once_not_every_second(config: Config) -> None:
    clock = ManualClock(START)
    async with ChatHarness(config, clock) as first:
        await first.ask(
            '!meeting add title=x when="2027-03-01 10:00" tz=UTC reminders=0', sender=ADMIN
        )
        await _store_as_an_older_version_did(first, "FREQ=SECONDLY")
    with deadline(20):
        async with ChatHarness(config, clock) as again:
            seen = await again.advance(hours=3)
    assert _starting(seen) == [datetime(2027, 3, 1, 10, 0, tzinfo=UTC)]


# ----- 3. absurd COUNT, UNTIL and dates -------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("FREQ=DAILY;COUNT=99999999999999", "COUNT must be 1 to 1000"),
        ("FREQ=DAILY;COUNT=0", "COUNT must be 1 to 1000"),
        ("FREQ=DAILY;UNTIL=99991231", "at most 10 years after the start"),
        ("FREQ=WEEKLY;UNTIL=20270101", "before the start"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never"),
    ],
)
async def test_absurd_counts_and_ends_are_refused(
    bot: ChatHarness, rule: str, expected: str
) -> None:
    body = await bot.ask(
        f'!meeting add title=x when="2027-03-02 10:00" tz=UTC repeat="{rule}"', sender=ADMIN
    )
    assert expected in body, body
    assert await _meeting_ids(bot) == []


def test_a_stored_huge_count_leaves_the_calendar_working(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(f"bot:\n  admins: ['{ADMIN}']\npaths:\n  database: bot.sqlite3\n")

    async def plan() -> None:
        async with offline_app(load_config(path)) as app:
            await app.meetings.create(
                'title=Daily when="2030-01-08 18:00" tz=UTC repeat="FREQ=DAILY;COUNT=3"',
                asker=ADMIN,
                room="!lobby:localhost",
            )
            await app.db.execute("UPDATE meetings SET rrule = 'FREQ=DAILY;COUNT=99999999999999'")

    async def ask_for_the_calendar() -> Seen:
        async with ChatHarness(load_config(path), ManualClock(START)) as bot:
            [reply] = await bot.send("!meetings ics")
        return reply

    asyncio.run(plan())
    assert main(["export", "ics", "-c", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("BEGIN:VCALENDAR") and "SUMMARY:Daily" in out
    assert "COUNT=99999999999999" not in out
    reply = asyncio.run(ask_for_the_calendar())
    assert reply.attachment is not None, reply.body
    assert "SUMMARY:Daily" in reply.attachment.data.decode()


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ('when="9999-12-31 10:00" tz=UTC', "at most 5 years ahead"),
        ('when="9999-12-31 23:59" tz=America/New_York', "at most 5 years ahead"),
        ('when="0001-01-01 00:00" tz=Asia/Kolkata', "is in the past"),
        ('when="2027-03-02 10:00" tz=UTC duration=' + "9" * 30 + "m", "far too long"),
        ('when="2027-03-02 10:00" tz=UTC reminders=1h,' + "9" * 30 + "d", "far too long"),
    ],
)
async def test_out_of_range_dates_and_numbers_get_a_clear_error(
    bot: ChatHarness, fields: str, expected: str
) -> None:
    body = await bot.ask(f"!meeting add title=x {fields}", sender=ADMIN)
    assert expected in body and NOT_UNDERSTOOD not in body, body
    assert await _meeting_ids(bot) == []


async def test_a_number_longer_than_python_reads_gets_a_clear_error(tmp_path: Path) -> None:
    config = make_config(tmp_path, admins=[ADMIN], max_input_length=20000)
    async with ChatHarness(config, ManualClock(START)) as bot:
        body = await bot.ask(
            '!meeting add title=x when="2027-03-02 10:00" tz=UTC duration=' + "9" * 5000 + "m",
            sender=ADMIN,
        )
    assert "far too long" in body and NOT_UNDERSTOOD not in body, body[:200]


async def test_editing_into_year_9999_or_a_huge_number_gets_a_clear_error(
    bot: ChatHarness,
) -> None:
    await bot.ask('!meeting add title=x when="2027-03-02 10:00" tz=UTC', sender=ADMIN)
    body = await bot.ask(
        '!meeting edit 1 when="9999-12-31 20:00" tz=Pacific/Honolulu', sender=ADMIN
    )
    assert "at most 5 years ahead" in body, body
    for command in ("!meeting 99999999999999999999999", "!meeting edit 99999999999999999 tz=UTC"):
        body = await bot.ask(command, sender=ADMIN)
        assert "There is no meeting #99999999999999" in body, body
    assert "10:00" in await bot.ask("!meeting 1")


async def test_cancelling_a_date_in_year_9999_or_year_1_gets_a_clear_error(
    bot: ChatHarness,
) -> None:
    await bot.ask(
        '!meeting add title=x when="2027-03-02 10:00" tz=UTC repeat=weekly', sender=ADMIN
    )
    for day in ("9999-12-31", "0001-01-01"):
        body = await bot.ask(f"!meeting cancel 1 {day}", sender=ADMIN)
        assert f"Meeting #1 has no date on {day}" in body, body
    body = await bot.ask("!meeting cancel 1 2027-03-09", sender=ADMIN)
    assert body.startswith("Cancelled #1 x on Tue 9 Mar 2027"), body


# ----- 8. a start the rule would skip, and the README's own example --------------------------


async def test_the_readme_example_is_refused_when_its_date_is_not_a_first_tuesday(
    tmp_path: Path,
) -> None:
    clock = ManualClock(datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    async with ChatHarness(make_config(tmp_path, admins=[ADMIN]), clock) as bot:
        body = await bot.ask(
            '!meeting add title=Observatory when="2026-12-08 18:00" tz=Europe/Berlin'
            ' repeat="first tuesday"',
            sender=ADMIN,
        )
        assert (
            "2026-12-08 is not a first Tuesday; the first one after it is 2027-01-05"
            ' — use when="2027-01-05 18:00"' in body
        ), body
        assert await _meeting_ids(bot) == []
        body = await bot.ask('!meeting add title=x when="2027-01-05 18:00" tz=UTC', sender=ADMIN)
        assert body.startswith("Planned"), body
        body = await bot.ask('!meeting edit 1 repeat="last friday"', sender=ADMIN)
        assert "2027-01-05 is not a last Friday" in body and "2027-01-29" in body, body


def _readme_meeting_example() -> str:
    text = README.read_text()
    match = re.search(r"^\s*(!meeting add .*)\n\s+(\S.*)$", text, re.MULTILINE)
    assert match, "the README shows how to plan a meeting"
    return f"{match.group(1)} {match.group(2)}"


async def test_the_readme_example_plans_what_it_says(tmp_path: Path) -> None:
    example = _readme_meeting_example()
    when = re.search(r'when="(\d{4}-\d\d-\d\d)', example)
    assert when is not None
    clock = ManualClock(datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    async with ChatHarness(make_config(tmp_path, admins=[ADMIN]), clock) as bot:
        body = await bot.ask(example, sender=ADMIN)
        assert body.startswith("Planned #1"), body
        shown = await bot.ask("!meeting 1")
        first = datetime.strptime(when.group(1), "%Y-%m-%d")
        assert f"{first:%a} {first.day} {first:%b %Y}, 18:00 (Europe/Berlin)" in shown, shown
        cancelled = re.search(r"!meeting cancel 3 (\d{4}-\d\d-\d\d)", README.read_text())
        assert cancelled is not None
        body = await bot.ask(f"!meeting cancel 1 {cancelled.group(1)}", sender=ADMIN)
        assert body.startswith("Cancelled #1"), body


# ----- the .ics says what the bot announces ---------------------------------------------------


def _ics_dates(data: bytes, until: datetime) -> list[datetime]:
    """Every start the calendar file gives, read as RFC 5545 says: DTSTART is always the first
    instance, then the RRULE (its UNTIL in UTC), less the EXDATEs."""
    found: list[datetime] = []
    limit = until.replace(tzinfo=None)
    for event in Calendar.from_ical(data).walk("VEVENT"):
        assert isinstance(event, Event)
        start = event.decoded("DTSTART")
        zone = start.tzinfo
        assert isinstance(zone, ZoneInfo)
        exdates = event.get("EXDATE") or []
        skipped = {
            d.dt for e in (exdates if isinstance(exdates, list) else [exdates]) for d in e.dts
        }
        local = [start.replace(tzinfo=None)]
        if "RRULE" in event:
            typed = event["RRULE"].to_ical()
            rule = _local_until(typed.decode() if isinstance(typed, bytes) else typed, zone)
            expanded = rrulestr(rule, dtstart=local[0], cache=False)
            # the dates up to `until`, not every date to year 9999 filtered afterwards
            local += itertools.takewhile(lambda d: d <= limit, expanded.xafter(local[0]))
        for moment in dict.fromkeys(local):
            aware = moment.replace(tzinfo=zone)
            if aware not in skipped and aware.astimezone(UTC) <= until:
                found.append(aware.astimezone(UTC))
    return sorted(found)


def _local_until(rule: str, zone: ZoneInfo) -> str:
    """dateutil expands in wall time, so an UNTIL in UTC becomes the zone's wall time."""
    match = re.search(r"UNTIL=(\d{8}T\d{6})Z", rule)
    if match is None:
        return rule
    moment = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return rule.replace(match.group(0), f"UNTIL={moment.astimezone(zone):%Y%m%dT%H%M%S}")


@pytest.mark.parametrize(
    "fields",
    [
        'when="2027-03-02 18:00" tz=Europe/Berlin repeat="first tuesday"',
        'when="2027-03-05 02:30" tz=Europe/Berlin repeat=daily',
        'when="2027-03-01 12:00" tz=America/New_York repeat="FREQ=WEEKLY;BYDAY=MO,TH;COUNT=9"',
        'when="2027-03-01 12:00" tz=UTC repeat="FREQ=WEEKLY;UNTIL=20270401T120000Z"',
        'when="2027-03-31 08:00" tz=Asia/Kolkata repeat="FREQ=MONTHLY;BYMONTHDAY=-1"',
    ],
)
async def test_the_calendar_file_has_exactly_the_dates_the_bot_announces(
    bot: ChatHarness, fields: str
) -> None:
    body = await bot.ask(f"!meeting add title=x {fields} reminders=0", sender=ADMIN)
    assert body.startswith("Planned"), body
    [reply] = await bot.send("!meetings ics")
    assert reply.attachment is not None
    until = START + timedelta(days=60)
    announced = _starting(await bot.advance(days=60))
    assert announced and _ics_dates(reply.attachment.data, until) == announced


async def test_a_stored_start_off_its_rule_is_not_in_the_calendar_either(config: Config) -> None:
    clock = ManualClock(START)
    async with ChatHarness(config, clock) as first:
        await first.ask(
            '!meeting add title=x when="2027-03-02 18:00" tz=UTC repeat="first tuesday"'
            " reminders=0",
            sender=ADMIN,
        )
        # the second Tuesday of March, which older versions let pass and then never announced
        await _store_as_an_older_version_did(
            first, "FREQ=MONTHLY;BYDAY=+1TU", "2027-03-09T18:00:00"
        )
    async with ChatHarness(config, clock) as bot:
        [reply] = await bot.send("!meetings ics")
        announced = _starting(await bot.advance(days=100))
    assert reply.attachment is not None
    assert [d.date().isoformat() for d in announced] == ["2027-04-06", "2027-05-04", "2027-06-01"]
    assert _ics_dates(reply.attachment.data, START + timedelta(days=100)) == announced

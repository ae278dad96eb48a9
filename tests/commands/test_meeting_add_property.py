"""Whatever an organiser types into `!meeting add`, the bot refuses it clearly or plans a
meeting it can keep: never more than once a day, never a hang. How quickly it answers is
measured by bench/repeat_rules.py."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from natm_bot.testing.harness import ChatHarness
from tests.conftest import ADMIN, examples
from tests.deadline import deadline

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Kiritimati"]

# Each value is mostly what an organiser might type, sometimes anything at all.
NUMBER = st.one_of(
    st.integers(1, 12),
    st.integers(-3, 400),
    st.integers(-(10**20), 10**20),
    st.sampled_from(["", "0", "x", "01"]),
)
FREQ = st.one_of(
    st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]),
    st.sampled_from(["SECONDLY", "MINUTELY", "HOURLY", "NEVER", "daily"]),
)
DAY = st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU", "+1TU", "-1FR", "+5MO", "XX"])
PART = st.one_of(
    st.builds("INTERVAL={}".format, NUMBER),
    st.builds("COUNT={}".format, NUMBER),
    st.builds("BYMONTHDAY={}".format, NUMBER),
    st.builds("BYMONTH={}".format, NUMBER),
    st.builds("BYSETPOS={}".format, NUMBER),
    st.builds("BYHOUR={}".format, NUMBER),
    st.builds("BYYEARDAY={}".format, NUMBER),
    st.builds("BYWEEKNO={}".format, NUMBER),
    st.lists(DAY, min_size=1, max_size=3).map(lambda days: "BYDAY=" + ",".join(days)),
    st.builds("UNTIL={:04d}{:02d}01".format, st.integers(1, 9999), st.integers(1, 12)),
    st.builds("UNTIL={:04d}0601T000000Z".format, st.integers(2026, 2040)),
    st.just("WKST=SU"),
)
RRULE = st.builds(
    lambda freq, parts: ";".join([f"FREQ={freq}", *parts]), FREQ, st.lists(PART, max_size=3)
)
WORDS = st.sampled_from(
    ["daily", "weekly", "monthly", "first tuesday", "last fri", "every 3 weeks", "none"]
)
REPEAT = st.one_of(WORDS, RRULE, RRULE, st.text(max_size=40))
SOON = st.builds(
    lambda days, minutes: f"{START + timedelta(days=days, minutes=minutes):%Y-%m-%d %H:%M}",
    st.integers(-10, 2000),
    st.integers(0, 1440),
)
WHEN = st.one_of(
    SOON,
    SOON,
    st.builds(
        "{:04d}-{:02d}-{:02d} {:02d}:{:02d}".format,
        st.integers(0, 9999),
        st.integers(0, 13),
        st.integers(0, 32),
        st.integers(0, 25),
        st.integers(0, 61),
    ),
    st.text(max_size=20),
)
UNIT = st.sampled_from(["m", "h", "d", "w", "min", ""])
SPAN = st.one_of(
    st.builds("{}{}".format, st.integers(0, 48), UNIT),
    st.builds("{}{}".format, st.integers(0, 10**25), UNIT),
    st.text(max_size=12),
)
REMINDERS = st.one_of(st.lists(SPAN, max_size=4).map(",".join), st.just("none"))
LINK = st.one_of(
    st.just("https://meet.example.org/x"),
    st.text(max_size=40).map(lambda t: "https://" + t),
    st.text(max_size=40),
)
MORE = ("!meetings", "!meeting 1", "!meetings ics")
SUGGESTED = re.compile(r'use when="([^"]+)"')


# What an organiser who knows what they want types: the bot should mostly plan these.
PLAUSIBLE_PART = st.one_of(
    st.builds("INTERVAL={}".format, st.integers(1, 4)),
    st.builds("COUNT={}".format, st.integers(1, 200)),
    st.builds("BYMONTHDAY={}".format, st.sampled_from([1, 13, 15, 28, 29, 30, 31, -1])),
    st.builds("BYMONTH={}".format, st.integers(1, 12)),
    st.builds("BYSETPOS={}".format, st.sampled_from([1, 2, -1])),
    st.lists(DAY, min_size=1, max_size=3, unique=True).map(lambda d: "BYDAY=" + ",".join(d)),
    st.builds("UNTIL={:04d}0601".format, st.integers(2027, 2036)),
)
PLAUSIBLE_REPEAT = st.one_of(
    WORDS,
    st.builds(
        lambda freq, parts: ";".join([f"FREQ={freq}", *parts]),
        st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]),
        st.lists(PLAUSIBLE_PART, max_size=2, unique_by=lambda p: p.split("=")[0]),
    ),
)
PLAUSIBLE_SPAN = st.builds("{}{}".format, st.integers(0, 24), st.sampled_from(["h", "m", "d"]))


def _field(name: str, value: str | None) -> str:
    return "" if value is None else f' {name}="{value}"'


@settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    repeat=st.one_of(st.none(), REPEAT),
    when=WHEN,
    duration=st.one_of(st.none(), SPAN),
    reminders=st.one_of(st.none(), REMINDERS),
    link=st.one_of(st.none(), LINK),
    tz=st.sampled_from(ZONES),
)
async def test_anything_typed_into_meeting_add_is_refused_clearly_or_planned_to_be_kept(
    bot: ChatHarness,
    repeat: str | None,
    when: str,
    duration: str | None,
    reminders: str | None,
    link: str | None,
    tz: str,
) -> None:
    values = {"repeat": repeat, "duration": duration, "reminders": reminders, "link": link}
    await _plan_or_refuse(bot, when, tz, values)


@settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    repeat=PLAUSIBLE_REPEAT,
    when=SOON,
    duration=PLAUSIBLE_SPAN,
    reminders=st.lists(PLAUSIBLE_SPAN, max_size=3, unique=True).map(",".join),
    tz=st.sampled_from(ZONES),
)
async def test_plausible_repeats_are_planned_to_be_kept_or_refused_clearly(
    bot: ChatHarness, repeat: str, when: str, duration: str, reminders: str, tz: str
) -> None:
    values = {"repeat": repeat, "duration": duration, "reminders": reminders or None}
    await _plan_or_refuse(bot, when, tz, values)


async def _plan_or_refuse(
    bot: ChatHarness, when: str, tz: str, values: dict[str, str | None]
) -> None:
    """Type the meeting in; take the bot up on a suggested start; check what came of it."""
    fields = f'title=x tz={tz} when="{when}"' + "".join(_field(k, v) for k, v in values.items())
    await bot.reset(at=START)
    with deadline(30):  # a guard against a hang, not a measure of speed
        answers = [await _answer(bot, f"!meeting add {fields}")]
        if suggested := SUGGESTED.search(answers[0]):
            fields = fields.replace(f'when="{when}"', f'when="{suggested.group(1)}"')
            answers.append(await _answer(bot, f"!meeting add {fields}"))
        answers += [await _answer(bot, command) for command in MORE]
        planned = await bot.app.meetings.store.active()
        assert bool(planned) == answers[-4].startswith("Planned #1"), answers
        event("planned" if planned else "refused")
        if planned:
            await _check_it_can_be_kept(bot, planned[0].id)
        else:
            assert _explains(answers[-4]), answers
        await bot.advance(days=2)


async def _answer(bot: ChatHarness, command: str) -> str:
    """The bot's answer, which must never be "something went wrong"."""
    replies = await bot.send(command, sender=ADMIN)
    assert replies and all("something went wrong" not in r.body for r in replies), replies
    return replies[0].body


def _explains(refusal: str) -> bool:
    """A refusal says what to write instead: an example or the usage line."""
    return "Example: !meeting add" in refusal or "Usage: !meeting add" in refusal


async def _check_it_can_be_kept(bot: ChatHarness, meeting_id: int) -> None:
    meeting = await bot.app.meetings.get(meeting_id)
    dates = bot.app.meetings.next_occurrences(meeting, bot.clock.now(), 100)
    assert dates, "a planned meeting has a date"
    zone = ZoneInfo(meeting.timezone)
    local_days = [d.astimezone(zone).date() for d in dates]
    assert len(set(local_days)) == len(local_days), "at most once a day"
    # at least a day apart, but for the hour a clock change takes away
    assert all(b - a >= timedelta(hours=23) for a, b in itertools.pairwise(dates))

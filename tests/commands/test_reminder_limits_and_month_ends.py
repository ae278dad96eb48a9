"""Meeting limits said plainly: reminders at most 30 days ahead, and monthly meetings from
the 29th, 30th or 31st, which shorter months do not have."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from natm_bot.calendar.recurrence import describe_repeat, parse_repeat
from natm_bot.core.clock import ManualClock
from natm_bot.testing.harness import ChatHarness, make_config
from tests.conftest import ADMIN

START = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
ADD = '?meeting add title=Monthly when="{when} 18:00" tz=UTC repeat="{repeat}"'


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    config = make_config(tmp_path, admins=[ADMIN], prefix="?")
    async with ChatHarness(config, ManualClock(START)) as bot:
        yield bot


async def test_a_reminder_beyond_30_days_names_the_limit(bot: ChatHarness) -> None:
    add = '?meeting add title=Call when="2027-03-01 18:00" tz=UTC reminders={}'
    assert "at most 30 days before the start" in await bot.ask(add.format("31d"), sender=ADMIN)
    repeated = await bot.ask(add.format("1d,1d"), sender=ADMIN)
    assert repeated.startswith("Reminders are distinct times before the start")
    assert (await bot.ask(add.format("30d,0"), sender=ADMIN)).startswith("Planned #1")
    assert "at most 30 days before" in await bot.ask("?help meeting add")


async def test_a_monthly_meeting_on_the_31st_says_which_months_it_skips(
    bot: ChatHarness,
) -> None:
    planned = await bot.ask(ADD.format(when="2027-01-31", repeat="monthly"), sender=ADMIN)
    assert "Months without a day 31 have no meeting." in planned
    offer = '?meeting edit 1 repeat="monthly on the last day"'
    assert f"To meet on the last day of every month: {offer}" in planned
    assert await bot.ask(offer, sender=ADMIN) == "Updated #1 Monthly."
    listed = await bot.ask("?meeting 1")
    assert "every month, on its last day" in listed
    seen = await bot.advance(days=95)
    starts = sorted({s.at.date().isoformat() for s in seen if s.at and "starting" in s.body})
    assert starts == ["2027-01-31", "2027-02-28", "2027-03-31"]


async def test_the_last_day_of_the_month_can_be_asked_for_at_once(bot: ChatHarness) -> None:
    add = ADD.format(when="2027-02-28", repeat="monthly on the last day")
    planned = await bot.ask(add, sender=ADMIN)
    assert planned.startswith("Planned #1 Monthly (every month, on its last day)")
    assert "have no meeting" not in planned
    on_30th = await bot.ask(ADD.format(when="2027-04-30", repeat="monthly"), sender=ADMIN)
    assert "Months without a day 30 have no meeting." in on_30th
    assert "last day of every month" in on_30th  # 30 April is the last day of its month
    on_29th = await bot.ask(ADD.format(when="2027-03-29", repeat="monthly"), sender=ADMIN)
    assert "Months without a day 29 have no meeting." in on_29th
    assert "last day of every month" not in on_29th
    plain = await bot.ask(ADD.format(when="2027-03-28", repeat="monthly"), sender=ADMIN)
    assert "have no meeting" not in plain


@pytest.mark.parametrize(
    "typed",
    ["monthly on the last day", "last day of the month", "Monthly on the last day of each month",
     "the last day", "every last day of the month"],
)  # fmt: skip
def test_ways_of_asking_for_the_last_day(typed: str) -> None:
    assert parse_repeat(typed) == "FREQ=MONTHLY;BYMONTHDAY=-1"
    assert describe_repeat(parse_repeat(typed)) == "every month, on its last day"


@given(st.text(max_size=60))
def test_no_repeat_text_crashes_the_reader(text: str) -> None:
    try:
        parse_repeat(text)
    except Exception as exc:  # only the friendly error a person sees
        assert type(exc).__name__ == "UsageError"

"""Repeat rules as organisers type them, and their expansion in the meeting's zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from natm_bot.calendar.recurrence import Schedule, describe_repeat, parse_repeat
from natm_bot.calendar.timeutil import parse_span, relative
from natm_bot.core.errors import UsageError


@pytest.mark.parametrize(
    ("typed", "rule", "described"),
    [
        ("weekly", "FREQ=WEEKLY", "every week"),
        ("every 2 weeks", "FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"),
        ("monthly", "FREQ=MONTHLY", "every month, same date"),
        ("first tuesday", "FREQ=MONTHLY;BYDAY=+1TU", "every first Tuesday of the month"),
        ("Last Fri", "FREQ=MONTHLY;BYDAY=-1FR", "every last Friday of the month"),
        (
            "monthly on the 2nd wednesday",
            "FREQ=MONTHLY;BYDAY=+2WE",
            "every second Wednesday of the month",
        ),
        (
            "RRULE:FREQ=WEEKLY;BYDAY=MO,TH",
            "FREQ=WEEKLY;BYDAY=MO,TH",
            "RRULE FREQ=WEEKLY;BYDAY=MO,TH",
        ),
        ("none", None, "once"),
    ],
)
def test_repeat_words(typed: str, rule: str | None, described: str) -> None:
    assert parse_repeat(typed) == rule
    assert describe_repeat(rule) == described


@pytest.mark.parametrize(
    "typed", ["sometimes", "every 0 weeks", "FREQ=NEVER", "fifth tuesday", "DTSTART:2020"]
)
def test_bad_repeat_words(typed: str) -> None:
    with pytest.raises(UsageError):
        parse_repeat(typed)


@given(st.text(max_size=60))
def test_repeat_parser_never_crashes(text: str) -> None:
    try:
        parse_repeat(text)
    except UsageError:
        return


def test_one_off_schedule() -> None:
    once = Schedule(datetime(2027, 1, 5, 9, 0), "Asia/Kolkata")
    assert once.first() == datetime(2027, 1, 5, 3, 30, tzinfo=UTC)
    assert once.next_after(datetime(2027, 1, 6, tzinfo=UTC)) == []


def test_spans_and_relative_times() -> None:
    assert [parse_span(s) for s in ("90m", "1h30m", "2h", "1d", "45")] == [90, 90, 120, 1440, 45]
    assert parse_span("0", allow_zero=True) == 0
    with pytest.raises(UsageError):
        parse_span("0")
    now = datetime(2027, 1, 1, tzinfo=UTC)
    assert relative(datetime(2027, 1, 4, tzinfo=UTC), now) == "in 3 days"
    assert relative(datetime(2027, 1, 1, 2, tzinfo=UTC), now) == "in 2 hours"
    assert relative(datetime(2026, 12, 31, 23, tzinfo=UTC), now) == "1 hour ago"

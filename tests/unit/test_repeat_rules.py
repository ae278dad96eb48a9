"""Repeat rules: at most daily, always moving on, bounded, whatever is typed; the same limits
in bot.yaml's announcements as in chat. How quickly they are checked is measured by
bench/repeat_rules.py."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from natm_bot.calendar.recurrence import Schedule, check_schedule, parse_repeat
from natm_bot.calendar.rrules import ics_rule, local_rule
from natm_bot.calendar.timeutil import to_utc
from natm_bot.core.errors import UsageError
from natm_bot.frontends.cli import main
from tests.conftest import examples


def _announcement(repeat: str, start: str = "2027-01-04 09:00") -> str:
    return (
        "announcements:\n"
        "  - id: welcome\n"
        "    text: Welcome!\n"
        "    rooms: ['!lobby:example.org']\n"
        f"    start: '{start}'\n"
        "    timezone: Europe/Berlin\n"
        f"    repeat: '{repeat}'\n"
    )


@pytest.mark.parametrize(
    ("repeat", "start", "expected"),
    [
        ("FREQ=DAILY;INTERVAL=0", "2027-01-04 09:00", "INTERVAL must be 1 to 365"),
        ("FREQ=SECONDLY", "2027-01-04 09:00", "at most once a day"),
        ("FREQ=DAILY;BYHOUR=9,10", "2027-01-04 09:00", "at most once a day"),
        ("FREQ=WEEKLY;COUNT=99999999999", "2027-01-04 09:00", "COUNT must be 1 to 1000"),
        ("first tuesday", "2027-01-04 09:00", "2027-01-04 is not a first Tuesday"),
        ("weekly", "9999-12-31 09:00", "year"),
    ],
)
def test_check_config_refuses_repeat_rules_the_bot_would_refuse_in_chat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], repeat: str, start: str, expected: str
) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(_announcement(repeat, start))
    assert main(["check-config", "-c", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: announcements.0" in err and expected in err, err


def test_check_config_accepts_a_good_repeating_announcement(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(_announcement("FREQ=WEEKLY;BYDAY=MO,TH"))
    assert main(["check-config", "-c", str(path)]) == 0


# ----- the rules themselves -------------------------------------------------------------------

BERLIN = "Europe/Berlin"
DAY = st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU", "+1TU", "-1FR", "+5MO", "2WE"])
PART = st.one_of(
    st.builds("INTERVAL={}".format, st.integers(-2, 400)),
    st.builds("COUNT={}".format, st.integers(-2, 2000)),
    st.builds("BYMONTHDAY={}".format, st.integers(-32, 32)),
    st.builds("BYMONTH={}".format, st.integers(0, 13)),
    st.builds("BYSETPOS={}".format, st.integers(-8, 8)),
    st.lists(DAY, min_size=1, max_size=4).map(lambda days: "BYDAY=" + ",".join(days)),
    st.builds("UNTIL={:04d}{:02d}28".format, st.integers(1900, 2300), st.integers(1, 12)),
    st.sampled_from(["WKST=SU", "BYHOUR=9", "BYWEEKNO=1", "BYYEARDAY=1", "BYEASTER=0"]),
)
RULE = st.builds(
    lambda freq, parts: ";".join([f"FREQ={freq}", *parts]),
    st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY", "HOURLY"]),
    st.lists(PART, max_size=4),
)
START = st.builds(
    lambda days, hour: datetime(2027, 1, 1, hour) + timedelta(days=days),
    st.integers(0, 5 * 365),
    st.integers(0, 23),
)


@settings(max_examples=examples(400), deadline=None)
@given(text=st.one_of(RULE, st.text(max_size=60)), start=START)
def test_any_rule_is_refused_clearly_or_kept_at_most_daily(text: str, start: datetime) -> None:
    try:
        rule = parse_repeat(text)
        check_schedule(start, BERLIN, rule, not_before=datetime(2027, 1, 1))
    except UsageError as refused:
        assert str(refused).strip()
        event("refused")
        return
    event("kept")
    first = to_utc(start, ZoneInfo(BERLIN))
    dates = Schedule(start, BERLIN, rule).next_after(first - timedelta(hours=1), 100)
    assert dates and dates[0] == first
    assert all(b - a >= timedelta(hours=23) for a, b in itertools.pairwise(dates))
    if rule is not None and "COUNT" not in rule and "UNTIL" not in rule:
        assert len(dates) == 100
        assert all(b - a <= timedelta(days=367) for a, b in itertools.pairwise(dates))


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("FREQ=MONTHLY;BYDAY=+5MO;BYMONTHDAY=1", "never take place"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never take place"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "more than a year between 2028-02-29 and 2032"),
        ("FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=13;BYDAY=FR", "more than a year between"),
        ("FREQ=DAILY;INTERVAL=3;BYDAY=MO", "FREQ=WEEKLY"),
        ("FREQ=WEEKLY;BYDAY=1MO", "need FREQ=MONTHLY"),
        ("FREQ=YEARLY;INTERVAL=2", "at least once a year"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20280101", "not both"),
    ],
)
def test_rules_that_skip_years_or_never_come_are_refused(rule: str, expected: str) -> None:
    with pytest.raises(UsageError) as refused:
        check_schedule(datetime(2028, 2, 29, 18), BERLIN, parse_repeat(rule))
    assert expected in str(refused.value)


@pytest.mark.parametrize(
    ("repeat", "start", "expected"),
    [
        ("first tuesday", "2026-12-08", "2026-12-08 is not a first Tuesday; the first one after"),
        ("FREQ=WEEKLY;BYDAY=MO,TH", "2027-01-05", "2027-01-05 is not a Monday or Thursday"),
        ("FREQ=DAILY;BYDAY=MO,TU,FR", "2027-01-06", "is not a Monday, Tuesday or Friday"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "2027-01-05", "is not a date of “RRULE FREQ=MONTHLY"),
    ],
)
def test_a_start_off_the_rule_is_refused_naming_the_kind_of_date(
    repeat: str, start: str, expected: str
) -> None:
    with pytest.raises(UsageError) as refused:
        check_schedule(datetime.fromisoformat(f"{start} 18:00"), BERLIN, parse_repeat(repeat))
    assert expected in str(refused.value), refused.value


def test_a_series_under_way_is_offered_its_next_date_not_a_past_one() -> None:
    with pytest.raises(UsageError) as refused:
        check_schedule(
            datetime(2027, 1, 6, 18),
            BERLIN,
            parse_repeat("first tuesday"),
            not_before=datetime(2027, 5, 20),
        )
    assert 'the next one is 2027-06-01 — use when="2027-06-01 18:00"' in str(refused.value)


def test_until_is_kept_in_local_time_and_given_to_calendars_in_utc() -> None:
    rule = parse_repeat("FREQ=WEEKLY;UNTIL=20270301")
    assert rule == "FREQ=WEEKLY;UNTIL=20270301T235959"  # a bare date: the whole of that day
    assert ics_rule(rule, ZoneInfo(BERLIN)) == "FREQ=WEEKLY;UNTIL=20270301T225959Z"
    utc = parse_repeat("FREQ=WEEKLY;UNTIL=20270301T225959Z")
    assert utc is not None and local_rule(utc, ZoneInfo(BERLIN)) == rule
    weekly = Schedule(datetime(2027, 2, 15, 23, 59, 59), BERLIN, utc)
    assert len(weekly.next_after(datetime(2027, 1, 1, tzinfo=UTC), 10)) == 3


@pytest.mark.parametrize(
    "stored", ["FREQ=DAILY;INTERVAL=0", "FREQ=SECONDLY", "FREQ=DAILY;COUNT=99999999999999"]
)
def test_a_stored_rule_the_bot_cannot_keep_counts_for_its_start_only(stored: str) -> None:
    schedule = Schedule(datetime(2027, 3, 2, 10), "UTC", stored)
    assert schedule.problem and schedule.usable_rule is None
    after = datetime(2027, 3, 1, tzinfo=UTC)
    assert schedule.next_after(after, 5) == [datetime(2027, 3, 2, 10, tzinfo=UTC)]


def test_a_stored_start_in_year_9999_has_no_dates_and_no_crash() -> None:
    schedule = Schedule(datetime(9999, 12, 31, 23, 59), "America/New_York", "FREQ=WEEKLY")
    assert schedule.next_after(datetime(2027, 3, 1, tzinfo=UTC), 5) == []
    assert schedule.first() is None and schedule.first_local() is None

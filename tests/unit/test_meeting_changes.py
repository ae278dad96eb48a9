"""Where an edit takes a meeting's cancelled dates and answers, and the `confirm` word."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from natm_bot.calendar.recurrence import Schedule
from natm_bot.features.meetings.changes import plan_carry, without_confirm
from natm_bot.features.meetings.occurrences import occurrence_key as key_of
from natm_bot.storage.meetings import Answered, Meeting

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
ZONES = st.sampled_from(["UTC", "Europe/Berlin", "Pacific/Kiritimati", "America/Bogota"])
RULES = st.sampled_from(
    [None, "FREQ=DAILY", "FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2", "FREQ=MONTHLY;BYDAY=+1TU"]
)
STARTS = st.builds(
    datetime,
    st.just(2027),
    st.just(3),
    st.integers(2, 20),
    st.integers(0, 23),
    st.sampled_from([0, 30]),
)


def _meeting(start: datetime, tz: str, rule: str | None, skipped: frozenset[int]) -> Meeting:
    return Meeting(1, "x", start, tz, 60, rrule=rule, exceptions=skipped)


def _dates(meeting: Meeting) -> list[datetime]:
    schedule = Schedule(meeting.start_local, meeting.timezone, meeting.rrule)
    return schedule.between(NOW, NOW + timedelta(days=1200))


@given(
    old=st.tuples(STARTS, ZONES, RULES),
    new=st.tuples(STARTS, ZONES, RULES),
    picks=st.lists(st.integers(0, 30), max_size=4),
)
def test_every_date_goes_to_a_new_date_on_its_day_or_is_reported_lost(
    old: tuple[datetime, str, str | None],
    new: tuple[datetime, str, str | None],
    picks: list[int],
) -> None:
    dates = _dates(_meeting(*old, frozenset()))
    chosen = {key_of(dates[i]) for i in picks if i < len(dates)}
    before = _meeting(*old, frozenset(chosen))
    after = _meeting(*new, frozenset())
    answers = [Answered(k, "@a:x", "yes", True) for k in chosen]
    carry = plan_carry(before, after, answers, NOW)
    new_dates = {key_of(d): d for d in _dates(after)}
    assert len(set(carry.moves.values())) == len(carry.moves)  # never two onto one
    for old_key, new_key in carry.moves.items():
        assert new_key in new_dates
        if old[2] or new[2]:  # a series keeps the day; a one-off may move to another day
            was = datetime.fromtimestamp(old_key, Schedule(*old).zone).date()
            assert new_dates[new_key].astimezone(Schedule(*new).zone).date() == was
    assert carry.kept_dates + len(carry.lost_dates) == len(chosen)
    assert carry.kept_answers + len(carry.lost_answers) == len(chosen)
    assert carry.loses == (len(carry.moves) < len(chosen))


def test_a_new_time_the_same_day_keeps_everything() -> None:
    start = datetime(2027, 3, 3, 12, 0)
    before = _meeting(start, "UTC", "FREQ=WEEKLY", frozenset())
    skipped = key_of(_dates(before)[1])
    before = _meeting(start, "UTC", "FREQ=WEEKLY", frozenset({skipped}))
    after = _meeting(start.replace(hour=18), "UTC", "FREQ=WEEKLY", frozenset())
    carry = plan_carry(before, after, [], NOW)
    assert carry.moves == {skipped: skipped + 6 * 3600} and not carry.loses


@given(text=st.text(max_size=60))
def test_confirm_at_the_end_is_taken_off_and_nothing_else(text: str) -> None:
    assert without_confirm(f"{text} confirm") == (text, True)
    assert without_confirm(f"{text} CONFIRM  ") == (text, True)


@given(value=st.text(min_size=1, max_size=20).filter(lambda v: not any(c.isspace() for c in v)))
def test_a_fields_value_is_never_taken_for_confirm(value: str) -> None:
    assert without_confirm(f"title={value}") == (f"title={value}", False)
    assert without_confirm(f'title="{value} confirm"') == (f'title="{value} confirm"', False)

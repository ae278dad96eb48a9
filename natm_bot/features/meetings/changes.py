"""A change to a meeting, drafted before it is saved: judged by who may make it, and carrying
a series' cancelled dates and answers to the dates they were made for.

Cancelled dates, answers and "remind me" requests are stored per occurrence (its UTC start).
When an edit moves the occurrences (a new time, zone, start or repeat rule), each one made for
a date still to come follows its occurrence to the new occurrence on the same day in the
meeting's zone; a meeting that does not repeat keeps them when it moves to another day. What
has no new occurrence that day would be lost: the organiser is shown what and asked to send the
edit again with `confirm`, and people whose answer goes are told.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from natm_bot.calendar.recurrence import Schedule
from natm_bot.features.meetings.occurrences import occurrence_key
from natm_bot.storage.meetings import Answered, Meeting

# `confirm` as a word of its own at the end, not the value of a field (`title=confirm`).
_CONFIRM_RE = re.compile(r"(?:^|\s)confirm\s*\Z", re.IGNORECASE)


@dataclass(frozen=True)
class MeetingChange:
    """A meeting as a command would leave it, beside how it was (None for a new one)."""

    before: Meeting | None
    after: Meeting
    confirmed: bool = False


@dataclass(frozen=True)
class Carry:
    """Where an edit takes a meeting's cancelled dates and answers still to come: old
    occurrence → new occurrence, and the occurrences that have nowhere to go."""

    moves: Mapping[int, int] = field(default_factory=dict)
    lost_dates: tuple[int, ...] = ()  # cancelled occurrences with no new one that day
    lost_answers: tuple[int, ...] = ()  # answered occurrences with no new one that day
    kept_dates: int = 0
    kept_answers: int = 0

    @property
    def loses(self) -> bool:
        """Whether saving the edit would drop a cancelled date or an answer."""
        return bool(self.lost_dates or self.lost_answers)


@dataclass(frozen=True)
class Edit:
    """What became of an edit: the meeting as it is now, where its dates went, and the
    answers it dropped (or, not confirmed yet, would drop)."""

    meeting: Meeting
    carry: Carry
    saved: bool
    lost: Sequence[Answered] = ()


def schedule_changed(before: Meeting, after: Meeting) -> bool:
    """Whether an edit moves the meeting's occurrences."""
    return (before.start_local, before.timezone, before.rrule) != (
        after.start_local,
        after.timezone,
        after.rrule,
    )


def plan_carry(
    before: Meeting, after: Meeting, answers: Sequence[Answered], now: datetime
) -> Carry:
    """Where each cancelled date and answer still to come goes when `before` becomes
    `after`: the new occurrence on the same day (for a meeting that does not repeat, its one
    new occurrence)."""
    since = occurrence_key(now)
    dates = {k for k in before.exceptions if k >= since}
    answered = [a for a in answers if a.occurrence >= since]
    keys = sorted(dates | {a.occurrence for a in answered})
    moves = _moves(before, after, keys, now) if keys else {}
    return Carry(
        moves=moves,
        lost_dates=tuple(k for k in sorted(dates) if k not in moves),
        lost_answers=tuple(sorted({a.occurrence for a in answered} - set(moves))),
        kept_dates=sum(1 for k in dates if k in moves),
        kept_answers=sum(1 for a in answered if a.occurrence in moves),
    )


def _moves(before: Meeting, after: Meeting, keys: list[int], now: datetime) -> dict[int, int]:
    old = Schedule(before.start_local, before.timezone, before.rrule)
    new = Schedule(after.start_local, after.timezone, after.rrule)
    if before.rrule is None and after.rrule is None:
        # One meeting moved to another day: what was said about it goes with it.
        first_old, first_new = old.first(), new.next_after(now)
        if first_old is None or not first_new:
            return {}
        old_key = occurrence_key(first_old)
        return {old_key: occurrence_key(first_new[0])} if old_key in keys else {}
    wanted: dict[date, list[int]] = defaultdict(list)
    for key in keys:
        wanted[datetime.fromtimestamp(key, old.zone).date()].append(key)
    found = _by_day(new, now, set(wanted), max(keys))
    moves: dict[int, int] = {}
    for day, olds in wanted.items():
        # Several on one day (a rule with two times a day) pair up in order.
        moves.update(zip(sorted(olds), found.get(day, []), strict=False))
    return moves


def _by_day(
    schedule: Schedule, now: datetime, days: set[date], last_key: int
) -> dict[date, list[int]]:
    """The schedule's occurrences from `now` on, on the given local days, by day; the walk
    stops a couple of days past the last one needed."""
    found: dict[date, list[int]] = defaultdict(list)
    horizon = last_key + 3 * 86_400
    for moment in schedule.iter_from(now):
        key = occurrence_key(moment)
        if key > horizon:
            break
        day = moment.astimezone(schedule.zone).date()
        if day in days:
            found[day].append(key)
    return found


def by_occurrence(answers: Iterable[Answered]) -> dict[int, list[Answered]]:
    """Answers grouped by the occurrence they are for, in date order."""
    grouped: dict[int, list[Answered]] = defaultdict(list)
    for answer in answers:
        grouped[answer.occurrence].append(answer)
    return dict(sorted(grouped.items()))


def without_confirm(text: str) -> tuple[str, bool]:
    """The fields typed, and whether they ended with the word `confirm`."""
    match = _CONFIRM_RE.search(text)
    if match is None:
        return text, False
    return text[: match.start()], True

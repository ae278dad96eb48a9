"""The dates a meeting takes place on: how each is keyed, and which come next."""

from __future__ import annotations

from datetime import datetime, timedelta

from natm_bot.calendar.recurrence import Schedule
from natm_bot.storage.meetings import Meeting, Timing


def schedule_of(meeting: Meeting) -> Schedule:
    """The meeting's recurrence in its own zone."""
    return Schedule(meeting.start_local, meeting.timezone, meeting.rrule)


def occurrence_key(moment: datetime) -> int:
    """How an occurrence is stored and keyed: its UTC start in whole seconds."""
    return int(moment.timestamp())


def short_months_skipped(meeting: Meeting) -> int | None:
    """The day (29 to 31) a monthly meeting keeps to when shorter months, which lack it, have
    no meeting at all; None when every month has one."""
    if meeting.rrule is None:
        return None
    parts = dict(part.partition("=")[::2] for part in meeting.rrule.split(";"))
    if parts.get("FREQ") != "MONTHLY" or "BYDAY" in parts or "BYSETPOS" in parts:
        return None
    listed = parts.get("BYMONTHDAY")
    days = [int(day) for day in listed.split(",")] if listed else [meeting.start_local.day]
    return max(days) if max(days) >= 29 else None


def on_last_day(meeting: Meeting) -> bool:
    """Whether the meeting starts on the last day of its month."""
    return (meeting.start_local + timedelta(days=1)).month != meeting.start_local.month


def next_occurrences(meeting: Meeting, now: datetime, count: int) -> list[datetime]:
    """The meeting's next occurrences, cancelled ones left out."""
    found = []
    for moment in schedule_of(meeting).iter_from(now):
        if occurrence_key(moment) not in meeting.exceptions:
            found.append(moment)
            if len(found) >= count:
                break
    return found


class NextOccurrences:
    """Each meeting's next occurrence, remembered: an occurrence stays the next one until it
    starts, so most lists walk no recurrence at all."""

    def __init__(self) -> None:
        # meeting id → (its timing, when computed, its next occurrence then)
        self._next: dict[int, tuple[Timing, datetime, datetime | None]] = {}

    def of(self, timing: Timing, now: datetime) -> datetime | None:
        """A meeting's next occurrence at or after `now`."""
        known = self._next.get(timing.id)
        if known is not None:
            was, since, first = known
            if was == timing and since <= now and (first is None or now <= first):
                return first
        start = datetime.fromisoformat(timing.start_local)
        moments = Schedule(start, timing.timezone, timing.rrule).iter_from(now)
        first = next((m for m in moments if occurrence_key(m) not in timing.exceptions), None)
        self._next[timing.id] = (timing, now, first)
        return first

    def keep_only(self, timings: list[Timing]) -> None:
        """Now and then, forget meetings that were cancelled."""
        if len(self._next) > 2 * len(timings):
            active = {t.id for t in timings}
            self._next = {k: v for k, v in self._next.items() if k in active}

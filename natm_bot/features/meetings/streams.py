"""The queue of announcements still to make: one lazy stream per meeting or fixed
announcement (its occurrences in its own zone, merged over its reminder offsets), so only
the next item of each is held in memory, and the ones put back to be tried again."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from natm_bot.calendar.recurrence import Schedule, parse_repeat
from natm_bot.calendar.timeutil import parse_local
from natm_bot.config.settings import FixedAnnouncement
from natm_bot.core.jobs import AnnouncementSource
from natm_bot.features.meetings.occurrences import occurrence_key, schedule_of
from natm_bot.storage.announcements import LedgerKey
from natm_bot.storage.meetings import Meeting

CHUNK = 8  # occurrences of a meeting computed at a time


@dataclass(frozen=True, order=True)
class Due:
    """One announcement to make at `at`."""

    at: datetime
    source: AnnouncementSource = field(compare=False)
    occurrence: datetime = field(compare=False)
    offset: int = field(compare=False)  # minutes before the occurrence
    channel: str = field(compare=False)  # "rooms" or "dm"

    @property
    def key(self) -> LedgerKey:
        """Its idempotency key in the ledger."""
        return LedgerKey(self.source, occurrence_key(self.occurrence), self.offset, self.channel)


Stream = tuple[AnnouncementSource, Iterator[Due]]


def meeting_source(meeting: Meeting, after: datetime, dm_minutes: int) -> Stream:
    """A meeting's announcements after `after`: its reminders in its rooms, and the direct
    messages to those who asked (when `dm_minutes` is not 0)."""
    offsets = [(minutes, "rooms") for minutes in meeting.reminders]
    if dm_minutes:
        offsets.append((dm_minutes, "dm"))
    source = AnnouncementSource.meeting(meeting.id)
    return source, _stream(schedule_of(meeting), after, offsets, source)


def fixed_source(fixed: FixedAnnouncement, after: datetime) -> Stream:
    """A fixed announcement's dates after `after`."""
    schedule = Schedule(parse_local(fixed.start), fixed.timezone, parse_repeat(fixed.repeat or ""))
    source = AnnouncementSource.fixed(fixed.id)
    return source, _stream(schedule, after, [(0, "rooms")], source)


def _occurrences(schedule: Schedule, after: datetime) -> Iterator[datetime]:
    """The schedule's occurrences at or after `after`, computed a few at a time, so that no
    dateutil walk stays suspended in between (a suspended one holds a year of lookup tables,
    about 10 KB, and there is one per meeting)."""
    while batch := schedule.next_after(after, CHUNK):
        yield from batch
        if len(batch) < CHUNK:
            return
        after = batch[-1] + timedelta(microseconds=1)


def _stream(
    schedule: Schedule,
    after: datetime,
    offsets: list[tuple[int, str]],
    source: AnnouncementSource,
) -> Iterator[Due]:
    """Every announcement due after `after`, in time order, from one walk over the
    occurrences that all offsets share."""
    if not offsets:
        return
    longest = timedelta(minutes=max(offset for offset, _ in offsets))
    pending: list[Due] = []
    for moment in _occurrences(schedule, after):
        # No later occurrence can make anything due before `moment - longest`.
        while pending and pending[0].at <= moment - longest:
            yield heapq.heappop(pending)
        for offset, channel in offsets:
            due = moment - timedelta(minutes=offset)
            if due > after:
                heapq.heappush(pending, Due(due, source, moment, offset, channel))
    while pending:
        yield heapq.heappop(pending)


class DueQueue:
    """The next due item of every stream, and the items put back to retry, by time."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, AnnouncementSource]] = []
        self._streams: dict[AnnouncementSource, tuple[int, Iterator[Due], Due | None]] = {}
        self._generation = itertools.count()
        self._retry: list[tuple[datetime, int, int, Due]] = []  # (when, tie, attempt, due)
        self._tie = itertools.count()

    @property
    def sources(self) -> list[AnnouncementSource]:
        """The sources that still have something due."""
        return list(self._streams)

    def install(self, item: Stream) -> None:
        """Start (or restart) a source's stream, replacing the one it had."""
        source, stream = item
        generation = next(self._generation)
        head = next(stream, None)
        self._streams[source] = (generation, stream, head)
        if head is not None:
            heapq.heappush(self._heap, (head.at, generation, source))

    def drop(self, source: AnnouncementSource) -> None:
        """Forget a source's stream (its meeting was cancelled)."""
        self._streams.pop(source, None)

    def retry(self, due: Due, attempt: int, when: datetime) -> None:
        """Put an item back, to be taken again at `when` as attempt `attempt`."""
        heapq.heappush(self._retry, (when, next(self._tie), attempt, due))

    def retrying(self) -> list[datetime]:
        """When the items put back were due."""
        return [due.at for *_, due in self._retry]

    def next_due(self) -> datetime | None:
        """When the next item is due (or due to be tried again), if any."""
        head = self._stream_head()
        retry = self._retry[0][0] if self._retry else None
        return min((at for at in (head, retry) if at is not None), default=None)

    def _stream_head(self) -> datetime | None:
        while self._heap:
            at, generation, source = self._heap[0]
            current = self._streams.get(source)
            if current is not None and current[0] == generation and current[2] is not None:
                return at
            heapq.heappop(self._heap)  # left over from an edit or a cancellation
        return None

    def pop(self, now: datetime) -> tuple[Due, int] | None:
        """The next item due by `now`, to retry or from a stream, with its attempt number."""
        if self._retry and self._retry[0][0] <= now:
            _, _, attempt, due = heapq.heappop(self._retry)
            return due, attempt
        at = self._stream_head()
        if at is None or at > now:
            return None
        _, generation, source = heapq.heappop(self._heap)
        _, stream, head = self._streams[source]
        assert head is not None
        nxt = next(stream, None)
        if nxt is None:
            del self._streams[source]  # a finished meeting holds no memory for months
        else:
            self._streams[source] = (generation, stream, nxt)
            heapq.heappush(self._heap, (nxt.at, generation, source))
        return head, 0

"""Announcements that are never missed silently and never sent twice.

Every announcement is keyed by (what, occurrence, offset, channel) in a ledger. Upcoming ones
come from one lazy stream per meeting (its occurrences in its own zone, merged over its
reminder offsets), so only the next item of each meeting is held in memory. A sweep sends
everything due; the APScheduler job that calls it is only the alarm clock.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import itertools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from natm_bot.meetings import occurrence_key, schedule_of
from natm_bot.messages import Outgoing, Reply, RoomId, UserId
from natm_bot.recurrence import Schedule, parse_repeat
from natm_bot.rendering import md_escape
from natm_bot.storage.meetings import AnnouncementLedger, LedgerKey, Meeting, Status
from natm_bot.timeutil import parse_local, span_text
from natm_bot.transport.matrix import SendFailed

if TYPE_CHECKING:
    from natm_bot.app import App
    from natm_bot.config import FixedAnnouncement

log = logging.getLogger(__name__)

ON_TIME = timedelta(seconds=60)
CHUNK = 8  # occurrences of a meeting computed at a time
YIELD_EVERY = 200  # meetings loaded between two turns of the event loop
STATE_KEY = "announcer_checked_until"


@dataclass(frozen=True, order=True)
class Due:
    """One announcement to make at `at`."""

    at: datetime
    source: str = field(compare=False)
    occurrence: datetime = field(compare=False)
    offset: int = field(compare=False)  # minutes before the occurrence
    channel: str = field(compare=False)  # "rooms" or "dm"

    @property
    def key(self) -> LedgerKey:
        """Its idempotency key in the ledger."""
        return LedgerKey(self.source, occurrence_key(self.occurrence), self.offset, self.channel)


def txn_id_for(key: LedgerKey, target: str) -> str:
    """A transaction id per announcement and room, so a resend after a crash is a no-op."""
    raw = f"{key.source}|{key.occurrence}|{key.offset_minutes}|{key.channel}|{target}"
    return "natm-a-" + hashlib.sha256(raw.encode()).hexdigest()[:32]


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
    schedule: Schedule, after: datetime, offsets: list[tuple[int, str]], source: str
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


class Announcer:
    """Keeps the next due announcement of every meeting and sends what is due."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.ledger = AnnouncementLedger(app.db)
        self._heap: list[tuple[datetime, int, str]] = []
        self._streams: dict[str, tuple[int, Iterator[Due], Due | None]] = {}
        self._generation = itertools.count()
        self._lock = asyncio.Lock()
        self.on_change: Callable[[], None] | None = None
        self.loaded = False

    # ----- building the queue ----------------------------------------------------------------

    async def load(self) -> None:
        """Build every stream from where the last run stopped; nothing is sent yet."""
        now = self.app.clock.now()
        row = await self.app.db.fetchone("SELECT value FROM state WHERE key = ?", (STATE_KEY,))
        # Everything due after the last sweep (or, before any sweep, after a meeting was
        # planned) is still to do; the ledger keeps what was done from being done again.
        checked = datetime.fromisoformat(str(row[0])) if row else None
        for index, meeting in enumerate(await self.app.meetings.store.active()):
            after = max(checked, meeting.created_at) if checked else meeting.created_at
            self._install(self._meeting_source(meeting, after))
            if index % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)  # let commands be answered meanwhile
        for fixed in self.app.config.announcements:
            self._install(self._fixed_source(fixed, checked or now))
        self.loaded = True

    def _meeting_source(self, meeting: Meeting, after: datetime) -> tuple[str, Iterator[Due]]:
        offsets = [(minutes, "rooms") for minutes in meeting.reminders]
        dm = self.app.config.meetings.dm_reminder // 60
        if dm:
            offsets.append((dm, "dm"))
        source = f"m:{meeting.id}"
        return source, _stream(schedule_of(meeting), after, offsets, source)

    def _fixed_source(
        self, fixed: FixedAnnouncement, after: datetime
    ) -> tuple[str, Iterator[Due]]:
        schedule = Schedule(
            parse_local(fixed.start), fixed.timezone, parse_repeat(fixed.repeat or "")
        )
        source = f"c:{fixed.id}"
        return source, _stream(schedule, after, [(0, "rooms")], source)

    def _install(self, item: tuple[str, Iterator[Due]]) -> None:
        source, stream = item
        generation = next(self._generation)
        head = next(stream, None)
        self._streams[source] = (generation, stream, head)
        if head is not None:
            heapq.heappush(self._heap, (head.at, generation, source))

    async def reschedule(self, meeting: Meeting) -> None:
        """A meeting was added, changed or cancelled: restart its stream from now."""
        source = f"m:{meeting.id}"
        if meeting.cancelled:
            self._streams.pop(source, None)
        elif self.loaded:
            self._install(self._meeting_source(meeting, self.app.clock.now()))
        if self.on_change:
            self.on_change()

    def next_due(self) -> datetime | None:
        """When the next announcement is due, if any."""
        while self._heap:
            at, generation, source = self._heap[0]
            current = self._streams.get(source)
            if current is not None and current[0] == generation and current[2] is not None:
                return at
            heapq.heappop(self._heap)  # left over from an edit or a cancellation
        return None

    # ----- sending ---------------------------------------------------------------------------

    async def sweep(self) -> int:
        """Send (or record as missed) everything due by now; how many were handled."""
        async with self._lock:
            now = self.app.clock.now()
            handled = 0
            while (at := self.next_due()) is not None and at <= now:
                _, generation, source = heapq.heappop(self._heap)
                _, stream, due = self._streams[source]
                assert due is not None
                nxt = next(stream, None)
                self._streams[source] = (generation, stream, nxt)
                if nxt is not None:
                    heapq.heappush(self._heap, (nxt.at, generation, source))
                await self._fire(due, now)
                handled += 1
            await self.app.db.execute(
                "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key)"
                " DO UPDATE SET value = excluded.value",
                (STATE_KEY, now.isoformat()),
            )
            return handled

    async def _fire(self, due: Due, now: datetime) -> None:
        if await self.ledger.seen(due.key):
            return
        lateness = now - due.at
        if lateness > timedelta(seconds=self.app.config.meetings.grace):
            await self.ledger.record(due.key, "missed")
            log.warning(
                "announcement %s at %s (%d min before) missed by %s: beyond the grace window",
                due.source,
                due.occurrence.isoformat(),
                due.offset,
                lateness,
            )
            return
        status: Status = "sent" if lateness <= ON_TIME else "late"
        outgoing = await self._messages(due, late=status == "late")
        if outgoing is None:
            return  # cancelled meanwhile: nothing to announce, nothing to record
        for out in outgoing:
            try:
                await self.app.transport.send(out)
            except SendFailed as exc:
                log.warning("announcement %s could not go to %s: %s", due.source, out.room_id, exc)
        await self.ledger.record(due.key, status)

    async def _messages(self, due: Due, late: bool) -> list[Outgoing] | None:
        if due.source.startswith("c:"):
            fixed = next(
                (f for f in self.app.config.announcements if f"c:{f.id}" == due.source), None
            )
            if fixed is None:
                return None
            reply = Reply(self._late(late) + fixed.text)
            return [Outgoing(RoomId(r), reply, txn_id_for(due.key, r)) for r in fixed.rooms]
        meeting = await self.app.meetings.store.get(int(due.source[2:]))
        if (
            meeting is None
            or meeting.cancelled
            or occurrence_key(due.occurrence) in meeting.exceptions
        ):
            return None
        text = self._late(late) + await self._text(meeting, due)
        if due.channel == "dm":
            people = await self.app.meetings.store.reminder_list(
                meeting.id, occurrence_key(due.occurrence)
            )
            outgoing = []
            for person in people:
                room = await self.app.transport.direct_room(UserId(person))
                outgoing.append(Outgoing(room, Reply(text), txn_id_for(due.key, person)))
            return outgoing
        reply = Reply(text)
        return [Outgoing(RoomId(r), reply, txn_id_for(due.key, r)) for r in meeting.rooms]

    @staticmethod
    def _late(late: bool) -> str:
        return "_(Late: I was offline when this was due.)_ " if late else ""

    async def _text(self, meeting: Meeting, due: Due) -> str:
        service = self.app.meetings
        title = f"**{md_escape(meeting.title)}**"
        link = f" Join: {meeting.link}" if meeting.link else ""
        if due.offset == 0:
            return f"📣 {title} is starting now!{link}"
        counts = await service.store.rsvp_counts(meeting.id, occurrence_key(due.occurrence))
        going = (
            f" · {counts['yes']} going, {counts['maybe']} maybe" if any(counts.values()) else ""
        )
        when = service.times(due.occurrence, meeting.timezone, None)
        rsvp = f"`{self.app.config.bot.prefix}rsvp {meeting.id} yes`"
        return (
            f"⏰ {title} starts in {span_text(due.offset)}: {when}.{link}\n\nComing? {rsvp}{going}"
        )

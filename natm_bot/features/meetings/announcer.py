"""Announcements that are never missed silently and never sent twice.

Every announcement is keyed by (what, occurrence, offset, channel) in a ledger, which also
keeps what became of it in each room. Upcoming ones come from one lazy stream per meeting (its
occurrences in its own zone, merged over its reminder offsets), so only the next item of each
meeting is held in memory. A sweep starts everything due; the APScheduler job that calls it is
only the alarm clock.

Each room is sent to on its own, so a room that fails never holds up another: a refusal for
good (the bot was kicked, the room does not exist) is recorded as failed at once; a room whose
homeserver keeps failing is retried by the transport, with the same txn id, until the grace
window ends, and then recorded as failed. Whatever goes wrong while handling an announcement (a
locked or full database…) puts it back to be tried again: the ledger and the txn ids make a
retry safe.
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

from natm_bot.core.messages import Outgoing, Reply, RoomId, UserId
from natm_bot.engine.rendering import md_escape, md_link
from natm_bot.features.meetings.recurrence import Schedule, parse_repeat
from natm_bot.features.meetings.service import (
    ERROR,
    OFFLINE,
    REFUSED,
    TIMED_OUT,
    describe_failure,
    occurrence_key,
    schedule_of,
)
from natm_bot.features.meetings.timeutil import parse_local, span_text
from natm_bot.storage.meetings import (
    AnnouncementLedger,
    LedgerKey,
    Meeting,
    Progress,
    RoomOutcome,
    RoomStatus,
    Status,
)
from natm_bot.transport import SendFailed

if TYPE_CHECKING:
    from natm_bot.app import App
    from natm_bot.config.settings import FixedAnnouncement

log = logging.getLogger(__name__)

ON_TIME = timedelta(seconds=60)
CHUNK = 8  # occurrences of a meeting computed at a time
YIELD_EVERY = 200  # meetings loaded between two turns of the event loop
STATE_KEY = "announcer_checked_until"
SETTLE_SECONDS = 2.0  # how long a sweep waits for the sends it started before it returns
SHORTEST_TRY = 1.0  # seconds a room is given even when the grace window is nearly over
RETRY_FIRST = timedelta(seconds=10)  # after an error while handling an announcement…
RETRY_LONGEST = timedelta(minutes=5)  # … doubling up to this


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


@dataclass(frozen=True)
class Plan:
    """What one announcement says, and to whom: rooms, or people for direct messages."""

    reply: Reply
    targets: tuple[str, ...]


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


def _still_planned(meeting: Meeting, due: Due) -> bool:
    """Whether the meeting, as it is now, still has this occurrence and reminder."""
    if due.channel == "rooms" and due.offset not in meeting.reminders:
        return False
    return schedule_of(meeting).next_after(due.occurrence) == [due.occurrence]


class Announcer:
    """Keeps the next due announcement of every meeting and sends what is due."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.ledger = AnnouncementLedger(app.db)
        self._heap: list[tuple[datetime, int, str]] = []
        self._streams: dict[str, tuple[int, Iterator[Due], Due | None]] = {}
        self._generation = itertools.count()
        self._lock = asyncio.Lock()
        self._retry: list[tuple[datetime, int, int, Due]] = []  # (when, tie, attempt, due)
        self._tie = itertools.count()
        # announcements whose sends are under way, by key
        self._flights: dict[LedgerKey, tuple[Due, asyncio.Task[Exception | None]]] = {}
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
        """When the next announcement is due (or due to be tried again), if any."""
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

    # ----- sending ---------------------------------------------------------------------------

    async def sweep(self) -> int:
        """Start (or record as missed) everything due by now; how many were handled.

        Returns once the sends it started have landed or failed, or are left to retry in the
        background. Raises the first error met, after putting what it concerned back."""
        errors: list[Exception] = []
        async with self._lock:
            now = self.app.clock.now()
            started, handled = await self._fire_all(now, errors)
            try:
                await self._save_progress(now)
            except Exception as exc:
                errors.append(exc)
        if self.on_change:
            self.on_change()  # re-arm now: the wait below must not hold up the next wake-up
        if started:
            done, _ = await asyncio.wait(started, timeout=SETTLE_SECONDS)
            errors += [e for t in done if not t.cancelled() and (e := t.result()) is not None]
        if errors:
            raise errors[0]
        return handled

    async def _fire_all(
        self, now: datetime, errors: list[Exception]
    ) -> tuple[list[asyncio.Task[Exception | None]], int]:
        """Fire every due item; one that fails is put back and the others still go."""
        started: list[asyncio.Task[Exception | None]] = []
        handled = 0
        while (item := self._pop(now)) is not None:
            due, attempt = item
            handled += 1
            try:
                task = await self._fire(due, attempt, now)
            except Exception as exc:
                self._retry_later(due, attempt, exc)
                errors.append(exc)
                continue
            if task is not None:
                started.append(task)
        return started, handled

    def _pop(self, now: datetime) -> tuple[Due, int] | None:
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

    def _retry_later(self, due: Due, attempt: int, exc: Exception) -> None:
        """Put an announcement back after an error; the ledger and txn ids make it safe."""
        delay = min(RETRY_LONGEST, RETRY_FIRST * 2 ** min(attempt, 8))
        when = self.app.clock.now() + delay
        heapq.heappush(self._retry, (when, next(self._tie), attempt + 1, due))
        log.warning(
            "announcement of %s for %s could not be handled (%s: %s); trying again at %s",
            self._what(due),
            due.occurrence.isoformat(),
            type(exc).__name__,
            exc,
            when.isoformat(timespec="seconds"),
        )
        if self.on_change:
            self.on_change()

    async def _save_progress(self, now: datetime) -> None:
        """Remember how far announcements are handled. One still unfinished keeps the mark
        before it, so that after a restart it is taken up again."""
        unfinished = [due.at for due, _ in self._flights.values()]
        unfinished += [due.at for *_, due in self._retry]
        mark = min([now, *(at - timedelta(microseconds=1) for at in unfinished)])
        await self.app.db.execute(
            "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key)"
            " DO UPDATE SET value = excluded.value",
            (STATE_KEY, mark.isoformat()),
        )

    async def _fire(
        self, due: Due, attempt: int, now: datetime
    ) -> asyncio.Task[Exception | None] | None:
        """Check the ledger and start the sends of one announcement, if any are left."""
        if due.key in self._flights:
            return None  # still under way
        progress = await self.ledger.progress(due.key)
        if progress.done:
            return None
        lateness = now - due.at
        if lateness > timedelta(seconds=self.app.config.meetings.grace):
            await self._give_up(due, lateness, progress)
            return None
        status: RoomStatus = "sent" if lateness <= ON_TIME else "late"
        plan = await self._plan(due, late=status == "late", retried=attempt > 0)
        if plan is None:
            return None  # cancelled meanwhile: nothing to announce, nothing to record
        task = asyncio.create_task(self._deliver(due, attempt, plan, status, progress))
        self._flights[due.key] = (due, task)
        task.add_done_callback(lambda done: self._landed(due.key, done))
        return task

    def _landed(self, key: LedgerKey, task: asyncio.Task[Exception | None]) -> None:
        if self._flights.get(key, (None, None))[1] is task:
            del self._flights[key]

    async def _give_up(self, due: Due, lateness: timedelta, progress: Progress) -> None:
        """Past the grace window: missed, or failed in the rooms that did not get it yet."""
        status: Status = "missed"
        missing: list[RoomOutcome] = []
        if progress.rooms:
            plan = await self._plan(due, late=True)
            targets = [t for t in (plan.targets if plan else ()) if t not in progress.rooms]
            missing = [RoomOutcome(t, "failed", OFFLINE) for t in targets]
            status = "failed"
        await self.ledger.settle(due.key, missing, status)
        log.warning(
            "announcement %s at %s (%d min before) missed by %s: beyond the grace window",
            due.source,
            due.occurrence.isoformat(),
            due.offset,
            lateness,
        )

    async def _deliver(
        self, due: Due, attempt: int, plan: Plan, status: RoomStatus, progress: Progress
    ) -> Exception | None:
        """Send to every room at once, recording each outcome as it comes and the whole
        announcement with the last. An error while recording puts it back to retry."""
        deadline = due.at + timedelta(seconds=self.app.config.meetings.grace)
        outcomes = [RoomOutcome(room, done) for room, done in progress.rooms.items()]
        pending = {
            asyncio.create_task(self._send(due, plan.reply, target, status, deadline))
            for target in plan.targets
            if target not in progress.rooms
        }
        batch: list[RoomOutcome] = []
        try:
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                batch = [task.result() for task in done]
                outcomes += batch
                if pending:
                    await self._record(due, batch)
            failed = any(o.status == "failed" for o in outcomes)
            await self._record(due, batch, "failed" if failed else status)
        except Exception as exc:
            self._retry_later(due, attempt, exc)
            return exc
        finally:
            for task in pending:
                task.cancel()
        return None

    async def _record(
        self, due: Due, outcomes: list[RoomOutcome], status: Status | None = None
    ) -> None:
        # Direct-message reminders are not recorded per person: that would keep who asked.
        rooms = outcomes if due.channel == "rooms" else []
        await self.ledger.settle(due.key, rooms, status)

    async def _send(
        self, due: Due, reply: Reply, target: str, status: RoomStatus, deadline: datetime
    ) -> RoomOutcome:
        """Send to one room (or person) until it lands, is refused, or the window ends."""
        window = max(SHORTEST_TRY, (deadline - self.app.clock.now()).total_seconds())
        room = target if due.channel == "rooms" else None
        try:
            async with asyncio.timeout(window):
                if room is None:
                    room = await self.app.transport.direct_room(UserId(target))
                await self.app.transport.send(
                    Outgoing(RoomId(room), reply, txn_id_for(due.key, target))
                )
            return RoomOutcome(target, status)
        except SendFailed as exc:
            reason = exc.code or REFUSED  # never the server's own words: they reach a room
        except TimeoutError:
            reason = TIMED_OUT
        except Exception:
            log.exception("sending %s to %s failed", self._what(due), room or "a direct chat")
            reason = ERROR
        log.warning(
            "announcement of %s for %s (%s) failed in %s: %s",
            self._what(due),
            due.occurrence.isoformat(),
            "at the start" if due.offset == 0 else f"{span_text(due.offset)} before",
            room or "a direct chat",
            describe_failure(reason),
        )
        return RoomOutcome(target, "failed", reason)

    async def close(self) -> None:
        """Stop the sends still under way (at shutdown); the next start takes them up."""
        tasks = [task for _, task in self._flights.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _plan(self, due: Due, late: bool, retried: bool = False) -> Plan | None:
        """What to say and to whom; None when there is nothing to announce any more (for a
        retried one, also when its meeting was moved meanwhile)."""
        prefix = self._late(late)
        if due.source.startswith("c:"):
            fixed = next(
                (f for f in self.app.config.announcements if f"c:{f.id}" == due.source), None
            )
            return Plan(Reply(prefix + fixed.text), tuple(fixed.rooms)) if fixed else None
        meeting = await self.app.meetings.store.get(int(due.source[2:]))
        if (
            meeting is None
            or meeting.cancelled
            or occurrence_key(due.occurrence) in meeting.exceptions
            or (retried and not _still_planned(meeting, due))
        ):
            return None
        reply = Reply(prefix + await self._text(meeting, due))
        if due.channel == "dm":
            people = await self.app.meetings.store.reminder_list(
                meeting.id, occurrence_key(due.occurrence)
            )
            return Plan(reply, tuple(people))
        return Plan(reply, meeting.rooms)

    @staticmethod
    def _what(due: Due) -> str:
        kind, _, name = due.source.partition(":")
        return f"meeting #{name}" if kind == "m" else f"announcement {name!r}"

    @staticmethod
    def _late(late: bool) -> str:
        return "_(Late: I was offline when this was due.)_ " if late else ""

    async def _text(self, meeting: Meeting, due: Due) -> str:
        service = self.app.meetings
        title = f"**{md_escape(meeting.title)}**"
        link = f" Join: {md_link(meeting.link)}" if meeting.link else ""
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

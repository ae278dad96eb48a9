"""Announcements that are never missed silently and never sent twice.

Every announcement is keyed by (what, occurrence, offset, channel) in a ledger, which also
keeps what became of it in each room. Upcoming ones come from the queue of streams (see
`streams`); a sweep starts everything due, and the scheduler that calls it is only the alarm
clock. Whatever goes wrong while handling an announcement (a locked or full database…) puts it
back to be tried again: the ledger and the txn ids make a retry safe.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from natm_bot.config.settings import BotSection, FixedAnnouncement, MeetingsSection
from natm_bot.core.clock import Clock
from natm_bot.core.i18n import speaking
from natm_bot.core.jobs import AnnouncementSource
from natm_bot.core.messages import EventId, Reply
from natm_bot.core.observer import SILENT, Observer
from natm_bot.features.meetings import announcement_texts as texts
from natm_bot.features.meetings.delivery import Delivery, Plan
from natm_bot.features.meetings.failures import OFFLINE
from natm_bot.features.meetings.occurrences import occurrence_key, schedule_of
from natm_bot.features.meetings.streams import Due, DueQueue, fixed_source, meeting_source
from natm_bot.features.meetings.views import times
from natm_bot.storage.agenda import AgendaStore
from natm_bot.storage.announcements import (
    AnnouncementLedger,
    LedgerKey,
    Progress,
    RoomOutcome,
    RoomStatus,
    Status,
)
from natm_bot.storage.meetings import Meeting, MeetingStore
from natm_bot.storage.state import ANNOUNCED_UNTIL, State
from natm_bot.transport import Transport

log = logging.getLogger(__name__)

ON_TIME = timedelta(seconds=60)
YIELD_EVERY = 200  # meetings loaded between two turns of the event loop
SETTLE_SECONDS = 2.0  # how long a sweep waits for the sends it started before it returns
RETRY_FIRST = timedelta(seconds=10)  # after an error while handling an announcement…
RETRY_LONGEST = timedelta(minutes=5)  # … doubling up to this

Flight = asyncio.Task[Exception | None]
Text = Callable[[], Awaitable[str]]  # writes an announcement in the language in force


class Languages(Protocol):
    """The language each room, and each person, reads announcements in."""

    async def for_room(self, room: str) -> str:
        """The language of announcements in a room."""

    async def for_person(self, user: str) -> str:
        """The language of direct messages to a person."""


def _still_planned(meeting: Meeting, due: Due) -> bool:
    """Whether the meeting, as it is now, still has this occurrence and reminder."""
    if due.channel == "rooms" and due.offset not in meeting.reminders:
        return False
    return schedule_of(meeting).next_after(due.occurrence) == [due.occurrence]


class Announcer:
    """Keeps the next due announcement of every meeting and sends what is due."""

    def __init__(
        self,
        store: MeetingStore,
        ledger: AnnouncementLedger,
        state: State,
        transport: Transport,
        clock: Clock,
        *,
        settings: MeetingsSection,
        bot: BotSection,
        fixed: Sequence[FixedAnnouncement],
        languages: Languages,
        observer: Observer = SILENT,
    ) -> None:
        self.ledger = ledger
        self._languages = languages
        self._store = store
        self._state = state
        self._clock = clock
        self._settings = settings
        self._bot = bot
        self._fixed = {AnnouncementSource.fixed(f.id): f for f in fixed}
        self._grace = timedelta(seconds=settings.grace)
        self._observer = observer
        self._delivery = Delivery(transport, ledger, clock, self._grace, observer)
        self.queue = DueQueue()
        self._lock = asyncio.Lock()
        self._flights: dict[LedgerKey, tuple[Due, Flight]] = {}  # sends under way, by key
        self.on_change: Callable[[], None] | None = None  # told when the next due time moves
        self.loaded = False
        self.agenda: AgendaStore | None = None  # shown in the "starting now" message

    # ----- building the queue ----------------------------------------------------------------

    async def load(self) -> None:
        """Build every stream from where the last run stopped; nothing is sent yet."""
        now = self._clock.now()
        mark = await self._state.get(ANNOUNCED_UNTIL)
        # Everything due after the last sweep (or, before any sweep, after a meeting was
        # planned) is still to do; the ledger keeps what was done from being done again.
        checked = datetime.fromisoformat(mark) if mark else None
        dm_minutes = self._settings.dm_reminder // 60
        for index, meeting in enumerate(await self._store.active()):
            planned = meeting.created_at or now
            after = max(checked, planned) if checked else planned
            self.queue.install(meeting_source(meeting, after, dm_minutes))
            if index % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)  # let commands be answered meanwhile
        for fixed in self._fixed.values():
            self.queue.install(fixed_source(fixed, checked or now))
        self.loaded = True

    async def reschedule(self, meeting: Meeting) -> None:
        """A meeting was added, changed or cancelled: restart its stream from now."""
        if meeting.cancelled:
            self.queue.drop(AnnouncementSource.meeting(meeting.id))
        elif self.loaded:
            dm_minutes = self._settings.dm_reminder // 60
            self.queue.install(meeting_source(meeting, self._clock.now(), dm_minutes))
        self._changed()

    def next_due(self) -> datetime | None:
        """When the next announcement is due (or due to be tried again), if any."""
        return self.queue.next_due()

    def _changed(self) -> None:
        if self.on_change:
            self.on_change()

    # ----- sending ---------------------------------------------------------------------------

    async def wake(self) -> int:
        """Load the queue if it is not loaded yet (at start, or after loading failed), then
        sweep."""
        if not self.loaded:
            await self.load()
        return await self.sweep()

    async def sweep(self) -> int:
        """Start (or record as missed) everything due by now; how many were handled.

        Returns once the sends it started have landed or failed, or are left to retry in the
        background. Raises the first error met, after putting what it concerned back."""
        errors: list[Exception] = []
        async with self._lock:
            now = self._clock.now()
            started, handled = await self._fire_all(now, errors)
            try:
                await self._save_progress(now)
            except Exception as exc:
                errors.append(exc)
        self._changed()  # re-arm now: the wait below must not hold up the next wake-up
        if started:
            done, _ = await asyncio.wait(started, timeout=SETTLE_SECONDS)
            errors += [e for t in done if not t.cancelled() and (e := t.result()) is not None]
        if errors:
            raise errors[0]
        return handled

    async def _fire_all(self, now: datetime, errors: list[Exception]) -> tuple[list[Flight], int]:
        """Fire every due item; one that fails is put back and the others still go."""
        started: list[Flight] = []
        handled = 0
        while (item := self.queue.pop(now)) is not None:
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

    def _retry_later(self, due: Due, attempt: int, exc: Exception) -> None:
        """Put an announcement back after an error; the ledger and txn ids make it safe."""
        delay = min(RETRY_LONGEST, RETRY_FIRST * 2 ** min(attempt, 8))
        when = self._clock.now() + delay
        self.queue.retry(due, attempt + 1, when)
        log.warning(
            "announcement of %s for %s could not be handled (%s: %s); trying again at %s",
            texts.what(due),
            due.occurrence.isoformat(),
            type(exc).__name__,
            exc,
            when.isoformat(timespec="seconds"),
        )
        self._changed()

    async def _save_progress(self, now: datetime) -> None:
        """Remember how far announcements are handled. One still unfinished keeps the mark
        before it, so that after a restart it is taken up again."""
        unfinished = [due.at for due, _ in self._flights.values()] + self.queue.retrying()
        mark = min([now, *(at - timedelta(microseconds=1) for at in unfinished)])
        await self._state.put(ANNOUNCED_UNTIL, mark.isoformat())

    async def _fire(self, due: Due, attempt: int, now: datetime) -> Flight | None:
        """Check the ledger and start the sends of one announcement, if any are left."""
        if due.key in self._flights:
            return None  # still under way
        progress = await self.ledger.progress(due.key)
        if progress.done:
            return None
        lateness = now - due.at
        if lateness > self._grace:
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

    def _landed(self, key: LedgerKey, task: Flight) -> None:
        if self._flights.get(key, (None, None))[1] is task:
            del self._flights[key]

    async def _deliver(
        self, due: Due, attempt: int, plan: Plan, status: RoomStatus, progress: Progress
    ) -> Exception | None:
        """Deliver one announcement; an error while recording puts it back to retry."""
        try:
            await self._delivery.deliver(due, plan, status, progress)
        except Exception as exc:
            self._retry_later(due, attempt, exc)
            return exc
        return None

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
        self._observer.announced(status)
        log.warning(
            "announcement %s at %s (%d min before) missed by %s: beyond the grace window",
            due.source,
            due.occurrence.isoformat(),
            due.offset,
            lateness,
        )

    async def close(self) -> None:
        """Stop the sends still under way (at shutdown); the next start takes them up."""
        tasks = [task for _, task in self._flights.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ----- what to say -----------------------------------------------------------------------

    async def _plan(self, due: Due, late: bool, retried: bool = False) -> Plan | None:
        """What to say and to whom; None when there is nothing to announce any more (for a
        retried one, also when its meeting was moved meanwhile)."""
        if due.source.meeting_id is None:
            fixed = self._fixed.get(due.source)
            if fixed is None:
                return None

            async def fixed_text() -> str:
                return fixed.text

            return await self._written(due, tuple(fixed.rooms), fixed_text, late)
        meeting = await self._store.get(due.source.meeting_id)
        if (
            meeting is None
            or meeting.cancelled
            or occurrence_key(due.occurrence) in meeting.exceptions
            or (retried and not _still_planned(meeting, due))
        ):
            return None
        targets = meeting.rooms
        if due.channel == "dm":
            key = occurrence_key(due.occurrence)
            targets = tuple(await self._store.reminder_list(meeting.id, key))
        plan = await self._written(due, targets, lambda: self._hinted(meeting, due), late)
        return replace(plan, threads=await self._threads(meeting, due))

    async def _threads(self, meeting: Meeting, due: Due) -> dict[str, EventId]:
        """Each room's thread of the occurrence: its first announcement there, when one was
        posted and the meeting keeps a thread per date (never for direct messages)."""
        if due.channel != "rooms" or not meeting.threads:
            return {}
        key = occurrence_key(due.occurrence)
        roots = {
            room: await self.ledger.first_event(due.source, key, room) for room in meeting.rooms
        }
        return {room: EventId(root) for room, root in roots.items() if root is not None}

    async def _hinted(self, meeting: Meeting, due: Due) -> str:
        """The announcement, with how to answer by reacting when it goes to rooms before the
        start ("starting now" says what it says)."""
        text = await self._text(meeting, due)
        hinted = due.channel == "rooms" and due.offset > 0
        return f"{text}\n\n{texts.react_hint()}" if hinted else text

    async def _written(self, due: Due, targets: Sequence[str], text: Text, late: bool) -> Plan:
        """Each room's (or person's) announcement in its language, written once per language."""
        by_language: dict[str, Reply] = {}
        replies: dict[str, Reply] = {}
        for target in targets:
            if due.channel == "dm":
                lang = await self._languages.for_person(target)
            else:
                lang = await self._languages.for_room(target)
            if lang not in by_language:
                with speaking(lang):
                    by_language[lang] = Reply(texts.late_prefix(late) + await text())
            replies[target] = by_language[lang]
        return Plan(replies)

    async def _text(self, meeting: Meeting, due: Due) -> str:
        counts = await self._store.rsvp_counts(meeting.id, occurrence_key(due.occurrence))
        if due.offset == 0:
            key = occurrence_key(due.occurrence)
            items = await self.agenda.items(meeting.id, key) if self.agenda else []
            agenda = [item.text for item in items]
            return texts.starting(meeting, counts, agenda, self._bot.prefix)
        when = times(
            due.occurrence,
            meeting.timezone,
            None,
            display_zones=self._bot.display_timezones,
            now=self._clock.now(),
        )
        return texts.reminder(meeting, due.offset, when, counts, self._bot.prefix)

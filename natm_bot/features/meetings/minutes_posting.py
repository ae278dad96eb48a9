"""Ending an occurrence and posting its minutes once: at `endmeeting`, or on its own at its
planned end plus half an hour. The `minutes` job posts whatever ended and was not posted yet
(after a crash between the two) and ends the occurrences whose time ran out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from natm_bot.core.clock import Clock
from natm_bot.core.i18n import speaking
from natm_bot.core.jobs import AnnouncementSource
from natm_bot.core.messages import EventId, Outgoing, Reply, RoomId, txn_id
from natm_bot.features.meetings.minutes import Languages, MinutesDesk
from natm_bot.features.meetings.minutes_model import Adopt, Minutes, started_within, window_end
from natm_bot.features.meetings.minutes_views import minutes_text
from natm_bot.storage.agenda import AgendaStore
from natm_bot.storage.announcements import AnnouncementLedger
from natm_bot.storage.meetings import Meeting, MeetingStore
from natm_bot.storage.minutes import MinutesStore, Session
from natm_bot.transport import Transport

log = logging.getLogger(__name__)


class MinutesPoster:
    """Ends occurrences and posts their minutes, each once per room."""

    def __init__(
        self,
        desk: MinutesDesk,
        agenda: AgendaStore,
        languages: Languages,
        adopt: Adopt | None = None,
    ) -> None:
        self.desk = desk
        self.agenda = agenda
        self.languages = languages
        self.adopt = adopt  # None: no action items kept (no service to hand them to)
        self._due: datetime | None = None
        self.rearm: Callable[[], None] = _nothing

    @property
    def store(self) -> MinutesStore:
        """The lines and sessions."""
        return self.desk.store

    @property
    def meetings(self) -> MeetingStore:
        """The meetings."""
        return self.desk.meetings

    @property
    def clock(self) -> Clock:
        """The time."""
        return self.desk.clock

    @property
    def ledger(self) -> AnnouncementLedger:
        """The announcements (the root of each occurrence's thread)."""
        return self.desk.ledger

    @property
    def transport(self) -> Transport:
        """Where the minutes go."""
        return self.desk.transport

    async def minutes(self, meeting: Meeting, occurrence: int) -> Minutes:
        """The minutes of one occurrence as they stand."""
        items = await self.agenda.items(meeting.id, occurrence)
        lines = await self.store.lines(meeting.id, occurrence)
        return Minutes(meeting, occurrence, tuple(items), tuple(lines))

    async def end(self, meeting: Meeting, occurrence: int, by: str | None) -> bool:
        """End an occurrence and post its minutes; False when it had ended already."""
        if not await self.store.end(meeting.id, occurrence, self.clock.now(), by):
            return False
        await self._safely(meeting.id, occurrence, None)
        return True

    async def _post(self, meeting: Meeting, session: Session) -> None:
        """Post the minutes in each room (in the occurrence's thread), hand the actions
        over, then mark them posted; a failure leaves them for the next sweep."""
        minutes = await self.minutes(meeting, session.occurrence)
        quiet = session.ended_by is None and not await self.store.any_line(
            meeting.id, session.occurrence
        )
        if not quiet:
            for room in meeting.rooms:
                await self._post_in(minutes, room)
            if self.adopt is not None and minutes.actions():
                await self.adopt(
                    meeting.id, session.occurrence, meeting.group_id, minutes.actions()
                )
        await self.store.posted(meeting.id, session.occurrence, self.clock.now())

    async def _post_in(self, minutes: Minutes, room: str) -> None:
        meeting, occurrence = minutes.meeting, minutes.occurrence
        thread = None
        if meeting.threads:
            source = AnnouncementSource.meeting(meeting.id)
            thread = await self.ledger.first_event(source, occurrence, room)
        with speaking(await self.languages.for_room(room)):
            text = minutes_text(minutes)
        key = txn_id("natm-m-", meeting.id, occurrence, room)
        root = EventId(thread) if thread else None
        await self.transport.send(Outgoing(RoomId(room), Reply(text), key, thread=root))

    async def personal(self, user: str) -> tuple[int, list[str]]:
        """How many lines of minutes a person said, and the agenda items they added."""
        said = await self.store.said_by(user)
        return said, [item.text for item in await self.agenda.of_person(user)]

    async def forget(self, user: str) -> int:
        """Keep a person's lines and agenda items without their name; how many."""
        return await self.store.forget(user) + await self.agenda.forget(user)

    def next_due(self) -> datetime | None:
        """The earliest automatic end of an occurrence with lines said."""
        due = [d for d in (self._due, *self.desk.recorded) if d is not None]
        return min(due) if due else None

    async def sweep(self) -> None:
        """Post what ended unposted, end what ran out of time."""
        now = self.clock.now()
        for session in await self.store.unposted():
            await self._safely(session.meeting_id, session.occurrence, None)
        upcoming: list[datetime] = []
        for meeting_id, occurrence in await self.store.open_with_lines():
            meeting = await self.meetings.get(meeting_id)
            if meeting is None:
                continue
            end = window_end(meeting, occurrence)
            if end <= now:
                await self._safely(meeting_id, occurrence, meeting)
            else:
                upcoming.append(end)
        self.desk.recorded.clear()
        self._due = min(upcoming) if upcoming else None

    async def _safely(self, meeting_id: int, occurrence: int, meeting: Meeting | None) -> None:
        """End (when `meeting` is given) or post one occurrence; a failure waits for the
        next sweep."""
        try:
            found = meeting or await self.meetings.get(meeting_id)
            if found is None:
                return
            if meeting is not None:
                await self.store.end(meeting_id, occurrence, self.clock.now(), None)
            session = await self.store.session(meeting_id, occurrence)
            if session is not None and session.posted_at is None:
                await self._post(found, session)
        except Exception:
            log.exception(
                "the minutes of meeting %d (%d) wait to be posted", meeting_id, occurrence
            )


def _nothing() -> None:
    """No job to re-arm (before it is registered)."""


async def running_occurrence(poster: MinutesPoster, meeting: Meeting) -> int | None:
    """The latest occurrence of a meeting that runs now and was not ended."""
    for occurrence in started_within(meeting, poster.clock.now()):
        if await poster.store.session(meeting.id, occurrence) is None:
            return occurrence
    return None


async def held(poster: MinutesPoster, meeting: Meeting, day: date | None) -> int | None:
    """The latest occurrence held (ended), or the one held on `day` in the meeting's zone."""
    zone = ZoneInfo(meeting.timezone)
    for session in await poster.store.sessions(meeting.id):
        start = datetime.fromtimestamp(session.occurrence, UTC).astimezone(zone)
        if day is None or start.date() == day:
            return session.occurrence
    return None


async def ended_by_command(
    poster: MinutesPoster, meeting: Meeting, sender: str, at: datetime
) -> bool:
    """Whether a command from `sender` sent at `at` is the one that ended the meeting's
    latest held occurrence (handled again after a restart): it gets the same answer."""
    sessions = await poster.store.sessions(meeting.id)
    if not sessions or sessions[0].ended_by != sender:
        return False
    return int(at.timestamp()) <= int(sessions[0].ended_at.timestamp())

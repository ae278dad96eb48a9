"""The minutes desk: the `#` lines said while a meeting runs are recorded (a ✍️ on each, and
nothing else in the room), taken back by `#undo`, a retraction or an edit; a line refused
gets its reason privately; a line outside any running meeting is ignored."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from natm_bot.core.clock import Clock
from natm_bot.core.i18n import speaking
from natm_bot.core.jobs import AnnouncementSource
from natm_bot.core.messages import Message, Reply, Retraction, txn_id
from natm_bot.features.meetings.minutes_lines import Line, Refused, read_line, refusal_text
from natm_bot.features.meetings.minutes_model import started_within, window_end
from natm_bot.storage.announcements import AnnouncementLedger
from natm_bot.storage.meetings import Meeting, MeetingStore
from natm_bot.storage.minutes import MinuteLine, MinutesStore
from natm_bot.transport import Transport

log = logging.getLogger(__name__)

RECORDED = "✍️"


class Languages(Protocol):
    """The language a person reads and writes in, and a room's."""

    async def for_person(self, user: str) -> str:
        """The language of direct messages to a person."""

    async def for_room(self, room: str) -> str:
        """The language of announcements in a room."""


@dataclass(frozen=True)
class Running:
    """An occurrence running in a room, and the root of its thread there (if any)."""

    meeting: Meeting
    occurrence: int
    root: str | None


class MinutesDesk:
    """Records the lines of minutes of running meetings."""

    def __init__(
        self,
        meetings: MeetingStore,
        store: MinutesStore,
        ledger: AnnouncementLedger,
        transport: Transport,
        clock: Clock,
        languages: Languages,
    ) -> None:
        self.meetings, self.store, self.ledger = meetings, store, ledger
        self.transport, self.clock, self.languages = transport, clock, languages
        self.recorded: list[datetime] = []  # window ends of occurrences just written to
        self.rearm: Callable[[], None] = _nothing  # the posting job's, once registered

    async def running_in(self, room: str, now: datetime) -> list[Running]:
        """The occurrences not ended whose window holds `now` in `room`, latest first."""
        found: list[Running] = []
        for meeting in await self.meetings.active():
            if room not in meeting.rooms:
                continue
            for occurrence in started_within(meeting, now):
                if await self.store.session(meeting.id, occurrence) is None:
                    source = AnnouncementSource.meeting(meeting.id)
                    root = await self.ledger.first_event(source, occurrence, room)
                    found.append(Running(meeting, occurrence, root))
        return sorted(found, key=lambda r: r.occurrence, reverse=True)

    async def _which(self, message: Message) -> Running | None:
        """The occurrence a line belongs to: the one whose thread it is said in, else the
        latest started in the room."""
        running = await self.running_in(message.room_id, message.timestamp)
        if message.thread_id is not None:
            for candidate in running:
                if candidate.root == message.thread_id:
                    return candidate
        return running[0] if running else None

    async def note(self, message: Message) -> list[Reply]:
        """Read a line said in a room; the private refusal when it cannot be recorded."""
        if message.is_direct or not message.body.lstrip().startswith("#"):
            return []
        if message.edit_of is not None:
            return await self._edited(message)
        running = await self._which(message)
        if running is None:
            return []
        language = await self.languages.for_person(message.sender)
        today = message.timestamp.astimezone(_zone(running.meeting)).date()
        read = read_line(message.body, language, today, message.mentions)
        if read is None:
            return []
        if isinstance(read, Refused):
            with speaking(language):
                return [Reply(refusal_text(read), private=True)]
        if read.kind == "undo":
            await self.store.undo_last(running.meeting.id, running.occurrence, message.sender)
        else:
            await self._record(message, running, read)
        await self._ack(message)
        return []

    async def _record(self, message: Message, running: Running, line: Line) -> None:
        name = self.transport.display_name(message.room_id, message.sender)
        kept = MinuteLine(
            event_id=message.event_id,
            meeting_id=running.meeting.id,
            occurrence=running.occurrence,
            room_id=message.room_id,
            sender=message.sender,
            speaker_name=name,
            kind=line.kind,
            text=line.text,
            owner=line.owner,
            due=line.due,
            said_at=message.timestamp,
        )
        if await self.store.record(kept):
            self.recorded.append(window_end(running.meeting, running.occurrence))
            self.rearm()

    async def _ack(self, message: Message) -> None:
        """The one sign in the room that a line was recorded (a repeat gives the same)."""
        key = txn_id("natm-w-", message.event_id)
        try:
            await self.transport.react(message.room_id, message.event_id, RECORDED, key)
        except Exception:
            log.exception("could not mark line %s recorded", message.event_id)

    async def _edited(self, message: Message) -> list[Reply]:
        """An edit of a recorded line, while its meeting still runs, replaces its text."""
        assert message.edit_of is not None
        kept = await self.store.line(message.edit_of)
        if kept is None or kept.sender != message.sender or kept.undone:
            return []
        if await self.store.session(kept.meeting_id, kept.occurrence) is not None:
            return []
        meeting = await self.meetings.get(kept.meeting_id)
        if meeting is None:
            return []
        language = await self.languages.for_person(message.sender)
        today = message.timestamp.astimezone(_zone(meeting)).date()
        read = read_line(message.body, language, today, message.mentions)
        if isinstance(read, Refused):
            with speaking(language):
                return [Reply(refusal_text(read), private=True)]
        if read is None or read.kind == "undo":
            await self.store.undo(kept.event_id)
            return []
        await self.store.replace(kept.event_id, _as_line(kept, read))
        return []

    async def retracted(self, retraction: Retraction) -> None:
        """A recorded line taken back (redacted, by its speaker or a moderator) no longer
        counts."""
        await self.store.undo(retraction.redacts)


def _as_line(kept: MinuteLine, read: Line) -> MinuteLine:
    """A recorded line with what its edit says."""
    return MinuteLine(
        kept.event_id, kept.meeting_id, kept.occurrence, kept.room_id, kept.sender,
        kept.speaker_name, read.kind, read.text, read.owner, read.due, kept.said_at,
    )  # fmt: skip


def _zone(meeting: Meeting) -> ZoneInfo:
    """The meeting's zone (the day a due date without a year counts from)."""
    return ZoneInfo(meeting.timezone)


def _nothing() -> None:
    """No job to re-arm yet."""

"""The agenda of a meeting's next occurrence (the one running, else the next to come): items
anyone in its rooms may add (or only its organisers, `agenda=organisers`), and their authors
or an organiser may remove."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum

from natm_bot.core.clock import Clock
from natm_bot.core.messages import RoomId, UserId
from natm_bot.features.meetings.minutes_lines import MAX_TEXT, clean
from natm_bot.features.meetings.minutes_model import started_within
from natm_bot.features.meetings.occurrences import next_occurrences, occurrence_key
from natm_bot.storage.agenda import AgendaItem, AgendaStore
from natm_bot.storage.meetings import Meeting

Members = Callable[[RoomId], list[UserId]]


class Added(Enum):
    """What became of an item someone added."""

    ADDED = "added"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_IN_ROOMS = "not_in_rooms"
    ORGANISERS_ONLY = "organisers_only"
    NO_OCCURRENCE = "no_occurrence"


class Removed(Enum):
    """What became of an item someone removed."""

    REMOVED = "removed"
    NO_SUCH_ITEM = "no_such_item"
    NOT_YOURS = "not_yours"


class AgendaService:
    """Agenda items, per occurrence."""

    def __init__(self, store: AgendaStore, clock: Clock, members: Members) -> None:
        self.store = store
        self.clock = clock
        self.members = members

    def occurrence(self, meeting: Meeting, now: datetime | None = None) -> int | None:
        """The occurrence an agenda is for: the one running, else the next; None when the
        meeting has no more."""
        now = now or self.clock.now()
        running = started_within(meeting, now)
        if running:
            return running[0]
        upcoming = next_occurrences(meeting, now, 1) if not meeting.cancelled else []
        return occurrence_key(upcoming[0]) if upcoming else None

    async def items(self, meeting: Meeting, occurrence: int) -> list[AgendaItem]:
        """The items of one occurrence, in the order added."""
        return await self.store.items(meeting.id, occurrence)

    def in_rooms(self, meeting: Meeting, user: str) -> bool:
        """Whether a person is in one of the meeting's rooms."""
        return any(user in self.members(RoomId(room)) for room in meeting.rooms)

    async def add(
        self, meeting: Meeting, user: str, text: str, organiser: bool, source: str
    ) -> tuple[Added, str]:
        """Add an item to the next occurrence's agenda; the outcome and the cleaned text."""
        cleaned = clean(text)
        if not cleaned:
            return Added.EMPTY, cleaned
        if len(cleaned) > MAX_TEXT:
            return Added.TOO_LONG, cleaned
        if not organiser:
            if meeting.agenda_by == "organisers":
                return Added.ORGANISERS_ONLY, cleaned
            if not self.in_rooms(meeting, user):
                return Added.NOT_IN_ROOMS, cleaned
        occurrence = self.occurrence(meeting)
        if occurrence is None:
            return Added.NO_OCCURRENCE, cleaned
        await self.store.add(meeting.id, occurrence, user, cleaned, self.clock.now(), source)
        return Added.ADDED, cleaned

    async def remove(self, meeting: Meeting, number: int, user: str, organiser: bool) -> Removed:
        """Remove the `number`th item (from 1) of the next occurrence's agenda."""
        occurrence = self.occurrence(meeting)
        items = await self.store.items(meeting.id, occurrence) if occurrence is not None else []
        if not 1 <= number <= len(items):
            return Removed.NO_SUCH_ITEM
        item = items[number - 1]
        if item.author != user and not organiser:
            return Removed.NOT_YOURS
        await self.store.remove(item.id)
        return Removed.REMOVED

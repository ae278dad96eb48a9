"""The minutes anyone may read: those of meetings announced only in public rooms, whose
minutes were posted (for the public page and the links of its calendar feed)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from natm_bot.features.meetings.minutes_model import Minutes
from natm_bot.features.meetings.minutes_posting import MinutesPoster
from natm_bot.storage.meetings import Meeting

MAX_LINKED = 10_000  # posted occurrences a calendar feed links to, at most


def held_on(meeting: Meeting, occurrence: int) -> date:
    """The date an occurrence was held on, in the meeting's own zone."""
    return datetime.fromtimestamp(occurrence, UTC).astimezone(ZoneInfo(meeting.timezone)).date()


def is_public(meeting: Meeting, rooms: frozenset[str]) -> bool:
    """Whether a meeting is announced in public rooms only (and in one at least)."""
    return bool(meeting.rooms) and set(meeting.rooms) <= rooms


class PublicMinutes:
    """Posted minutes of public meetings, read for the public page."""

    def __init__(self, poster: MinutesPoster) -> None:
        self._poster = poster

    async def _public(self, rooms: frozenset[str]) -> dict[int, Meeting]:
        meetings = await self._poster.meetings.active()
        return {m.id: m for m in meetings if is_public(m, rooms)}

    async def page(self, rooms: frozenset[str], page: int, size: int) -> tuple[list[Minutes], int]:
        """One page of posted minutes of public meetings, the latest first (the last page for
        one past it); and how many pages there are."""
        meetings = await self._public(rooms)
        store = self._poster.store
        found, total = await store.posted_of(list(meetings), (page - 1) * size, size)
        pages = max(1, -(-total // size))
        if page > pages:
            found, total = await store.posted_of(list(meetings), (pages - 1) * size, size)
        shown = [await self._poster.minutes(meetings[s.meeting_id], s.occurrence) for s in found]
        return shown, pages

    async def one(self, rooms: frozenset[str], meeting_id: int, day: date) -> Minutes | None:
        """The posted minutes of a public meeting held on `day` (in its zone); None when there
        are none to show."""
        meeting = (await self._public(rooms)).get(meeting_id)
        if meeting is None:
            return None
        sessions, _total = await self._poster.store.posted_of([meeting_id], 0, MAX_LINKED)
        for session in sessions:
            if held_on(meeting, session.occurrence) == day:
                return await self._poster.minutes(meeting, session.occurrence)
        return None

    async def linked(
        self, rooms: frozenset[str], meetings: Sequence[Meeting]
    ) -> dict[int, dict[int, date]]:
        """For each of these meetings that is public: its occurrences with posted minutes and
        the date each was held on."""
        public = [m for m in meetings if is_public(m, rooms)]
        by_id = {m.id: m for m in public}
        store = self._poster.store
        sessions, _total = await store.posted_of(list(by_id), 0, MAX_LINKED)
        found: dict[int, dict[int, date]] = {}
        for s in sessions:
            meeting = by_id[s.meeting_id]
            found.setdefault(s.meeting_id, {})[s.occurrence] = held_on(meeting, s.occurrence)
        return found

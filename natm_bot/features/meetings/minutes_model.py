"""What minutes are made of, and when an occurrence runs: from its start until it is ended,
or its duration plus half an hour."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from natm_bot.features.meetings.occurrences import occurrence_key, schedule_of
from natm_bot.storage.agenda import AgendaItem
from natm_bot.storage.meetings import Meeting
from natm_bot.storage.minutes import MinuteLine

OVERRUN = timedelta(minutes=30)  # how long after its planned end a meeting still runs


@dataclass(frozen=True)
class NewAction:
    """An `#action` line of posted minutes, handed over to become an action item."""

    source_event: str
    owner: str | None
    text: str
    due: date | None


class Adopt(Protocol):
    """Turns the actions of posted minutes into action items (idempotent by source_event)."""

    async def __call__(
        self,
        meeting_id: int,
        occurrence: int,
        group_id: str | None,
        items: Sequence[NewAction],
    ) -> None:
        """Keep the items; one already kept (same source event) is left as it is."""


@dataclass(frozen=True)
class Minutes:
    """The minutes of one occurrence: its agenda and its lines still standing."""

    meeting: Meeting
    occurrence: int
    agenda: tuple[AgendaItem, ...]
    lines: tuple[MinuteLine, ...]

    @property
    def start(self) -> datetime:
        """When the occurrence started."""
        return datetime.fromtimestamp(self.occurrence, UTC)

    def of_kind(self, kind: str) -> list[MinuteLine]:
        """The lines of one kind, in the order said."""
        return [line for line in self.lines if line.kind == kind]

    def actions(self) -> list[NewAction]:
        """The `#action` lines, as action items to be."""
        return [
            NewAction(line.event_id, line.owner, line.text, line.due)
            for line in self.of_kind("action")
        ]


def window_end(meeting: Meeting, occurrence: int) -> datetime:
    """When an occurrence stops running on its own."""
    start = datetime.fromtimestamp(occurrence, UTC)
    return start + timedelta(minutes=meeting.duration_minutes) + OVERRUN


def started_within(meeting: Meeting, now: datetime) -> list[int]:
    """The occurrences of a meeting whose running window holds `now`, latest first."""
    if meeting.cancelled:
        return []
    reach = timedelta(minutes=meeting.duration_minutes) + OVERRUN
    moments = schedule_of(meeting).between(now - reach, now + timedelta(seconds=1))
    keys = [occurrence_key(m) for m in moments]
    return sorted((k for k in keys if k not in meeting.exceptions), reverse=True)


def after_start(meeting: Meeting, occurrence: int, now: datetime) -> bool:
    """Whether `now` is inside the occurrence's window (start included, end excluded)."""
    return occurrence <= now.timestamp() < window_end(meeting, occurrence).timestamp()

"""Timed work, as features declare it: the job registry's interface and the typed sources of
the work it leads to.

The app owns one registry (APScheduler underneath, `engine/scheduler.py`) and hands it to the
features; each registers its jobs by name with a trigger and a coroutine. A job is supervised:
a failure is logged once with a reference and the job runs again on its next turn.

The registry only times wake-ups; what is due, and whether it was done, is the feature's to
say, from the database. Missed-work policy: a wake-up that comes late (a stalled loop, a
sleeping machine) still runs, once, as soon as it can, and a `WhenDue` job also runs at start,
so work that fell due while the bot was down is seen; the work itself then decides between
"late, within its grace window" and "missed, recorded and logged". Nothing is dropped silently.
Work that must happen once across restarts keys itself by an `AnnouncementSource` plus its
occurrence in the ledger (`storage/announcements.py`) before it counts as done.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

Work = Callable[[], Awaitable[object]]
NextDue = Callable[[], datetime | None]
Rearm = Callable[[], None]


@dataclass(frozen=True)
class Every:
    """Run every `interval`, the first time one interval after the start."""

    interval: timedelta


@dataclass(frozen=True)
class WhenDue:
    """Run at the start, at each time `next_due` names, and at least every `safety` (a sweep
    that catches whatever a delayed wake-up could have left)."""

    next_due: NextDue
    safety: timedelta


Trigger = Every | WhenDue


class JobRegistry(Protocol):
    """Where features register their timed work."""

    def register(self, name: str, trigger: Trigger, work: Work) -> Rearm:
        """Add a supervised job; the returned callable re-reads `next_due` (call it when the
        job's next due time may have moved; it does nothing for `Every` jobs)."""


class Timed(Protocol):
    """Timed work a feature runs when due: what a test clock wakes as the scheduler would."""

    def next_due(self) -> datetime | None:
        """When it is next due, if ever."""

    async def sweep(self) -> object:
        """Do whatever is due now."""


class SourceKind(StrEnum):
    """What an announcement (or any keyed timed work) comes from, as stored."""

    MEETING = "m"  # a meeting planned in chat; its id is the meeting's number
    FIXED = "c"  # a fixed announcement of bot.yaml; its id is the one written there


_KINDS = frozenset(kind.value for kind in SourceKind)
_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
_NUMBER_RE = re.compile(r"[1-9][0-9]{0,17}")


@dataclass(frozen=True)
class AnnouncementSource:
    """What a piece of timed work is about: a kind and an id. Stored as `kind:id`; `format`
    and `parse` are the only two places that know that spelling."""

    kind: SourceKind
    id: str

    def __post_init__(self) -> None:
        pattern = _NUMBER_RE if self.kind is SourceKind.MEETING else _ID_RE
        if not pattern.fullmatch(self.id):
            raise ValueError(f"not a {self.kind.name.lower()} id: {self.id[:40]!r}")

    @classmethod
    def meeting(cls, meeting_id: int) -> AnnouncementSource:
        """The announcements of meeting #`meeting_id`."""
        return cls(SourceKind.MEETING, str(meeting_id))

    @classmethod
    def fixed(cls, name: str) -> AnnouncementSource:
        """A fixed announcement of bot.yaml."""
        return cls(SourceKind.FIXED, name)

    @property
    def meeting_id(self) -> int | None:
        """The meeting's number, for a meeting's announcements."""
        return int(self.id) if self.kind is SourceKind.MEETING else None

    def format(self) -> str:
        """The stored form, `m:12` or `c:weekly-call`."""
        return f"{self.kind.value}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> AnnouncementSource:
        """The source a stored form names; ValueError for anything `format` cannot write."""
        kind, colon, ident = text.partition(":")
        if colon and kind in _KINDS:
            try:
                return cls(SourceKind(kind), ident)
            except ValueError:
                pass
        raise ValueError(f"not an announcement source: {text[:40]!r}")

    def __str__(self) -> str:
        return self.format()

"""The announcement ledger: what became of each announcement, as a whole and room by room."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from natm_bot.core.clock import Clock
from natm_bot.core.jobs import AnnouncementSource
from natm_bot.storage.database import Database

Status = Literal["sent", "late", "missed", "failed"]
RoomStatus = Literal["sent", "late", "failed"]


@dataclass(frozen=True)
class LedgerKey:
    """What makes an announcement unique (its idempotency key): what, which occurrence, how
    long before, where."""

    source: AnnouncementSource
    occurrence: int
    offset_minutes: int
    channel: str

    @property
    def columns(self) -> tuple[str, int, int, str]:
        """The key as the ledger's first four columns (the source in its stored form)."""
        return (self.source.format(), self.occurrence, self.offset_minutes, self.channel)


@dataclass(frozen=True)
class RoomOutcome:
    """What became of one announcement in one room; `reason` says why it failed."""

    room: str
    status: RoomStatus
    reason: str = ""
    event_id: str | None = None  # the event it became in the room, once sent


@dataclass(frozen=True)
class Progress:
    """How far one announcement got: whether it is settled, and the rooms known so far."""

    done: bool
    rooms: Mapping[str, RoomStatus]


@dataclass(frozen=True)
class AnnouncementRecord:
    """One announcement as the ledger has it, with its rooms; status None while it is still
    being sent."""

    occurrence: int
    offset_minutes: int
    channel: str
    status: Status | None
    rooms: tuple[RoomOutcome, ...]


_KEY_MATCH = "source = ? AND occurrence = ? AND offset_minutes = ? AND channel = ?"


class AnnouncementLedger:
    """The record of announcements sent, sent late, missed or failed: never one twice."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def progress(self, key: LedgerKey) -> Progress:
        """Whether this announcement was handled, and the rooms it was settled in so far."""
        rows = await self._db.fetchall(
            f"SELECT NULL, status FROM announcements WHERE {_KEY_MATCH} UNION ALL"
            f" SELECT room, status FROM announcement_rooms WHERE {_KEY_MATCH}",
            key.columns * 2,
        )
        rooms = {str(r[0]): r[1] for r in rows if r[0] is not None}
        return Progress(any(r[0] is None for r in rows), rooms)

    async def settle(
        self, key: LedgerKey, rooms: Sequence[RoomOutcome], status: Status | None = None
    ) -> None:
        """Record the outcome in some rooms and, once it is known, of the whole announcement,
        in one transaction; an outcome already recorded stays as it was."""
        if not rooms and status is None:
            return
        now = int(self._clock.now().timestamp())

        def work(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT OR IGNORE INTO announcement_rooms (source, occurrence, offset_minutes,"
                " channel, room, status, reason, recorded_at, event_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(*key.columns, r.room, r.status, r.reason, now, r.event_id) for r in rooms],
            )
            if status is not None:
                conn.execute(
                    "INSERT OR IGNORE INTO announcements (source, occurrence, offset_minutes,"
                    " channel, status, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (*key.columns, status, now),
                )

        await self._db.run(work)

    async def announced_by(self, event_id: str) -> tuple[AnnouncementSource, int, str] | None:
        """What an event of the bot announced: (source, occurrence, room), if it was an
        announcement sent to a room."""
        row = await self._db.fetchone(
            "SELECT source, occurrence, room FROM announcement_rooms WHERE event_id = ?",
            (event_id,),
        )
        if row is None:
            return None
        return AnnouncementSource.parse(str(row[0])), int(row[1]), str(row[2])

    async def first_event(
        self, source: AnnouncementSource, occurrence: int, room: str
    ) -> str | None:
        """The event of the first announcement of an occurrence sent in a room (the root of
        its thread), if one was sent there."""
        row = await self._db.fetchone(
            "SELECT event_id FROM announcement_rooms WHERE source = ? AND occurrence = ?"
            " AND room = ? AND channel = 'rooms' AND event_id IS NOT NULL"
            " ORDER BY offset_minutes DESC, recorded_at LIMIT 1",
            (source.format(), occurrence, room),
        )
        return str(row[0]) if row is not None else None

    async def statuses(self, source: AnnouncementSource) -> list[tuple[int, int, str, str]]:
        """(occurrence, offset, channel, status) rows of one source, oldest first."""
        rows = await self._db.fetchall(
            "SELECT occurrence, offset_minutes, channel, status FROM announcements"
            " WHERE source = ? ORDER BY occurrence, offset_minutes DESC",
            (source.format(),),
        )
        return [(int(r[0]), int(r[1]), str(r[2]), str(r[3])) for r in rows]

    async def recent(
        self, source: AnnouncementSource, channel: str, limit: int
    ) -> list[AnnouncementRecord]:
        """The latest `limit` announcements of one source and channel with their rooms,
        newest first (those still being sent included)."""
        rows = await self._db.fetchall(
            "SELECT occurrence - 60 * offset_minutes AS due, occurrence, offset_minutes,"
            " channel, NULL AS room, status, '' FROM announcements"
            " WHERE source = ? AND channel = ? UNION ALL"
            " SELECT occurrence - 60 * offset_minutes, occurrence, offset_minutes, channel,"
            " room, status, reason FROM announcement_rooms WHERE source = ? AND channel = ?"
            " ORDER BY due DESC, room LIMIT ?",
            (source.format(), channel, source.format(), channel, limit * 50),
        )
        found: dict[tuple[int, int, str], AnnouncementRecord] = {}
        for _, occurrence, offset, channel, room, status, reason in rows:
            key = (int(occurrence), int(offset), str(channel))
            if key not in found:
                if len(found) == limit:
                    break
                found[key] = AnnouncementRecord(*key, None, ())
            record = found[key]
            if room is None:
                found[key] = replace(record, status=status)
            else:
                outcome = RoomOutcome(str(room), status, str(reason))
                found[key] = replace(record, rooms=(*record.rooms, outcome))
        return list(found.values())

"""Encrypted events the bot could not read yet: kept, with the sync token, until their room
key comes (then read as any other event) or `max_command_age` passes (then given up)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from natm_bot.core.messages import EventId, RoomId

# Migration step 9.
SEALED_STEP: tuple[str, ...] = (
    """CREATE TABLE sealed_inbox (
        event_id TEXT PRIMARY KEY,
        room_id TEXT NOT NULL,
        source TEXT NOT NULL,
        sent_at INTEGER NOT NULL
    ) WITHOUT ROWID""",
)


@dataclass(frozen=True)
class Sealed:
    """An encrypted timeline event as the homeserver sent it (JSON), and its room."""

    event_id: EventId
    room_id: RoomId
    source: str
    sent_at: int  # milliseconds since the epoch, as the homeserver stamped it


def keep_in(conn: sqlite3.Connection, events: Iterable[Sealed]) -> None:
    """Keep the events (a repeat of one already kept changes nothing)."""
    conn.executemany(
        "INSERT OR IGNORE INTO sealed_inbox (event_id, room_id, source, sent_at) "
        "VALUES (?, ?, ?, ?)",
        [(e.event_id, e.room_id, e.source, e.sent_at) for e in events],
    )


def forget_in(conn: sqlite3.Connection, event_ids: Iterable[EventId]) -> None:
    """Forget the events (read at last, or given up)."""
    conn.executemany("DELETE FROM sealed_inbox WHERE event_id = ?", [(i,) for i in event_ids])


LOAD = "SELECT event_id, room_id, source, sent_at FROM sealed_inbox ORDER BY sent_at"


def from_rows(rows: Iterable[Sequence[object]]) -> list[Sealed]:
    """The kept events of `LOAD`'s rows, oldest first."""
    return [Sealed(EventId(str(e)), RoomId(str(r)), str(s), int(str(t))) for e, r, s, t in rows]

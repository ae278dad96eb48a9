"""Rooms that moved to their upgrade (every link to the old room moved at once), and the
messages showing working groups that a reaction joins."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from natm_bot.core.clock import Clock
from natm_bot.core.messages import EventId, RoomId
from natm_bot.storage.database import Database


def _move_meetings(conn: sqlite3.Connection, old: str, new: str) -> int:
    """Replace `old` by `new` in every meeting's rooms (a JSON list); how many changed."""
    changed = 0
    rows = conn.execute("SELECT id, rooms FROM meetings WHERE instr(rooms, ?) > 0", (old,))
    for meeting_id, text in rows.fetchall():
        rooms = json.loads(str(text))
        if old not in rooms:
            continue
        moved: list[str] = []
        for room in rooms:
            target = new if room == old else room
            if target not in moved:
                moved.append(target)
        conn.execute("UPDATE meetings SET rooms = ? WHERE id = ?", (json.dumps(moved), meeting_id))
        changed += 1
    return changed


def _move_links(conn: sqlite3.Connection, old: str, new: str) -> int:
    """Move the group rooms, meeting rooms and the room's language; how many links moved."""
    moved = conn.execute("UPDATE groups SET room = ? WHERE room = ?", (new, old)).rowcount
    moved += _move_meetings(conn, old, new)
    moved += conn.execute(
        "INSERT OR IGNORE INTO room_languages (room_id, lang)"
        " SELECT ?, lang FROM room_languages WHERE room_id = ?",
        (new, old),
    ).rowcount
    return moved


class RoomMoves:
    """Which rooms moved where: recorded once, with every link moved in the same
    transaction."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def all(self) -> dict[RoomId, RoomId]:
        """Every room that moved, old id → new id."""
        rows = await self._db.fetchall("SELECT old, new FROM room_moves")
        return {RoomId(str(row[0])): RoomId(str(row[1])) for row in rows}

    async def move(self, old: RoomId, new: RoomId) -> int | None:
        """Move every link from `old` to `new` and record it; how many links moved, or None
        when the move was recorded before (nothing changes)."""
        now = int(self._clock.now().timestamp())

        def work(conn: sqlite3.Connection) -> int | None:
            recorded = conn.execute(
                "INSERT OR IGNORE INTO room_moves (old, new, moved_at) VALUES (?, ?, ?)",
                (old, new, now),
            ).rowcount
            return _move_links(conn, old, new) if recorded else None

        return await self._db.run(work)


@dataclass(frozen=True)
class GroupCard:
    """A message showing one group (`group_id`) or the list (`groups` in the order shown)."""

    event_id: EventId
    room_id: RoomId
    group_id: str | None
    groups: tuple[str, ...]


class GroupCards:
    """The events the bot's lists and cards of working groups became."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def record(
        self, event_id: EventId, room_id: RoomId, group_id: str | None, groups: tuple[str, ...]
    ) -> None:
        """Keep the event a card or list became (once: a resend is the same event)."""
        await self._db.execute(
            "INSERT OR IGNORE INTO group_cards (event_id, room_id, group_id, groups, posted_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (event_id, room_id, group_id, json.dumps(list(groups)),
             int(self._clock.now().timestamp())),
        )  # fmt: skip

    async def get(self, event_id: EventId) -> GroupCard | None:
        """The card or list that became `event_id`, if any."""
        row = await self._db.fetchone(
            "SELECT room_id, group_id, groups FROM group_cards WHERE event_id = ?", (event_id,)
        )
        if row is None:
            return None
        groups = json.loads(str(row[2]))
        listed = tuple(g for g in groups if isinstance(g, str)) if isinstance(groups, list) else ()
        group = str(row[1]) if row[1] is not None else None
        return GroupCard(event_id, RoomId(str(row[0])), group, listed)

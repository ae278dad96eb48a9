"""Action items: adopted from the minutes of a meeting (keyed by the line that named them),
done or handed to someone else in chat, and reminded once on their due date."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from natm_bot.core.clock import Clock
from natm_bot.storage.database import Database

# Each action with the title and zone of its meeting and the zone its owner set with `!tz`.
_SELECT = (
    "SELECT a.id, a.meeting_id, a.occurrence, a.group_id, a.owner, a.text, a.due,"
    " a.created_at, a.done_at, a.done_by, a.reminded, m.title, m.timezone, u.timezone"
    " FROM actions a LEFT JOIN meetings m ON m.id = a.meeting_id"
    " LEFT JOIN user_settings u ON u.user_id = a.owner"
)


@dataclass(frozen=True)
class Action:
    """An action item as stored, with what its reminder and its listing need around it."""

    id: int
    meeting_id: int | None
    occurrence: int | None
    group_id: str | None
    owner: str | None
    text: str
    due: date | None
    created_at: datetime
    done_at: datetime | None = None
    done_by: str | None = None
    reminded: bool = False
    meeting_title: str | None = None
    meeting_zone: str | None = None
    owner_zone: str | None = None

    @property
    def done(self) -> bool:
        """Whether someone marked it done."""
        return self.done_at is not None


@dataclass(frozen=True)
class NewRow:
    """One action to adopt: the event of the line that named it, owner, text, due date."""

    source_event: str
    owner: str | None
    text: str
    due: date | None


def _when(seconds: object) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(int(str(seconds)), UTC)


def _action(row: sqlite3.Row) -> Action:
    created = _when(row[7])
    assert created is not None
    return Action(
        id=int(row[0]),
        meeting_id=row[1],
        occurrence=row[2],
        group_id=row[3],
        owner=row[4],
        text=str(row[5]),
        due=date.fromisoformat(row[6]) if row[6] else None,
        created_at=created,
        done_at=_when(row[8]),
        done_by=row[9],
        reminded=bool(row[10]),
        meeting_title=row[11],
        meeting_zone=row[12],
        owner_zone=row[13],
    )


class ActionStore:
    """The one owner of the `actions` table."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def _now(self) -> int:
        return int(self._clock.now().timestamp())

    async def adopt(
        self, meeting_id: int, occurrence: int, group_id: str | None, rows: Sequence[NewRow]
    ) -> int:
        """Keep each action once (by the line that named it); how many were new."""
        now = self._now()
        added = 0
        async with self._db.transaction() as conn:
            for row in rows:
                cursor = await conn.execute(
                    "INSERT OR IGNORE INTO actions (meeting_id, occurrence, group_id, owner,"
                    " text, due, created_at, source_event) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        meeting_id,
                        occurrence,
                        group_id,
                        row.owner,
                        row.text,
                        row.due.isoformat() if row.due else None,
                        now,
                        row.source_event,
                    ),
                )
                added += max(cursor.rowcount, 0)
        return added

    async def get(self, action_id: int) -> Action | None:
        """One action, done or not."""
        rows = await self._db.fetchall(_SELECT + " WHERE a.id = ?", (action_id,))
        return _action(rows[0]) if rows else None

    async def open_of(self, owner: str, limit: int) -> list[Action]:
        """A person's open actions, soonest due first (those with no date last)."""
        return await self._list("a.owner = ? AND a.done_at IS NULL", owner, limit)

    async def open_in_group(self, group_id: str, limit: int) -> list[Action]:
        """A group's open actions, soonest due first (those with no date last)."""
        return await self._list("a.group_id = ? AND a.done_at IS NULL", group_id, limit)

    async def _list(self, where: str, key: str, limit: int) -> list[Action]:
        rows = await self._db.fetchall(
            f"{_SELECT} WHERE {where} ORDER BY a.due IS NULL, a.due, a.id LIMIT ?", (key, limit)
        )
        return [_action(row) for row in rows]

    async def mark_done(self, action_id: int, by: str) -> bool:
        """Mark an open action done; False when it was done already."""
        changed = await self._db.execute(
            "UPDATE actions SET done_at = ?, done_by = ? WHERE id = ? AND done_at IS NULL",
            (self._now(), by, action_id),
        )
        return changed > 0

    async def reassign(self, action_id: int, owner: str) -> bool:
        """Give an open action to someone else; False when it was done already."""
        changed = await self._db.execute(
            "UPDATE actions SET owner = ? WHERE id = ? AND done_at IS NULL", (owner, action_id)
        )
        return changed > 0

    async def to_remind(self) -> list[Action]:
        """Open actions with an owner and a due date whose reminder is not settled yet."""
        rows = await self._db.fetchall(
            f"{_SELECT} WHERE a.done_at IS NULL AND a.reminded = 0 AND a.due IS NOT NULL"
            " AND a.owner IS NOT NULL ORDER BY a.due, a.id"
        )
        return [_action(row) for row in rows]

    async def settle_reminder(self, action_id: int) -> None:
        """The due-date reminder was sent (or given up): never again."""
        await self._db.execute("UPDATE actions SET reminded = 1 WHERE id = ?", (action_id,))

    async def of_person(self, user: str) -> list[Action]:
        """Every action the person owns, done or not."""
        rows = await self._db.fetchall(f"{_SELECT} WHERE a.owner = ? ORDER BY a.id", (user,))
        return [_action(row) for row in rows]

    async def forget(self, user: str) -> int:
        """Take the person off every action (owner, who marked it done); the actions stay.
        How many of their own actions became unassigned."""
        async with self._db.transaction() as conn:
            owned = await conn.execute("UPDATE actions SET owner = NULL WHERE owner = ?", (user,))
            await conn.execute("UPDATE actions SET done_by = NULL WHERE done_by = ?", (user,))
            return max(owned.rowcount, 0)

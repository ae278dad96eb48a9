"""The agenda of each occurrence of a meeting, in the order its items were added."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from natm_bot.storage.database import Database


@dataclass(frozen=True)
class AgendaItem:
    """One item of an occurrence's agenda; `author` None once its author was forgotten."""

    id: int
    meeting_id: int
    occurrence: int
    author: str | None
    text: str


class AgendaStore:
    """SQL for `agenda_items`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self, meeting_id: int, occurrence: int, author: str, text: str, at: datetime, source: str
    ) -> None:
        """Add an item (a repeat of the same command's event adds nothing)."""
        await self._db.execute(
            "INSERT OR IGNORE INTO agenda_items"
            " (meeting_id, occurrence, author, text, added_at, source_event)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (meeting_id, occurrence, author, text, int(at.timestamp()), source),
        )

    async def items(self, meeting_id: int, occurrence: int) -> list[AgendaItem]:
        """The occurrence's items, oldest first."""
        rows = await self._db.fetchall(
            "SELECT id, meeting_id, occurrence, author, text FROM agenda_items"
            " WHERE meeting_id = ? AND occurrence = ? ORDER BY id",
            (meeting_id, occurrence),
        )
        return [_item(row) for row in rows]

    async def remove(self, item_id: int) -> bool:
        """Delete one item; False when it was gone already."""
        return await self._db.execute("DELETE FROM agenda_items WHERE id = ?", (item_id,)) > 0

    async def of_person(self, user: str) -> list[AgendaItem]:
        """The items a person added."""
        rows = await self._db.fetchall(
            "SELECT id, meeting_id, occurrence, author, text FROM agenda_items"
            " WHERE author = ? ORDER BY id",
            (user,),
        )
        return [_item(row) for row in rows]

    async def forget(self, user: str) -> int:
        """Keep the person's items without their name; how many."""
        return await self._db.execute(
            "UPDATE agenda_items SET author = NULL WHERE author = ?", (user,)
        )


def _item(r: sqlite3.Row) -> AgendaItem:
    author = str(r[3]) if r[3] is not None else None
    return AgendaItem(int(r[0]), int(r[1]), int(r[2]), author, str(r[4]))

"""The children the bot added to a Space, and the rooms it made for working groups."""

from __future__ import annotations

import json
from dataclasses import dataclass

from natm_bot.core.clock import Clock
from natm_bot.storage.database import Database


@dataclass(frozen=True)
class SpaceChild:
    """An `m.space.child` entry the bot added."""

    space_id: str
    child_id: str
    via: tuple[str, ...]
    suggested: bool


class SpaceStore:
    """SQL for the Space's children the bot added and the rooms it made."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def _now_ms(self) -> int:
        return int(self._clock.now().timestamp() * 1000)

    async def children(self, space_id: str) -> dict[str, SpaceChild]:
        """The children the bot added to the Space, by room id."""
        rows = await self._db.fetchall(
            "SELECT child_id, via, suggested FROM space_children WHERE space_id = ?", (space_id,)
        )
        return {
            row[0]: SpaceChild(space_id, row[0], tuple(json.loads(row[1])), bool(row[2]))
            for row in rows
        }

    async def add(self, child: SpaceChild) -> None:
        """Record a child the bot added (or its new `via` and `suggested`)."""
        await self._db.execute(
            "INSERT INTO space_children (space_id, child_id, via, suggested, added_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (space_id, child_id)"
            " DO UPDATE SET via = excluded.via, suggested = excluded.suggested",
            (
                child.space_id, child.child_id, json.dumps(list(child.via)),
                int(child.suggested), self._now_ms(),
            ),
        )  # fmt: skip

    async def remove(self, space_id: str, child_id: str) -> None:
        """Forget a child the bot took out of the Space."""
        await self._db.execute(
            "DELETE FROM space_children WHERE space_id = ? AND child_id = ?",
            (space_id, child_id),
        )

    async def made(self, room_id: str, group_id: str) -> None:
        """Record a room the bot made for a group."""
        await self._db.execute(
            "INSERT OR REPLACE INTO made_rooms (room_id, group_id, made_at) VALUES (?, ?, ?)",
            (room_id, group_id, self._now_ms()),
        )

    async def made_for(self, group_id: str) -> list[str]:
        """The rooms the bot made for a group, oldest first."""
        rows = await self._db.fetchall(
            "SELECT room_id FROM made_rooms WHERE group_id = ? ORDER BY made_at", (group_id,)
        )
        return [row[0] for row in rows]

    async def unmade(self, room_id: str) -> None:
        """Forget a room the bot made (it left it)."""
        await self._db.execute("DELETE FROM made_rooms WHERE room_id = ?", (room_id,))

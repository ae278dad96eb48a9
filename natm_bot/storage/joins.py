"""Group rooms whose version cannot knock, each noted once (the `join_rule_fallbacks`
table)."""

from __future__ import annotations

from natm_bot.core.clock import Clock
from natm_bot.storage.database import Database


class JoinRuleNotes:
    """Which group rooms fell back to invitations, so each is logged once, ever."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def first(self, room_id: str, version: str) -> bool:
        """Note the room; whether this is the first time."""
        changed = await self._db.execute(
            "INSERT INTO join_rule_fallbacks (room_id, room_version, noted_at) VALUES (?, ?, ?)"
            " ON CONFLICT (room_id) DO NOTHING",
            (room_id, version, int(self._clock.now().timestamp())),
        )
        return changed == 1

    async def rooms(self) -> dict[str, str]:
        """Every room noted, with its version."""
        rows = await self._db.fetchall("SELECT room_id, room_version FROM join_rule_fallbacks")
        return {str(row[0]): str(row[1]) for row in rows}

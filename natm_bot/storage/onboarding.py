"""Newcomers welcomed (the `onboarding_people` table: keyed digests only) and the rooms
switched on or off in chat (`onboarding_rooms`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from natm_bot.core.clock import Clock
from natm_bot.storage.database import Database


@dataclass(frozen=True)
class Welcomed:
    """One person welcomed, by the keyed digest of their Matrix id."""

    digest: str
    join_digest: str  # the join that started the flow
    welcomed_on: date
    ends_at: datetime
    open: bool


def _welcomed(row: tuple[object, ...]) -> Welcomed:
    digest, join, day, ends, is_open = row
    ends_at = datetime.fromtimestamp(int(str(ends)), UTC)
    return Welcomed(str(digest), str(join), date.fromisoformat(str(day)), ends_at, bool(is_open))


class OnboardingStore:
    """Who was already welcomed, and which rooms welcome newcomers."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def get(self, digest: str) -> Welcomed | None:
        """The person's row, if they were ever welcomed."""
        row = await self._db.fetchone(
            "SELECT digest, join_digest, welcomed_on, ends_at, open FROM onboarding_people"
            " WHERE digest = ?",
            (digest,),
        )
        return _welcomed(tuple(row)) if row else None

    async def welcome(self, digest: str, join_digest: str, ends_at: datetime) -> bool:
        """Note a person welcomed now; False when they already were (by any join)."""
        changed = await self._db.execute(
            "INSERT INTO onboarding_people (digest, join_digest, welcomed_on, ends_at, open)"
            " VALUES (?, ?, ?, ?, 1) ON CONFLICT (digest) DO NOTHING",
            (digest, join_digest, self._clock.now().date().isoformat(), int(ends_at.timestamp())),
        )
        return changed == 1

    async def close(self, digest: str) -> bool:
        """End a person's flow now (they chose, said stop, got the follow-up or left);
        False when it was not open."""
        changed = await self._db.execute(
            "UPDATE onboarding_people SET open = 0, ends_at = ? WHERE digest = ? AND open = 1",
            (int(self._clock.now().timestamp()), digest),
        )
        return changed == 1

    async def open_flows(self) -> list[Welcomed]:
        """Every flow still open, the one ending first first."""
        rows = await self._db.fetchall(
            "SELECT digest, join_digest, welcomed_on, ends_at, open FROM onboarding_people"
            " WHERE open = 1 ORDER BY ends_at"
        )
        return [_welcomed(tuple(row)) for row in rows]

    async def switched(self) -> dict[str, bool]:
        """The rooms switched on (True) or off (False) in chat."""
        rows = await self._db.fetchall("SELECT room_id, enabled FROM onboarding_rooms")
        return {str(row[0]): bool(row[1]) for row in rows}

    async def switch(self, room_id: str, enabled: bool) -> None:
        """Switch the welcome on or off in a room."""
        await self._db.execute(
            "INSERT INTO onboarding_rooms (room_id, enabled, changed_at) VALUES (?, ?, ?)"
            " ON CONFLICT (room_id) DO UPDATE SET enabled = excluded.enabled,"
            " changed_at = excluded.changed_at",
            (room_id, int(enabled), int(self._clock.now().timestamp())),
        )

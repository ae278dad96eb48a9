"""Delegates: the people who speak (and vote) for a member organisation."""

from __future__ import annotations

import sqlite3

from natm_bot.core.clock import Clock
from natm_bot.storage.database import Database, Transaction

_ADD = (
    "INSERT INTO organisation_delegates (user_id, organisation_id, added_at) VALUES (?, ?, ?)"
    " ON CONFLICT (user_id) DO NOTHING"
)


async def add_first_delegate(conn: Transaction, organisation: int, user: str, at: int) -> None:
    """Inside a transaction: make `user` a delegate of a new organisation, unless they are
    already the delegate of another one."""
    await conn.execute(_ADD, (user, organisation, at))


class DelegateStore:
    """SQL for delegations; each change is one statement or one transaction."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def now_ms(self) -> int:
        """The clock's time, as stored."""
        return int(self._clock.now().timestamp() * 1000)

    async def add(self, organisation: int, user: str) -> int | None:
        """Make `user` a delegate of `organisation`: None when that is done (or already so),
        else the organisation they are already the delegate of; KeyError when the
        organisation is not listed."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT organisation_id FROM organisation_delegates WHERE user_id = ?", (user,)
            )
            row = await cursor.fetchone()
            if row is not None:
                held = int(row[0])
                return None if held == organisation else held
            try:
                await conn.execute(_ADD, (user, organisation, self.now_ms()))
            except sqlite3.IntegrityError:
                raise KeyError(organisation) from None
        return None

    async def remove(self, organisation: int, user: str) -> bool:
        """Stop `user` being a delegate of `organisation`; False when they were not one."""
        changed = await self._db.execute(
            "DELETE FROM organisation_delegates WHERE user_id = ? AND organisation_id = ?",
            (user, organisation),
        )
        return changed == 1

    async def of(self, organisation: int) -> tuple[str, ...]:
        """An organisation's delegates, the earliest first."""
        rows = await self._db.fetchall(
            "SELECT user_id FROM organisation_delegates WHERE organisation_id = ?"
            " ORDER BY added_at, user_id",
            (organisation,),
        )
        return tuple(str(row[0]) for row in rows)

    async def organisation_of(self, user: str) -> int | None:
        """The organisation `user` is the delegate of, if any."""
        row = await self._db.fetchone(
            "SELECT organisation_id FROM organisation_delegates WHERE user_id = ?", (user,)
        )
        return int(row[0]) if row else None

    async def all(self) -> dict[str, int]:
        """Every delegate and the organisation they speak for."""
        rows = await self._db.fetchall(
            "SELECT user_id, organisation_id FROM organisation_delegates"
        )
        return {str(row[0]): int(row[1]) for row in rows}

    async def organisation_ids(self) -> frozenset[int]:
        """The number of every listed organisation."""
        rows = await self._db.fetchall("SELECT id FROM organisations")
        return frozenset(int(row[0]) for row in rows)

"""The one owner of the `state` table: small named values the bot keeps about itself.

Every read and write of `state` goes through here. Inside a larger transaction use the
`*_in` functions with that transaction's connection, so the value commits with the rest.
"""

from __future__ import annotations

import sqlite3
from typing import Final

from natm_bot.storage.database import Database, Transaction

SYNC_TOKEN: Final = "sync_token"
ANNOUNCED_UNTIL: Final = "announcer_checked_until"
ANONYMOUS_SUPPORTERS: Final = "anonymous_supporters"
SUPPORTER_KEY: Final = "supporter_key"
MEMBERS_SEEDED: Final = "members_seeded"

_GET = "SELECT value FROM state WHERE key = ?"
_PUT = (
    "INSERT INTO state (key, value) VALUES (?, ?)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
_PUT_IF_ABSENT = "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING"
_ADD = (
    "INSERT INTO state (key, value) VALUES (?, ?)"
    " ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + excluded.value"
)
# A counter as a number inside a larger query: 0 while it was never counted.
NUMBER_SQL: Final = "COALESCE((SELECT CAST(value AS INTEGER) FROM state WHERE key = ?), 0)"


class State:
    """Named values of the bot's own state, each in its own transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        """The value under `key`, or None when there is none."""
        row = await self._db.fetchone(_GET, (key,))
        return str(row[0]) if row else None

    async def put(self, key: str, value: str) -> None:
        """Store `value` under `key`, replacing what was there."""
        await self._db.execute(_PUT, (key, value))

    async def keep(self, key: str, value: str) -> str:
        """Store `value` under `key` unless a value is there already; the stored value."""
        return await self._db.run(lambda conn: _keep(conn, key, value))

    async def number(self, key: str) -> int:
        """A counter's value; 0 when it was never counted."""
        row = await self._db.fetchone(f"SELECT {NUMBER_SQL}", (key,))
        return int(row[0]) if row else 0


def _keep(conn: sqlite3.Connection, key: str, value: str) -> str:
    conn.execute(_PUT_IF_ABSENT, (key, value)).close()
    cursor = conn.execute(_GET, (key,))
    try:
        return str(cursor.fetchone()[0])
    finally:
        cursor.close()


def put_in(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Store `value` under `key` inside the transaction of `Database.run`."""
    conn.execute(_PUT, (key, value)).close()


async def add_in(tx: Transaction, key: str, amount: int) -> None:
    """Add `amount` to a counter inside the transaction of `Database.transaction`."""
    await tx.execute(_ADD, (key, str(amount)))

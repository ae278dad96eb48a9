"""The one SQLite connection the app owns, its pragmas, transactions and migrations."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from natm_bot.storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]


class StorageError(Exception):
    """The database cannot be used (newer than this code, unreadable, disk full…)."""


class Database:
    """Serialised access to one SQLite file.

    One aiosqlite connection shared by tasks is not isolated (one task's COMMIT would commit
    another's half-done writes), so every statement runs under one lock, and writes run in
    explicit BEGIN IMMEDIATE transactions. synchronous=FULL: a confirmed sign-up survives
    power loss, at a cost that is small for a chat bot's write rate.
    """

    def __init__(self, path: Path, migrations: Sequence[Sequence[str]] = MIGRATIONS) -> None:
        self.path = path
        self._migrations = migrations
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        """Connect, set the pragmas and bring the schema up to date."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = await aiosqlite.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open database {self.path}: {exc}") from None
        self._conn = conn
        conn.row_factory = sqlite3.Row
        for pragma in (
            "journal_mode=WAL",
            "foreign_keys=ON",
            "busy_timeout=10000",
            "synchronous=FULL",
            "secure_delete=ON",
        ):
            await conn.execute(f"PRAGMA {pragma}")
        try:
            await self._migrate()
        except BaseException:
            await self.close()
            raise

    @property
    def conn(self) -> aiosqlite.Connection:
        """The open connection (only for code inside this package)."""
        if self._conn is None:
            raise StorageError("the database is not open")
        return self._conn

    async def version(self) -> int:
        """The schema version stored in the file."""
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        current = await self.version()
        latest = len(self._migrations)
        if current > latest:
            raise StorageError(
                f"database {self.path} has schema version {current}, but this natm-bot only "
                f"knows up to {latest}: upgrade natm-bot or restore a matching backup"
            )
        for number in range(current + 1, latest + 1):
            async with self.transaction() as conn:
                for statement in self._migrations[number - 1]:
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {number}")
            log.info("database migrated to schema version %d", number)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any error; one at a time."""
        async with self._lock:
            conn = self.conn
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """All rows of a read-only query."""
        async with self._lock:
            cursor = await self.conn.execute(sql, params)
            rows = await cursor.fetchall()
            await cursor.close()
            return list(rows)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row of a read-only query, or None."""
        async with self._lock:
            cursor = await self.conn.execute(sql, params)
            row = await cursor.fetchone()
            await cursor.close()
            return row

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement in its own transaction; the number of rows changed."""
        async with self.transaction() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one write statement for many rows in a single transaction."""
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def checkpoint(self) -> None:
        """Fold the WAL into the main file and truncate it (so erased bytes leave the disk)."""
        async with self._lock:
            await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def close(self) -> None:
        """Close the connection (its thread would otherwise keep the process alive)."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

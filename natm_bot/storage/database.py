"""The one SQLite connection the app owns, its pragmas, transactions and migrations."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from natm_bot.storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")


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
        """All rows of a read-only query, in one trip to the database thread."""
        async with self._lock:
            return list(await self.conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row of a read-only query that returns at most a few rows, or None."""
        async with self._lock:
            rows = await self.conn.execute_fetchall(sql, params)
            return next(iter(rows), None)

    async def run(self, work: Callable[[sqlite3.Connection], T], *, durable: bool = True) -> T:
        """`work(connection)` inside BEGIN IMMEDIATE … COMMIT, in ONE trip to the database
        thread (each `await conn.execute` of `transaction()` is a trip of its own, and on a
        busy machine each trip costs 0.1–0.3 ms). `work` gets the plain sqlite3 connection
        and must not block on anything but SQLite.

        durable=False commits without syncing (synchronous=NORMAL for this transaction
        only): a power cut may lose it, never corrupt it, and the next synced commit
        makes it durable too. Only for writes that are redone when lost (the inbox and its
        sync token: a lost batch is fetched from the homeserver again)."""

        def transaction(raw: sqlite3.Connection) -> T:
            if not durable:
                raw.execute("PRAGMA synchronous=NORMAL")
            try:
                raw.execute("BEGIN IMMEDIATE")
                try:
                    result = work(raw)
                except BaseException:
                    raw.execute("ROLLBACK")
                    raise
                raw.execute("COMMIT")
                return result
            finally:
                if not durable:
                    raw.execute("PRAGMA synchronous=FULL")

        async with self._lock:
            conn = self.conn
            # aiosqlite runs every call as a function on its thread; this is the one way to
            # run several statements there in one go (Connection._execute, aiosqlite ≥ 0.17).
            result: T = await conn._execute(transaction, conn._conn)  # type: ignore[no-untyped-call]
            return result

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

"""The one SQLite connection the app owns, its pragmas, transactions and migrations."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import stat
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from natm_bot.core.observer import SILENT, Observer
from natm_bot.storage.dbthread import on_thread
from natm_bot.storage.errors import StorageError, StorageUnavailable, unavailable
from natm_bot.storage.migrations import MIGRATIONS
from natm_bot.storage.soundness import check_sound, too_new, unusable, writable_folder
from natm_bot.storage.sqlsteps import (
    Params,
    all_rows,
    begin_and_roll_back,
    changed,
    clean_up,
    rollback_after,
    snapshot,
)

__all__ = ["Database", "StorageError", "StorageUnavailable", "Transaction", "unavailable"]

log = logging.getLogger(__name__)

T = TypeVar("T")

BUSY_WAIT_MS = 10_000
BRIEF_WAIT_MS = 1_000


class Transaction:
    """The connection inside `Database.transaction()`: every cursor it hands out is closed
    before the transaction ends, whatever the caller did with it."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._cursors: list[aiosqlite.Cursor] = []

    async def execute(self, sql: str, params: Params = ()) -> aiosqlite.Cursor:
        """Run one statement; the cursor stays usable until the transaction ends."""
        cursor = await self._conn.execute(sql, params)
        self._cursors.append(cursor)
        return cursor

    async def executemany(self, sql: str, rows: Iterable[Params]) -> aiosqlite.Cursor:
        """Run one statement for many rows."""
        cursor = await self._conn.executemany(sql, rows)
        self._cursors.append(cursor)
        return cursor

    async def close_cursors(self) -> None:
        """Finish every statement of this transaction."""
        cursors, self._cursors = self._cursors, []
        for cursor in cursors:
            await cursor.close()


class Database:
    """Serialised access to one SQLite file.

    One aiosqlite connection shared by tasks is not isolated (one task's COMMIT would commit
    another's half-done writes), so every statement runs under one lock, and writes run in
    explicit BEGIN IMMEDIATE transactions. synchronous=FULL: a confirmed sign-up survives
    power loss, at a cost that is small for a chat bot's write rate.

    No failure can leave the connection unusable: every call first ends a transaction that an
    earlier failure left open, every statement's cursor is finished, a failed statement or
    COMMIT rolls back, and the error that caused it is the one raised.
    """

    def __init__(
        self,
        path: Path,
        migrations: Sequence[Sequence[str]] = MIGRATIONS,
        observer: Observer = SILENT,
    ) -> None:
        self.path = path
        self._observer = observer
        self._migrations = migrations
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._synchronous: str | None = None  # the level set on the connection now
        self.read_only = False  # opened on a read-only filesystem, not writable yet
        self._patience_ms = BUSY_WAIT_MS  # how long a write waits for another program's lock
        self._busy_timeout: int | None = None  # the value set on the connection now

    async def open(self) -> None:
        """Connect, check the file is a sound database (else DatabaseUnusable), set the pragmas,
        migrate. On a read-only filesystem, open it read-only; writes try again every time."""
        try:
            if not writable_folder(self.path):
                await self._open_read_only()
                return
            self._create_private()
            await self._connect(str(self.path))
            await self._call(self._configure)
            await self._migrate()
        except BaseException as error:
            await self.close()
            damaged = unusable(self.path, error)
            if damaged is None or damaged is error:
                raise
            raise damaged from None

    async def _connect(self, target: str) -> None:
        try:
            conn = await aiosqlite.connect(target, isolation_level=None, uri=True)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open database {self.path}: {exc}") from None
        conn.row_factory = sqlite3.Row
        self._conn, self._synchronous = conn, None

    async def _open_read_only(self) -> None:
        """Read-only media: `immutable` is the one way SQLite reads a WAL database there, and
        it is safe, since nothing can write the file while it stays read-only."""
        if not self.path.exists():
            raise StorageError(f"database {self.path} does not exist and its folder is read-only")
        await self._connect(f"file:{urllib.parse.quote(str(self.path))}?mode=ro&immutable=1")
        if await self.version() != len(self._migrations):
            await self.close()
            raise StorageError(f"database {self.path} must be upgraded, but it is read-only")
        self.read_only = True
        log.error(
            "database %s is on a read-only filesystem: answering what needs no saving; "
            "writing is tried again at every save",
            self.path,
        )

    async def _writable(self) -> None:
        """Before a write (lock held): back to a normal connection once the filesystem can be
        written again, else StorageUnavailable."""
        if not self.read_only:
            return
        if not writable_folder(self.path):
            self._observer.storage_error("read-only")
            raise StorageUnavailable("read-only", sqlite3.OperationalError("read-only filesystem"))
        reading = self.conn
        try:
            await self._connect(str(self.path))
            await self._call(self._configure)
        except BaseException:
            if self._conn is not reading:
                await self.close()
            self._conn = reading  # go on reading
            raise
        await reading.close()
        self.read_only = False
        log.info("database %s can be written again", self.path)

    def _configure(self, raw: sqlite3.Connection) -> None:
        self._busy_timeout = None
        self._set_patience(raw)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON"):
            all_rows(raw, f"PRAGMA {pragma}", ())
        all_rows(raw, "PRAGMA secure_delete=ON", ())
        self._set_synchronous(raw, durable=True)
        check_sound(raw, self.path)

    def _create_private(self) -> None:
        """A new database (and so its -wal and -shm, which SQLite creates with the same mode)
        is readable by its owner only: it holds Matrix ids and perhaps the supporter key."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            mode = stat.S_IMODE(self.path.stat().st_mode)
            if mode & 0o077:
                log.warning(
                    "database %s can be read by other users (mode %o); `chmod 600` it",
                    self.path,
                    mode,
                )
            return
        except OSError as exc:
            raise StorageError(f"cannot create database {self.path}: {exc}") from None
        os.close(fd)

    @property
    def conn(self) -> aiosqlite.Connection:
        """The open connection (only for code inside this package)."""
        if self._conn is None:
            raise StorageError("the database is not open")
        return self._conn

    async def _call(self, work: Callable[[sqlite3.Connection], T], *, clean: bool = True) -> T:
        """`work(raw connection)` in one trip to the database thread, first ending any
        transaction a failure left open (unless `clean` is False: inside `transaction()`).
        The caller holds the lock, or is the only user (opening)."""
        conn = self.conn

        def guarded(raw: sqlite3.Connection) -> T:
            if clean:
                clean_up(raw)
            return work(raw)

        try:
            result = await on_thread(conn, guarded)
        except sqlite3.Error as error:
            self._fault(error)
            raise
        return result

    def _fault(self, error: BaseException) -> None:
        """Raise the storage fault behind `error` in its place (keeping it as the cause).
        While another program holds the lock, writes wait briefly rather than the full busy
        timeout, so that reads queued behind them are answered meanwhile."""
        fault = unavailable(error)
        if fault is None:
            return
        self._patience_ms = BRIEF_WAIT_MS if fault.state.startswith("busy") else BUSY_WAIT_MS
        if fault is not error:  # first seen here (a fault raised again is not counted again)
            self._observer.storage_error(fault.state.partition(" ")[0])
            raise fault from error

    def _set_patience(self, raw: sqlite3.Connection) -> None:
        if self._busy_timeout != self._patience_ms:
            raw.execute(f"PRAGMA busy_timeout={self._patience_ms}").close()
            self._busy_timeout = self._patience_ms

    def _set_synchronous(self, raw: sqlite3.Connection, *, durable: bool) -> None:
        """FULL or NORMAL, changed only when it differs (only possible outside a transaction)."""
        wanted = "FULL" if durable else "NORMAL"
        if self._synchronous != wanted:
            raw.execute(f"PRAGMA synchronous={wanted}")
            self._synchronous = wanted

    async def version(self) -> int:
        """The schema version stored in the file."""
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        current = await self.version()
        latest = len(self._migrations)
        if current > latest:
            raise too_new(self.path, current, latest)
        for number in range(current + 1, latest + 1):
            async with self.transaction() as conn:
                for statement in self._migrations[number - 1]:
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {number}")
            log.info("database migrated to schema version %d", number)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any error (a failed COMMIT included);
        one at a time."""
        async with self._lock:
            await self._writable()
            await self._call(self._begin)
            txn = Transaction(self.conn)
            try:
                yield txn
                await txn.close_cursors()
                await self._call(self._commit, clean=False)
            except BaseException as error:
                await self._abort(txn, error)
                self._fault(error)
                raise

    def _begin(self, raw: sqlite3.Connection, durable: bool = True) -> None:
        self._set_synchronous(raw, durable=durable)
        self._set_patience(raw)
        raw.execute("BEGIN IMMEDIATE").close()

    def _commit(self, raw: sqlite3.Connection) -> None:
        raw.execute("COMMIT").close()
        self._patience_ms = BUSY_WAIT_MS  # it works: wait as long as usual again

    async def _abort(self, txn: Transaction, error: BaseException) -> None:
        """Finish the cursors and roll back after `error`, without raising in its place."""
        try:
            await txn.close_cursors()
            await on_thread(self.conn, rollback_after, error)
        except (sqlite3.Error, ValueError) as cleanup_error:  # ValueError: connection closed
            log.warning("cleaning up after %r failed: %s", error, cleanup_error)

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """All rows of a read-only query, in one trip to the database thread."""
        async with self._lock:
            return await self._call(lambda raw: all_rows(raw, sql, params))

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row of a read-only query that returns at most a few rows, or None."""
        return next(iter(await self.fetchall(sql, params)), None)

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Several read-only queries, `work(connection)` (its cursors closed), in one trip to
        the database thread, all seeing the same snapshot."""
        async with self._lock:
            return await self._call(lambda raw: snapshot(raw, work))

    async def run(self, work: Callable[[sqlite3.Connection], T], *, durable: bool = True) -> T:
        """`work(connection)` inside BEGIN IMMEDIATE … COMMIT, in ONE trip to the database
        thread (each trip costs 0.1–0.3 ms on a busy machine). `work` gets the plain sqlite3
        connection, closes (or fully fetches) its cursors and blocks on nothing but SQLite.

        durable=False commits without syncing (synchronous=NORMAL for this transaction
        only): a power cut may lose it, never corrupt it, and the next synced commit
        makes it durable too. Only for writes that are redone when lost (the inbox and its
        sync token: a lost batch is fetched from the homeserver again)."""

        def transaction(raw: sqlite3.Connection) -> T:
            self._begin(raw, durable)
            try:
                result = work(raw)
                self._commit(raw)
            except BaseException as error:
                rollback_after(raw, error)
                raise
            return result

        async with self._lock:
            await self._writable()
            return await self._call(transaction)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement in its own transaction; the number of rows changed."""
        return await self.run(lambda raw: changed(raw, sql, params))

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one write statement for many rows in a single transaction."""
        await self.run(lambda raw: raw.executemany(sql, rows).close())

    async def can_write(self) -> str | None:
        """None when a write could start now (BEGIN IMMEDIATE, then ROLLBACK: nothing is
        written), else what is wrong with the database (`read-only`, `busy …`)."""
        try:
            async with self._lock:
                await self._writable()
                await self._call(begin_and_roll_back)
        except StorageUnavailable as fault:
            return fault.state
        return None

    async def checkpoint(self) -> tuple[int, int]:
        """Fold the WAL into the main file and truncate it (so erased bytes leave the disk);
        (pages in the WAL, pages folded back) as SQLite reports them."""
        async with self._lock:
            await self._writable()
            rows = await self._call(self._fold)
        _, in_wal, folded = rows[0] if rows else (0, 0, 0)
        return int(in_wal), int(folded)

    def _fold(self, raw: sqlite3.Connection) -> list[Any]:
        # Without waiting: a checkpoint is done again next time, and waiting out another
        # program's lock would hold up every command's read and write queued behind it.
        raw.execute("PRAGMA busy_timeout=0").close()
        self._busy_timeout = 0  # the next call sets its own patience again
        return all_rows(raw, "PRAGMA wal_checkpoint(TRUNCATE)", ())

    async def close(self) -> None:
        """Close the connection (its thread would otherwise keep the process alive)."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

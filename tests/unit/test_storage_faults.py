"""Storage faults never wedge the connection: whatever fails, the next operation works once
the fault is gone, and the error raised is the one that caused the failure."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from natm_bot.core.clock import SystemClock
from natm_bot.storage import Database
from natm_bot.storage.privacy import PrivacyStore

# A parent and a child whose foreign key is only checked at COMMIT: a real failing COMMIT.
DEFERRED = [
    (
        "CREATE TABLE parent (id INTEGER PRIMARY KEY)",
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER"
        " REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)",
        "CREATE TABLE note (text TEXT)",
    )
]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """The bot's real schema in a fresh file."""
    database = Database(tmp_path / "bot.sqlite3")
    await database.open()
    yield database
    await database.close()


@pytest.fixture
async def deferred(tmp_path: Path) -> AsyncIterator[Database]:
    """A small schema whose foreign key makes COMMIT fail."""
    database = Database(tmp_path / "deferred.sqlite3", DEFERRED)
    await database.open()
    yield database
    await database.close()


async def _inbox_write(db: Database) -> None:
    """The write the bot makes for every synced batch (not synced to disk: durable=False)."""
    await db.run(
        lambda raw: raw.execute(
            "INSERT INTO state (key, value) VALUES ('sync_token', 's1') "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        ).close(),
        durable=False,
    )


async def test_the_first_inbox_write_after_housekeeping_works(db: Database) -> None:
    """The wedge: a WAL checkpoint left its statement unfinished, and the next write (which
    changes the synchronous level) failed for good."""
    await PrivacyStore(db, SystemClock()).prune(86400)
    await db.checkpoint()
    for _ in range(3):
        await _inbox_write(db)
        await db.checkpoint()
    row = await db.fetchone("SELECT value FROM state WHERE key = 'sync_token'")
    assert row is not None and row[0] == "s1"


async def test_a_failed_commit_rolls_back_and_the_next_write_works(deferred: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        async with deferred.transaction() as conn:
            await conn.execute("INSERT INTO note VALUES ('lost with the child')")
            await conn.execute("INSERT INTO child VALUES (1, 42)")  # no parent 42
    assert await deferred.fetchall("SELECT * FROM note") == []  # rolled back whole
    await deferred.execute("INSERT INTO note VALUES ('kept')")
    assert [r[0] for r in await deferred.fetchall("SELECT text FROM note")] == ["kept"]


async def test_a_failed_commit_in_one_trip_rolls_back_too(deferred: Database) -> None:
    def work(raw: sqlite3.Connection) -> None:
        raw.execute("INSERT INTO note VALUES ('lost')").close()
        raw.execute("INSERT INTO child VALUES (1, 42)").close()

    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await deferred.run(work, durable=False)
    await deferred.run(lambda raw: raw.execute("INSERT INTO note VALUES ('kept')").close())
    assert [r[0] for r in await deferred.fetchall("SELECT text FROM note")] == ["kept"]


async def test_an_error_inside_a_transaction_is_the_one_raised(db: Database) -> None:
    class Broken(Exception):
        pass

    with pytest.raises(Broken):
        async with db.transaction() as conn:
            cursor = await conn.execute("SELECT event_id FROM processed_events")
            await cursor.fetchone()  # a half-read cursor, left open by the caller
            raise Broken
    await _inbox_write(db)
    await db.checkpoint()
    assert await db.fetchone("SELECT value FROM state WHERE key = 'sync_token'") is not None


async def test_a_transaction_left_open_is_ended_before_the_next_operation(db: Database) -> None:
    # As if a failure had left the connection inside a transaction with a write in it.
    await db.conn.execute("BEGIN IMMEDIATE")
    await db.conn.execute("INSERT INTO state (key, value) VALUES ('half', 'done')")
    await _inbox_write(db)  # changes the synchronous level: impossible inside a transaction
    assert await db.fetchone("SELECT 1 FROM state WHERE key = 'half'") is None
    assert await db.fetchone("SELECT 1 FROM state WHERE key = 'sync_token'") is not None


async def test_a_full_database_fails_writes_and_recovers_when_space_returns(
    db: Database,
) -> None:
    pages = await db.fetchone("PRAGMA page_count")
    assert pages is not None
    await db.fetchall(f"PRAGMA max_page_count = {pages[0] + 2}")
    big = "x" * 200_000
    with pytest.raises(sqlite3.OperationalError, match="full"):
        await db.execute("INSERT INTO state (key, value) VALUES ('big', ?)", (big,))
    assert await db.fetchone("SELECT 1 FROM state WHERE key = 'big'") is None  # reads work
    await db.fetchall("PRAGMA max_page_count = 1073741823")
    await db.execute("INSERT INTO state (key, value) VALUES ('big', ?)", (big,))
    await _inbox_write(db)


async def test_a_database_locked_by_another_process_recovers_when_released(
    db: Database,
) -> None:
    other = sqlite3.connect(db.path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # a backup tool, say, holding the write lock
        await db.fetchall("PRAGMA busy_timeout = 200")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await _inbox_write(db)
        assert await db.fetchone("SELECT 1 FROM state") is None  # reads still work
        other.execute("ROLLBACK")
    finally:
        other.close()
    await _inbox_write(db)
    await asyncio.sleep(0)
    assert await db.fetchone("SELECT 1 FROM state WHERE key = 'sync_token'") is not None


async def test_a_new_database_and_its_journal_are_private(tmp_path: Path) -> None:
    database = Database(tmp_path / "state" / "bot.sqlite3")
    await database.open()
    try:
        await _inbox_write(database)  # the -wal and -shm files exist now
        for name in ("bot.sqlite3", "bot.sqlite3-wal", "bot.sqlite3-shm"):
            mode = stat.S_IMODE((tmp_path / "state" / name).stat().st_mode)
            assert mode == 0o600, f"{name} has mode {mode:o}"
    finally:
        await database.close()

"""The database: pragmas, migrations step by step, refusal of a newer schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from natm_bot.storage import Database, StorageError
from natm_bot.storage.migrations import MIGRATIONS


async def test_fresh_database_reaches_latest_version_with_pragmas(tmp_path: Path) -> None:
    db = Database(tmp_path / "bot.sqlite3")
    await db.open()
    try:
        assert await db.version() == len(MIGRATIONS)
        mode = await db.fetchone("PRAGMA journal_mode")
        keys = await db.fetchone("PRAGMA foreign_keys")
        sync = await db.fetchone("PRAGMA synchronous")
        assert mode is not None and mode[0] == "wal"
        assert keys is not None and keys[0] == 1
        assert sync is not None and sync[0] == 2  # FULL
    finally:
        await db.close()


async def test_step_1_creates_event_and_state_tables(tmp_path: Path) -> None:
    db = Database(tmp_path / "bot.sqlite3", MIGRATIONS[:1])
    await db.open()
    try:
        await db.execute(
            "INSERT INTO processed_events (event_id, room_id, handled_at) VALUES (?, ?, ?)",
            ("$a", "!r:x", 1),
        )
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute(
                "INSERT INTO processed_events (event_id, room_id, handled_at) VALUES (?, ?, ?)",
                ("$a", "!r:x", 2),
            )
        await db.execute("INSERT INTO state (key, value) VALUES ('k', 'v')")
        row = await db.fetchone("SELECT value FROM state WHERE key = 'k'")
        assert row is not None and row["value"] == "v"
    finally:
        await db.close()


async def test_reopening_applies_only_new_steps(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    first = Database(path, [("CREATE TABLE a (x INTEGER)",)])
    await first.open()
    await first.execute("INSERT INTO a VALUES (1)")
    await first.close()
    second = Database(path, [("CREATE TABLE a (x INTEGER)",), ("CREATE TABLE b (y INTEGER)",)])
    await second.open()
    try:
        assert await second.version() == 2
        rows = await second.fetchall("SELECT x FROM a")
        assert [tuple(r) for r in rows] == [(1,)]
    finally:
        await second.close()


async def test_a_failing_step_leaves_the_previous_version_whole(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    steps = [
        ("CREATE TABLE a (x INTEGER)",),
        ("CREATE TABLE b (y INTEGER)", "CREATE TABLE broken (", "CREATE TABLE c (z)"),
    ]
    db = Database(path, steps)
    with pytest.raises(sqlite3.OperationalError):
        await db.open()
    check = sqlite3.connect(path)
    try:
        assert check.execute("PRAGMA user_version").fetchone()[0] == 1
        tables = {row[0] for row in check.execute("SELECT name FROM sqlite_master")}
        assert tables == {"a"}
    finally:
        check.close()


async def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    db = Database(path)
    with pytest.raises(StorageError, match="upgrade natm-bot"):
        await db.open()


async def test_a_failed_transaction_changes_nothing(tmp_path: Path) -> None:
    db = Database(tmp_path / "bot.sqlite3")
    await db.open()
    try:
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO state (key, value) VALUES ('k', 'v')")
                raise RuntimeError("boom")
        assert list(await db.fetchall("SELECT * FROM state")) == []
    finally:
        await db.close()


async def test_step_2_creates_the_inbox(tmp_path: Path) -> None:
    db = Database(tmp_path / "bot.sqlite3", MIGRATIONS[:2])
    await db.open()
    try:
        await db.execute(
            "INSERT INTO inbox (event_id, room_id, sender, body, is_direct, sent_at)"
            " VALUES ('$e', '!r', '@u:x', '!help', 0, 1)"
        )
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute(
                "INSERT INTO inbox (event_id, room_id, sender, body, is_direct, sent_at)"
                " VALUES ('$e', '!r', '@u:x', '!help', 0, 2)"
            )
    finally:
        await db.close()


async def test_step_3_allows_one_signup_per_person_and_group(tmp_path: Path) -> None:
    db = Database(tmp_path / "bot.sqlite3", MIGRATIONS[:3])
    await db.open()
    try:
        await db.execute(
            "INSERT INTO groups (id, name, description, created_at) VALUES ('g', 'G', '{}', 0)"
        )
        insert = "INSERT INTO signups (group_id, user_id, joined_at) VALUES (?, '@u:x', 0)"
        await db.execute(insert, ("g",))
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute(insert, ("g",))
        with pytest.raises(sqlite3.IntegrityError):  # foreign key: no such group
            await db.execute(insert, ("nope",))
        await db.execute("DELETE FROM groups WHERE id = 'g'")
        assert list(await db.fetchall("SELECT * FROM signups")) == []  # cascades
    finally:
        await db.close()


async def test_step_4_members_directory_search_index_and_supporters(tmp_path: Path) -> None:
    db = Database(tmp_path / "bot.sqlite3", MIGRATIONS[:4])
    await db.open()
    try:
        insert = (
            "INSERT INTO organisations (name, name_key, category, country, website, description,"
            " joined) VALUES (?, ?, 'learning', ?, 'https://example.org', ?, '2024-05-01')"
        )
        await db.execute(insert, ("Radio Bogotá", "radio bogotá", "CO", "Community radio."))
        with pytest.raises(sqlite3.IntegrityError):  # names are unique by their folded key
            await db.execute(insert, ("RADIO BOGOTÁ", "radio bogotá", "CO", "Again."))
        with pytest.raises(sqlite3.IntegrityError):  # country codes are stored upper-case
            await db.execute(insert, ("Other", "other", "co", "x"))
        with pytest.raises(sqlite3.IntegrityError):  # one paragraph of at most 600 characters
            await db.execute(insert, ("Long", "long", "CO", "x" * 601))
        search = "SELECT rowid FROM organisations_fts WHERE organisations_fts MATCH ?"
        assert [r[0] for r in await db.fetchall(search, ('"bogota"*',))] == [1]
        await db.execute("UPDATE organisations SET description = 'Archives.' WHERE id = 1")
        assert await db.fetchall(search, ('"community"*',)) == []
        assert [r[0] for r in await db.fetchall(search, ('"archiv"*',))] == [1]
        await db.execute("DELETE FROM organisations WHERE id = 1")
        assert await db.fetchall(search, ('"bogota"*',)) == []
        await db.execute("INSERT INTO supporters (digest) VALUES (?)", ("a" * 64,))
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute("INSERT INTO supporters (digest) VALUES (?)", ("a" * 64,))
        with pytest.raises(sqlite3.IntegrityError):  # a digest, never a Matrix id
            await db.execute("INSERT INTO supporters (digest) VALUES ('@alice:localhost')")
    finally:
        await db.close()


async def test_step_5_keys_each_announcement_once(tmp_path: Path) -> None:
    db = Database(tmp_path / "bot.sqlite3", MIGRATIONS[:5])
    await db.open()
    try:
        insert = (
            "INSERT INTO announcements (source, occurrence, offset_minutes, channel, status,"
            " recorded_at) VALUES ('m:1', 100, 60, 'rooms', ?, 0)"
        )
        await db.execute(insert, ("sent",))
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute(insert, ("late",))
        with pytest.raises(sqlite3.IntegrityError):  # no zero-length meetings
            await db.execute(
                "INSERT INTO meetings (title, start_local, timezone, duration_minutes, rooms,"
                " reminders, created_at) VALUES ('x', '2027-01-01T10:00', 'UTC', 0, '[]', '[]', 0)"
            )
    finally:
        await db.close()

"""Migration step 9 and the ledger's sealed inbox: encrypted events not readable yet are kept
with the sync token, survive a reopening, and leave when read or given up."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import EventId, Message, RoomId, UserId
from natm_bot.storage import Database
from natm_bot.storage.events import EventLedger
from natm_bot.storage.migrations import MIGRATIONS
from natm_bot.storage.sealed import Sealed

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
SEALED = Sealed(EventId("$s"), RoomId("!r:x"), '{"type": "m.room.encrypted"}', 1_000)


async def test_step_9_adds_the_sealed_inbox_and_keeps_what_was_there(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    old = Database(path, MIGRATIONS[:8])
    await old.open()
    await old.execute(
        "INSERT INTO inbox (event_id, room_id, sender, body, is_direct, sent_at)"
        " VALUES ('$e', '!r', '@u:x', '!help', 0, 1)"
    )
    tables = {r[0] for r in await old.fetchall("SELECT name FROM sqlite_master")}
    assert "sealed_inbox" not in tables
    await old.close()
    db = Database(path, MIGRATIONS)  # the ledger reads the inbox as the latest step has it
    await db.open()
    try:
        assert await db.version() == len(MIGRATIONS)
        ledger = EventLedger(db, ManualClock(NOW))
        assert [m.event_id for m in await ledger.pending()] == ["$e"]
        await ledger.accept([], "t1", kept=[SEALED, SEALED])
        assert await ledger.sealed() == [SEALED]
    finally:
        await db.close()


async def test_a_kept_event_survives_reopening_and_leaves_when_read(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = Database(path, MIGRATIONS)
    await db.open()
    await EventLedger(db, ManualClock(NOW)).accept([], "t1", kept=[SEALED])
    await db.close()  # as after a crash: the kept event and the token moved together

    db = Database(path, MIGRATIONS)
    await db.open()
    try:
        ledger = EventLedger(db, ManualClock(NOW))
        assert await ledger.sync_token() == "t1"
        assert await ledger.sealed() == [SEALED]
        command = Message(RoomId("!r:x"), UserId("@a:x"), "!help", EventId("$s"), NOW)
        fresh = await ledger.accept([command], "t2", opened=[EventId("$s")])
        assert fresh == [command]
        assert await ledger.sealed() == []
        assert await ledger.pending() == [command]
    finally:
        await db.close()


async def test_an_event_given_up_on_is_forgotten(tmp_path: Path) -> None:
    db = Database(tmp_path / "bot.sqlite3", MIGRATIONS)
    await db.open()
    try:
        ledger = EventLedger(db, ManualClock(NOW))
        await ledger.accept([], "t1", kept=[SEALED])
        await ledger.forget_sealed([EventId("$s")])
        assert await ledger.sealed() == []
        assert await ledger.sync_token() == "t1"
    finally:
        await db.close()

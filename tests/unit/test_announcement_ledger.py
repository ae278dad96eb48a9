"""Migration step 7 and the ledger it makes: announcements that fail, outcomes per room."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from natm_bot.core.clock import SystemClock
from natm_bot.core.jobs import AnnouncementSource
from natm_bot.storage import Database
from natm_bot.storage.announcements import AnnouncementLedger, LedgerKey, RoomOutcome
from natm_bot.storage.migrations import MIGRATIONS

MEETING_1 = AnnouncementSource.meeting(1)
KEY = LedgerKey(MEETING_1, 100_000, 60, "rooms")


async def test_step_7_keeps_the_old_ledger_and_adds_failures_per_room(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    old = Database(path, MIGRATIONS[:6])
    await old.open()
    await old.execute(
        "INSERT INTO announcements (source, occurrence, offset_minutes, channel, status,"
        " recorded_at) VALUES ('m:1', 50, 0, 'rooms', 'late', 7)"
    )
    with pytest.raises(sqlite3.IntegrityError):  # before step 7 nothing could fail
        await old.execute(
            "INSERT INTO announcements (source, occurrence, offset_minutes, channel, status,"
            " recorded_at) VALUES ('m:1', 60, 0, 'rooms', 'failed', 7)"
        )
    await old.close()
    db = Database(path, MIGRATIONS)
    await db.open()
    try:
        ledger = AnnouncementLedger(db, SystemClock())
        assert await ledger.statuses(MEETING_1) == [(50, 0, "rooms", "late")]
        sent, refused = RoomOutcome("!a:x", "sent"), RoomOutcome("!b:x", "failed", "M_FORBIDDEN")
        await ledger.settle(KEY, [sent])
        progress = await ledger.progress(KEY)
        assert not progress.done and progress.rooms == {"!a:x": "sent"}
        await ledger.settle(KEY, [refused, RoomOutcome("!a:x", "failed")], "failed")
        assert (await ledger.progress(KEY)).rooms == {"!a:x": "sent", "!b:x": "failed"}
        [latest, older] = await ledger.recent(MEETING_1, "rooms", 5)
        assert (latest.status, latest.rooms) == ("failed", (sent, refused))
        assert (older.occurrence, older.status, older.rooms) == (50, "late", ())
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute(
                "INSERT INTO announcement_rooms (source, occurrence, offset_minutes, channel,"
                " room, status, recorded_at) VALUES ('m:1', 1, 0, 'rooms', '!c:x', 'lost', 0)"
            )
        await db.execute("DELETE FROM announcements WHERE occurrence = 100000")  # pruned
        assert list(await db.fetchall("SELECT * FROM announcement_rooms")) == []
    finally:
        await db.close()


async def test_the_ledger_knows_each_event_an_announcement_became_and_an_occurrences_first(
    tmp_path: Path,
) -> None:
    db = Database(tmp_path / "bot.sqlite3", MIGRATIONS)
    await db.open()
    try:
        ledger = AnnouncementLedger(db, SystemClock())
        day_before = LedgerKey(MEETING_1, 100_000, 1440, "rooms")
        await ledger.settle(day_before, [RoomOutcome("!a:x", "sent", event_id="$first")])
        await ledger.settle(day_before, [RoomOutcome("!b:x", "failed", "M_FORBIDDEN")], "failed")
        await ledger.settle(KEY, [RoomOutcome("!a:x", "sent", event_id="$hour")], "sent")
        await ledger.settle(KEY, [RoomOutcome("!b:x", "sent", event_id="$b-hour")], "sent")
        assert await ledger.announced_by("$hour") == (MEETING_1, 100_000, "!a:x")
        assert await ledger.announced_by("$unknown") is None
        assert await ledger.first_event(MEETING_1, 100_000, "!a:x") == "$first"
        # Where the first one failed, the first that landed starts the thread.
        assert await ledger.first_event(MEETING_1, 100_000, "!b:x") == "$b-hour"
        assert await ledger.first_event(MEETING_1, 200_000, "!a:x") is None
    finally:
        await db.close()

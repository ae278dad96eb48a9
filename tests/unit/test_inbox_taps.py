"""Migration step 10 and taps on native polls in the inbox: a poll answer is saved with the
sync token, survives a reopening (as after kill -9), is pending once and done once, just as
a command is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import EventId, Message, PollAnswer, RoomId, UserId
from natm_bot.matrix.intake import Intake
from natm_bot.storage import Database
from natm_bot.storage.events import EventLedger
from natm_bot.storage.migrations import MIGRATIONS

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
ROOM = RoomId("!r:x")
TAP = PollAnswer(ROOM, UserId("@a:x"), EventId("$tap"), NOW, EventId("$poll"), ("a1", "b2"))
COMMAND = Message(ROOM, UserId("@b:x"), "!help", EventId("$cmd"), NOW + timedelta(seconds=1))


async def test_step_10_gives_the_inbox_a_kind_and_keeps_what_was_there(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    old = Database(path, MIGRATIONS[:9])
    await old.open()
    await old.execute(
        "INSERT INTO inbox (event_id, room_id, sender, body, is_direct, sent_at)"
        " VALUES ('$e', '!r:x', '@u:x', '!help', 0, 1000)"
    )
    await old.close()
    db = Database(path, MIGRATIONS[:10])
    await db.open()
    try:
        assert await db.version() == 10
        rows = await db.fetchall("SELECT event_id, kind FROM inbox")
        assert [tuple(row) for row in rows] == [("$e", "message")]
    finally:
        await db.close()
    db = Database(path, MIGRATIONS)
    await db.open()
    try:
        pending = await EventLedger(db, ManualClock(NOW)).pending()
        assert [(type(m), m.event_id) for m in pending] == [(Message, "$e")]
    finally:
        await db.close()


async def test_a_tap_saved_with_the_token_survives_reopening_and_is_done_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.sqlite3"
    db = Database(path, MIGRATIONS)
    await db.open()
    assert await EventLedger(db, ManualClock(NOW)).accept([TAP, COMMAND], "t1") == [TAP, COMMAND]
    await db.close()  # as after kill -9: the tap and the token moved together

    db = Database(path, MIGRATIONS)
    await db.open()
    try:
        ledger = EventLedger(db, ManualClock(NOW))
        assert await ledger.sync_token() == "t1"
        assert await ledger.pending() == [TAP, COMMAND]
        assert await ledger.accept([TAP], "t2") == []  # the homeserver sends it again
        await ledger.finish(TAP)
        assert await ledger.pending() == [COMMAND]
        assert await ledger.accept([TAP], "t3") == []  # done: never handed out again
        rows = await db.fetchall("SELECT event_id FROM processed_events ORDER BY event_id")
        assert [r[0] for r in rows] == ["$tap"]
    finally:
        await db.close()


async def test_the_intake_hands_a_tap_out_once(tmp_path: Path) -> None:
    db = Database(tmp_path / "bot.sqlite3", MIGRATIONS)
    await db.open()
    try:
        intake = Intake(EventLedger(db, ManualClock(NOW)))
        assert await intake.accept([TAP], "t1") == [TAP]
        assert await intake.accept([TAP], "t2") == []
        await intake.done(TAP)
        assert await intake.ledger.pending() == []
    finally:
        await db.close()


async def test_a_spoiled_tap_keeps_its_empty_answers(tmp_path: Path) -> None:
    spoiled = PollAnswer(ROOM, UserId("@a:x"), EventId("$s"), NOW, EventId("$poll"), ())
    db = Database(tmp_path / "bot.sqlite3", MIGRATIONS)
    await db.open()
    try:
        ledger = EventLedger(db, ManualClock(NOW))
        await ledger.accept([spoiled], "t1")
        assert await ledger.pending() == [spoiled]
    finally:
        await db.close()

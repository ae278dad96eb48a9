"""A room's upgrade (`m.room.tombstone`) as the Matrix reader takes it in and the inbox keeps
it, and the schema step of rooms moved and cards of groups."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nio import Event, MatrixRoom

from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import EventId, RoomId, Tombstone, UserId
from natm_bot.matrix.events import to_tombstone
from natm_bot.storage import Database
from natm_bot.storage.events import EventLedger
from natm_bot.storage.migrations import MIGRATIONS

BOT = "@natm-bot:localhost"
ALICE = "@alice:localhost"
NOW = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
ROOM = RoomId("!room:localhost")
NEW = "!new:localhost"


def _tombstone(content: Any, *, state_key: Any = "") -> Any:
    return Event.parse_event(
        {
            "type": "m.room.tombstone",
            "event_id": "$tomb",
            "sender": ALICE,
            "state_key": state_key,
            "origin_server_ts": int(NOW.timestamp() * 1000),
            "content": content,
        }
    )


def test_a_tombstone_is_read_with_its_replacement() -> None:
    event = _tombstone({"body": "This room has been replaced", "replacement_room": NEW})
    item = to_tombstone(MatrixRoom(ROOM, BOT), event, BOT)
    assert item == Tombstone(
        ROOM, UserId(ALICE), EventId("$tomb"), NOW, RoomId(NEW), "This room has been replaced"
    )


def test_a_tombstone_nio_cannot_check_is_read_from_its_content() -> None:
    event = _tombstone({"replacement_room": NEW})  # no body: nio's schema refuses it
    item = to_tombstone(MatrixRoom(ROOM, BOT), event, BOT)
    assert item is not None and item.replacement == NEW and item.body == ""


@pytest.mark.parametrize(
    "room", [None, "", "#alias:localhost", ROOM, 7, ["!x:y"], "!" + "a" * 300]
)
def test_a_tombstone_naming_no_other_room_is_not_read(room: Any) -> None:
    event = _tombstone({"body": "x", "replacement_room": room})
    assert to_tombstone(MatrixRoom(ROOM, BOT), event, BOT) is None


@given(st.dictionaries(st.text(max_size=20), st.none() | st.text() | st.integers(), max_size=4))
def test_no_tombstone_content_breaks_the_reader(content: dict[str, Any]) -> None:
    item = to_tombstone(MatrixRoom(ROOM, BOT), _tombstone(content), BOT)
    assert item is None or item.replacement.startswith("!")


async def test_a_tombstone_survives_a_reopening_of_the_inbox_once(tmp_path: Path) -> None:
    item = Tombstone(ROOM, UserId(ALICE), EventId("$tomb"), NOW, RoomId(NEW), "moved")
    path = tmp_path / "bot.sqlite3"
    db = Database(path, MIGRATIONS)
    await db.open()
    assert await EventLedger(db, ManualClock(NOW)).accept([item], "t1") == [item]
    await db.close()
    db = Database(path, MIGRATIONS)
    await db.open()
    try:
        ledger = EventLedger(db, ManualClock(NOW))
        assert await ledger.pending() == [item]
        await ledger.finish(item)
        assert await ledger.accept([item], "t2") == []
        assert await ledger.pending() == []
    finally:
        await db.close()


async def test_the_upgrades_step_keeps_one_move_per_room_and_cards_by_event(
    tmp_path: Path,
) -> None:
    db = Database(tmp_path / "bot.sqlite3", MIGRATIONS)
    await db.open()
    try:
        await db.execute("INSERT INTO room_moves (old, new, moved_at) VALUES ('!a:x', '!b:x', 1)")
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute(
                "INSERT INTO room_moves (old, new, moved_at) VALUES ('!a:x', '!c:x', 2)"
            )
        await db.execute(
            "INSERT INTO group_cards (event_id, room_id, group_id, posted_at)"
            " VALUES ('$card', '!a:x', NULL, 1)"
        )
        row = await db.fetchone("SELECT groups FROM group_cards WHERE event_id = '$card'")
        assert row is not None and row[0] == "[]"
    finally:
        await db.close()

"""Changes of membership (`m.room.member`: knocks, joins, leaves) as the Matrix reader takes
them in (any age, never the bot's own), and kept in the inbox: read back whole, done once;
and the migration step that notes group rooms too old to knock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from nio import Event, MatrixRoom

from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import EventId, Membership, RoomId, UserId
from natm_bot.matrix.events import CommandReader
from natm_bot.storage import Database
from natm_bot.storage.events import EventLedger
from natm_bot.storage.joins import JoinRuleNotes
from natm_bot.storage.migrations import MIGRATIONS
from natm_bot.storage.schema_joins import JOINS_STEP

BOT = "@natm-bot:localhost"
ALICE = "@alice:localhost"
NOW = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=2)
ROOM = RoomId("!room:localhost")


def _member(user: str, membership: str, previous: str | None = None, **content: Any) -> Any:
    source: dict[str, Any] = {
        "type": "m.room.member",
        "event_id": f"$m-{user}-{membership}",
        "sender": user,
        "state_key": user,
        "origin_server_ts": int(LONG_AGO.timestamp() * 1000),
        "content": {"membership": membership, **content},
    }
    if previous is not None:
        source["unsigned"] = {"prev_content": {"membership": previous}}
    return Event.parse_event(source)


def _reader() -> CommandReader:
    return CommandReader(BOT, lambda body: body.startswith("!"), ManualClock(NOW), timedelta(0))


def test_a_knock_and_a_leave_are_read_whatever_their_age() -> None:
    room = MatrixRoom(ROOM, BOT)
    knock = _reader().incoming(room, _member(ALICE, "knock", "leave", reason="let me in"))
    assert knock == Membership(
        ROOM, UserId(ALICE), EventId(f"$m-{ALICE}-knock"), LONG_AGO, UserId(ALICE), "knock",
        "leave", "let me in",
    )  # fmt: skip
    left = _reader().incoming(room, _member(ALICE, "leave", "join"))
    assert isinstance(left, Membership) and (left.membership, left.previous) == ("leave", "join")


def test_the_bots_own_membership_is_not_read() -> None:
    assert _reader().incoming(MatrixRoom(ROOM, BOT), _member(BOT, "join", "invite")) is None


@given(reason=st.text(max_size=2000))
def test_any_reason_is_read_as_short_text(reason: str) -> None:
    item = _reader().incoming(MatrixRoom(ROOM, BOT), _member(ALICE, "join", None, reason=reason))
    assert isinstance(item, Membership) and item.reason == reason[:300]


@given(reason=st.one_of(st.integers(), st.lists(st.text(max_size=3), max_size=2)))
def test_a_malformed_reason_is_nothing_to_read(reason: object) -> None:
    event = _member(ALICE, "join", None, reason=reason)
    assert _reader().incoming(MatrixRoom(ROOM, BOT), event) is None


async def test_memberships_survive_a_reopening_once(tmp_path: Path) -> None:
    knock = Membership(
        ROOM, UserId(ALICE), EventId("$k"), NOW, UserId(ALICE), "knock", None, 'hi "there"'
    )
    kick = Membership(
        ROOM, UserId("@mod:localhost"), EventId("$l"), NOW + timedelta(seconds=1),
        UserId(ALICE), "leave", "join", "",
    )  # fmt: skip
    path = tmp_path / "bot.sqlite3"
    db = Database(path, MIGRATIONS)
    await db.open()
    ledger = EventLedger(db, ManualClock(NOW))
    assert await ledger.accept([knock, kick], "t1") == [knock, kick]
    await db.close()
    db = Database(path, MIGRATIONS)
    await db.open()
    try:
        ledger = EventLedger(db, ManualClock(NOW))
        assert await ledger.pending() == [knock, kick]
        await ledger.finish(knock)
        assert await ledger.accept([knock], "t2") == []
        assert await ledger.pending() == [kick]
    finally:
        await db.close()


async def test_the_joins_step_keeps_what_it_finds_and_notes_rooms_once(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    before = MIGRATIONS.index(JOINS_STEP)
    old = Database(path, MIGRATIONS[:before])
    await old.open()
    await old.execute("INSERT INTO state (key, value) VALUES ('sync_token', 's1')")
    await old.close()
    db = Database(path, MIGRATIONS)
    await db.open()
    try:
        assert await db.version() == len(MIGRATIONS)
        assert await EventLedger(db, ManualClock(NOW)).sync_token() == "s1"
        notes = JoinRuleNotes(db, ManualClock(NOW))
        assert await notes.first("!old:localhost", "6") is True
        assert await notes.first("!old:localhost", "6") is False
        assert await notes.rooms() == {"!old:localhost": "6"}
    finally:
        await db.close()

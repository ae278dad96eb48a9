"""Reactions, their retractions (redactions) and lines of minutes as the Matrix reader takes
them in (clear or decrypted, room versions up to 11), and kept in the inbox as commands are:
saved with the sync token, read back whole after a reopening, done once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from nio import Event, MatrixRoom

from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import EventId, Message, Reaction, Retraction, RoomId, UserId
from natm_bot.matrix.events import CommandReader
from natm_bot.storage import Database
from natm_bot.storage.events import EventLedger
from natm_bot.storage.migrations import MIGRATIONS

BOT = "@natm-bot:localhost"
ALICE = "@alice:localhost"
NOW = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=2)
ROOM = RoomId("!room:localhost")


def _room() -> MatrixRoom:
    room = MatrixRoom(ROOM, BOT)
    for user in (BOT, ALICE, "@bob:localhost"):
        room.add_member(user, None, None)
    return room


def _event(kind: str, content: dict[str, Any], *, sender: str = ALICE, **top: Any) -> Any:
    source = {
        "type": kind,
        "event_id": f"$e-{kind}-{len(str(content))}",
        "sender": sender,
        "origin_server_ts": int(LONG_AGO.timestamp() * 1000),
        "content": content,
        **top,
    }
    return Event.parse_event(source)


def _reader() -> CommandReader:
    return CommandReader(
        BOT,
        lambda body: body.startswith("!"),
        ManualClock(NOW),
        timedelta(minutes=10),
        lambda body: body.startswith("#info"),
    )


def _annotation(target: str, key: str) -> dict[str, Any]:
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": key}}


def test_a_reaction_is_read_at_any_age_and_the_bots_own_is_not() -> None:
    reader = _reader()
    event = _event("m.reaction", _annotation("$ann", "✅"))
    item = reader.incoming(_room(), event)
    assert item == Reaction(ROOM, UserId(ALICE), event.event_id, LONG_AGO, EventId("$ann"), "✅")
    own = _event("m.reaction", _annotation("$line", "✍️"), sender=BOT)
    assert reader.incoming(_room(), own) is None


def test_a_decrypted_reaction_is_read_as_one_in_the_clear() -> None:
    source = {
        "type": "m.reaction",
        "event_id": "$decrypted",
        "sender": ALICE,
        "origin_server_ts": int(NOW.timestamp() * 1000),
        "content": _annotation("$ann", "❌"),
    }
    item = _reader().incoming(_room(), Event.parse_decrypted_event(source))
    assert isinstance(item, Reaction) and (item.target, item.key) == ("$ann", "❌")


def test_a_redaction_is_read_whether_it_names_the_event_on_top_or_in_its_content() -> None:
    reader = _reader()
    up_to_10 = _event("m.room.redaction", {}, redacts="$reaction")
    version_11 = _event("m.room.redaction", {"redacts": "$other"})
    first, second = reader.incoming(_room(), up_to_10), reader.incoming(_room(), version_11)
    assert isinstance(first, Retraction) and first.redacts == "$reaction"
    assert isinstance(second, Retraction) and second.redacts == "$other"
    assert reader.incoming(_room(), _event("m.room.redaction", {"redacts": 7})) is None


@given(st.text(max_size=80), st.text(max_size=200))
def test_no_reaction_content_breaks_the_reader(target: str, key: str) -> None:
    item = _reader().incoming(_room(), _event("m.reaction", _annotation(target, key)))
    assert item is None or (isinstance(item, Reaction) and 0 < len(item.key) <= 64)


def test_a_line_of_minutes_is_read_at_any_age_with_its_mentions_and_chat_is_not() -> None:
    reader = _reader()
    content = {
        "msgtype": "m.text",
        "body": "#info Alice will write",
        "m.mentions": {"user_ids": ["@alice:localhost", 5]},
        "m.relates_to": {"rel_type": "m.thread", "event_id": "$root"},
    }
    note = reader.incoming(_room(), _event("m.room.message", content))
    assert isinstance(note, Message) and note.thread_id == "$root"
    assert note.mentions == (UserId(ALICE),)
    chat = {"msgtype": "m.text", "body": "hello"}
    assert reader.incoming(_room(), _event("m.room.message", chat)) is None
    old_command = {"msgtype": "m.text", "body": "!help"}  # commands still have an age limit
    assert reader.incoming(_room(), _event("m.room.message", old_command)) is None


async def test_reactions_retractions_and_mentions_survive_a_reopening_once(
    tmp_path: Path,
) -> None:
    later = NOW + timedelta(seconds=1)
    reaction = Reaction(ROOM, UserId(ALICE), EventId("$r"), NOW, EventId("$ann"), "👍")
    retraction = Retraction(ROOM, UserId(ALICE), EventId("$x"), later, EventId("$r"))
    last = later + timedelta(seconds=1)
    line = Message(ROOM, UserId(ALICE), "#info hi", EventId("$m"), last, mentions=(UserId(BOT),))
    path = tmp_path / "bot.sqlite3"
    db = Database(path, MIGRATIONS)
    await db.open()
    ledger = EventLedger(db, ManualClock(NOW))
    assert await ledger.accept([reaction, retraction, line], "t1") == [reaction, retraction, line]
    await db.close()  # as after kill -9
    db = Database(path, MIGRATIONS)
    await db.open()
    try:
        ledger = EventLedger(db, ManualClock(NOW))
        assert await ledger.pending() == [reaction, retraction, line]
        await ledger.finish(reaction)
        assert await ledger.accept([reaction], "t2") == []
        assert await ledger.pending() == [retraction, line]
    finally:
        await db.close()


async def test_step_13_keeps_the_meetings_and_the_ledger_it_finds(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    old = Database(path, MIGRATIONS[:12])
    await old.open()
    await old.execute(
        "INSERT INTO meetings (id, title, start_local, timezone, duration_minutes, rooms,"
        " reminders, created_at) VALUES (1, 'Weekly', '2027-01-05T16:00', 'UTC', 60, '[]',"
        " '[]', 0)"
    )
    await old.execute(
        "INSERT INTO announcement_rooms (source, occurrence, offset_minutes, channel, room,"
        " status, recorded_at) VALUES ('meeting:1', 100, 60, 'rooms', '!r:x', 'sent', 1)"
    )
    await old.close()
    db = Database(path, MIGRATIONS)
    await db.open()
    try:
        assert await db.version() == len(MIGRATIONS) >= 13
        meeting = await db.fetchone("SELECT threads, agenda_by FROM meetings WHERE id = 1")
        assert meeting is not None and tuple(meeting) == (1, "anyone")
        room = await db.fetchone("SELECT room, event_id FROM announcement_rooms")
        assert room is not None and tuple(room) == ("!r:x", None)
    finally:
        await db.close()

"""Timeline events read as commands: edits, threads, the bot's own join, and age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from nio import Event, MatrixRoom

from natm_bot.core.clock import ManualClock
from natm_bot.matrix.events import CommandReader, to_message

BOT = "@natm-bot:localhost"
ALICE = "@alice:localhost"
NOW = datetime(2025, 3, 4, 18, 0, tzinfo=UTC)


def _room() -> MatrixRoom:
    room = MatrixRoom("!room:localhost", BOT)
    room.add_member(BOT, None, None)
    room.add_member(ALICE, None, None)
    room.add_member("@bob:localhost", None, None)
    return room


def _text(event_id: str, body: str, at: datetime, **content: Any) -> Any:
    return Event.parse_event(
        {
            "type": "m.room.message",
            "event_id": event_id,
            "sender": ALICE,
            "origin_server_ts": int(at.timestamp() * 1000),
            "content": {"msgtype": "m.text", "body": body, **content},
        }
    )


def _join(event_id: str) -> Any:
    return Event.parse_event(
        {
            "type": "m.room.member",
            "event_id": event_id,
            "sender": BOT,
            "state_key": BOT,
            "origin_server_ts": int(NOW.timestamp() * 1000),
            "content": {"membership": "join"},
        }
    )


def test_an_edit_is_read_as_its_new_text_and_a_thread_reply_keeps_its_thread() -> None:
    edit = _text(
        "$e2",
        "* !ping",
        NOW,
        **{
            "m.new_content": {"msgtype": "m.text", "body": "!help"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": "$e1"},
        },
    )
    message = to_message(_room(), edit, BOT)
    assert message is not None and message.body == "!help" and message.edit_of == "$e1"
    assert message.reply_target == "$e1" and not message.is_direct
    thread = {"m.relates_to": {"rel_type": "m.thread", "event_id": "$t"}}
    threaded = _text("$e3", "!ping", NOW, **thread)
    message = to_message(_room(), threaded, BOT)
    assert message is not None and message.thread_id == "$t"


def test_only_recent_commands_said_after_the_bot_joined_are_read() -> None:
    reader = CommandReader(
        BOT, lambda body: body.startswith("!"), ManualClock(NOW), timedelta(minutes=10)
    )
    events = [
        _text("$before", "!ping", NOW),
        _join("$join"),
        _text("$old", "!ping", NOW - timedelta(minutes=11)),
        _text("$chat", "hello", NOW),
        _text("$new", "!ping", NOW - timedelta(minutes=9)),
    ]
    assert [m.event_id for m in reader.incoming_in(_room(), events)] == ["$new"]

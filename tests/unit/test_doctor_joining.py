"""`natm-bot doctor` says, one line per group room, how people get in: a room too old to
knock falls back to invitations, and the line says how to change that."""

from __future__ import annotations

from natm_bot.frontends.doctor import joining
from natm_bot.matrix.diagnose import _powers

ROOM = "!group:localhost"
BOT = "@natm-bot:localhost"


def _create(version: str | None) -> list[dict[str, object]]:
    content = {"room_version": version} if version else {}
    return [
        {"type": "m.room.create", "state_key": "", "sender": "@a:localhost", "content": content}
    ]


def test_the_room_version_is_read_from_the_rooms_creation() -> None:
    assert _powers(ROOM, ROOM, BOT, _create("10")).version == "10"
    assert _powers(ROOM, ROOM, BOT, _create(None)).version == "1"


def test_an_old_room_is_named_with_what_to_do() -> None:
    line = str(joining(ROOM, "6"))
    assert "room version 6 cannot knock: people join by invitation only" in line
    assert "upgrade the room to version 10 or newer" in line
    assert "may knock into a group with a capacity" in str(joining(ROOM, "8"))
    assert "people may knock or join" in str(joining(ROOM, "11"))
    assert "cannot knock" in str(joining(ROOM, "org.example.custom"))

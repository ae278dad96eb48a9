"""A person types a command in a real room of a real Synapse; the bot answers exactly once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nio import MegolmEvent, RoomMessageNotice

from tests.integration.people import BotProcess, Person

People = Callable[[str], Awaitable[Person]]
PRINCIPLE_1 = "Data extraction is illegitimate."


async def _room_with_bot(
    alice: Person, bot: BotProcess, *, encrypted: bool = False, direct: bool = False
) -> str:
    room = await alice.create_room([bot.user_id], encrypted=encrypted, direct=direct)
    await alice.wait_joined(room, bot.user_id)
    return room


async def _exactly_one_reply(alice: Person, room: str, command: str, bot: BotProcess) -> None:
    """The only proof of "no second reply" that needs no sleeping: the bot answers a room's
    commands in order, so once a later command is answered, any duplicate would be in."""
    reply = await alice.reply(room, command, bot.user_id)
    sentinel = await alice.say(room, "!help principles")
    await alice.reply(room, sentinel, bot.user_id)
    assert len(alice.replies_to(room, command, bot.user_id)) == 1
    assert isinstance(reply, RoomMessageNotice), type(reply)
    content = reply.source["content"]
    assert content["msgtype"] == "m.notice"
    assert "m.mentions" not in content  # it names nobody in the room (natm_bot/matrix/content.py)
    assert content["format"] == "org.matrix.custom.html"
    assert "<ol>" in content["formatted_body"]
    assert PRINCIPLE_1 in content["body"]


async def test_plain_room(people: People, bot_process: BotProcess) -> None:
    alice = await people("alice")
    await bot_process.start()
    room = await _room_with_bot(alice, bot_process)
    command = await alice.say(room, "!principles")
    await _exactly_one_reply(alice, room, command, bot_process)


async def test_encrypted_room(people: People, bot_process: BotProcess) -> None:
    alice = await people("alice")
    await bot_process.start()
    room = await _room_with_bot(alice, bot_process, encrypted=True)
    command = await alice.say(room, "!principles")
    await _exactly_one_reply(alice, room, command, bot_process)
    raw = alice.events[room]
    assert not [e for e in raw if isinstance(e, MegolmEvent)], "a reply could not be decrypted"
    assert alice.client.rooms[room].encrypted


async def test_direct_message(people: People, bot_process: BotProcess) -> None:
    alice = await people("alice")
    await bot_process.start()
    room = await _room_with_bot(alice, bot_process, direct=True, encrypted=True)
    command = await alice.say(room, "!principles")
    await _exactly_one_reply(alice, room, command, bot_process)


async def test_thread(people: People, bot_process: BotProcess) -> None:
    alice = await people("alice")
    await bot_process.start()
    room = await _room_with_bot(alice, bot_process)
    root = await alice.say(room, "Let's talk about the principles")
    thread = {"m.relates_to": {"rel_type": "m.thread", "event_id": root}}
    command = await alice.say(room, "!principles", extra=thread)
    reply = await alice.reply(room, command, bot_process.user_id)
    relation = reply.source["content"]["m.relates_to"]
    assert relation["rel_type"] == "m.thread"
    assert relation["event_id"] == root
    assert relation["m.in_reply_to"]["event_id"] == command
    sentinel = await alice.say(room, "!help", extra=thread)
    await alice.reply(room, sentinel, bot_process.user_id)
    assert len(alice.replies_to(room, command, bot_process.user_id)) == 1

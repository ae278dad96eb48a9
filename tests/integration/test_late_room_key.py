"""An encrypted command whose room key reaches the bot after the command itself (as when a
person's client shares a new room's key just before the first message and the homeserver
delivers the two in different syncs): kept, read once the key comes, answered once; kept
across a crash; and, when the key never comes, the sender is told to send it again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from tests.integration.people import BotProcess, Person, deliver_key, without_key

People = Callable[[str], Awaitable[Person]]


async def _encrypted_room(alice: Person, bot: BotProcess) -> str:
    room = await alice.create_room([bot.user_id], encrypted=True)
    await alice.wait_joined(room, bot.user_id)
    return room


async def _say_without_key(alice: Person, room: str, bot: str, body: str) -> tuple[str, Any]:
    """Send `body` encrypted with a new room key that the bot's device is not given; the
    event id and the key's to-device message for the bot, held back for `_deliver`."""
    return await without_key(alice, room, bot, lambda: alice.say(room, body))


async def _deliver(alice: Person, held: Any) -> None:
    await deliver_key(alice, held)


async def _settle(alice: Person, room: str, bot: BotProcess) -> None:
    """Once this is answered, everything sent before it has had its chance."""
    sentinel = await alice.say(room, "!help principles")
    await alice.reply(room, sentinel, bot.user_id)


async def _waiting_for_its_key(people: People, bot: BotProcess) -> tuple[Person, str, str, Any]:
    """Alice's `!principles 1` in a new encrypted room, read by the bot without its key:
    (alice, the room, the command's event id, the key held back)."""
    alice = await people("alice")
    await bot.start()
    room = await _encrypted_room(alice, bot)
    offset = len(bot.log_text())
    command, held = await _say_without_key(alice, room, bot.user_id, "!principles 1")
    await bot.wait_log(f"could not decrypt event {command}", offset)
    return alice, room, command, held


async def test_a_command_whose_key_comes_later_is_answered_once(
    people: People, bot_process: BotProcess
) -> None:
    alice, room, command, held = await _waiting_for_its_key(people, bot_process)
    await _deliver(alice, held)
    await alice.reply(room, command, bot_process.user_id)
    await _settle(alice, room, bot_process)
    assert len(alice.replies_to(room, command, bot_process.user_id)) == 1
    assert await bot_process.stop() == 0


async def test_a_command_waiting_for_its_key_survives_a_crash(
    people: People, bot_process: BotProcess
) -> None:
    alice, room, command, held = await _waiting_for_its_key(people, bot_process)
    bot_process.kill()  # as a power cut would, while the command waits for its key
    await _deliver(alice, held)
    await bot_process.start()
    await alice.reply(room, command, bot_process.user_id)
    await _settle(alice, room, bot_process)
    assert len(alice.replies_to(room, command, bot_process.user_id)) == 1
    assert await bot_process.stop() == 0


async def test_a_command_whose_key_never_comes_is_reported_to_its_sender(
    people: People, make_bot: Callable[..., BotProcess]
) -> None:
    alice = await people("alice")
    bot = make_bot(max_command_age=5)
    await bot.start()
    room = await _encrypted_room(alice, bot)
    offset = len(bot.log_text())
    command, _ = await _say_without_key(alice, room, bot.user_id, "!principles 1")
    await bot.wait_log(f"could not decrypt event {command}", offset)
    await asyncio.sleep(6)  # past max_command_age: the key is not coming
    assert alice.client.olm is not None
    alice.client.olm.outbound_group_sessions.pop(room)  # a new key, the bot's device given it
    await alice.say(room, "anyone there?")  # any event wakes the bot's sync
    notice = await alice.reply(room, command, bot.user_id)
    text = notice.source["content"]["body"]
    assert "could not read" in text and "send it again" in text, text
    assert f"gave up on encrypted event {command}" in bot.log_text()[offset:]
    await _settle(alice, room, bot)
    assert len(alice.replies_to(room, command, bot.user_id)) == 1
    assert await bot.stop() == 0

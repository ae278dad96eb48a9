"""Welcoming a newcomer on a real Synapse: a person joins a room that welcomes newcomers and
gets exactly one direct message, also when the bot is killed between the join and the
message; replying `2` joins group 2 and the invite into its room arrives; leaving and joining
again, or joining a room that does not welcome, brings nothing more."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from nio import RoomCreateResponse, RoomMessageFormatted, RoomPreset

from tests.integration.conftest import BotFactory
from tests.integration.people import Person

People = Callable[[str], Awaitable[Person]]
GROUP_TWO = "alternative-platforms"  # the second group of data/groups.yaml


async def _public_room(coord: Person, bot: str, name: str) -> str:
    """A room anyone may join (so no invite reaches the bot for the newcomer), the bot in it
    with power 100."""
    response = await coord.client.room_create(
        name=name,
        invite=[bot],
        preset=RoomPreset.public_chat,
        room_version="10",
        power_level_override={"users": {coord.mxid: 100, bot: 100}},
    )
    assert isinstance(response, RoomCreateResponse), response
    await coord.wait_joined(response.room_id, bot)
    return str(response.room_id)


def _from_bot(person: Person, room: str, bot: str) -> list[str]:
    """The messages the bot sent into a room (encrypted or not), by event id."""
    kinds = ("m.room.message", "m.room.encrypted")
    return [
        e.event_id for e in person.events[room] if e.sender == bot and e.source["type"] in kinds
    ]


def _direct_with(person: Person, bot: str) -> str | None:
    """The room the bot invited the person to for direct messages, once they are in it."""
    for room_id, room in person.client.rooms.items():
        if set(room.users) == {person.mxid, bot}:
            return str(room_id)
    return None


async def test_one_welcome_across_a_kill_then_two_joins_group_two(
    people: People, make_bot: BotFactory
) -> None:
    coord, alice, bob = await people("coord"), await people("alice"), await people("bob")
    bot = make_bot(admins=(coord.mxid,))
    await bot.start()
    lobby = await _public_room(coord, bot.user_id, "lobby")
    quiet = await _public_room(coord, bot.user_id, "no welcome here")
    await bob.client.join(lobby)  # three in the room: not a direct chat
    await coord.wait_joined(lobby, bob.mxid)
    group_room = await coord.create_room([bot.user_id], name="group two", power={bot.user_id: 100})
    await coord.wait_joined(group_room, bot.user_id)
    assert (
        "now get one direct message"
        in ((await coord.ask(lobby, "!welcome on", bot.user_id)).source["content"]["body"])
    )
    await coord.ask(lobby, f"!group edit {GROUP_TWO} room {group_room}", bot.user_id)
    assert await bot.stop() == 0

    # Killed right after the welcome went out, before the join was recorded as handled.
    await bot.start(env={"NATM_BOT_FAULT": "kill-after-send"})
    await alice.client.join(lobby)
    assert await bot.wait_exit() == -9
    await bot.start()  # the join is read again from the inbox: the same message, once
    await alice.wait_for(lambda: alice.client.invited_rooms, "the bot's direct chat")
    direct = next(iter(alice.client.invited_rooms))
    await alice.client.join(direct)
    await alice.wait_for(lambda: _from_bot(alice, direct, bot.user_id), "the welcome", timeout=60)

    await asyncio.sleep(2)
    assert len(_from_bot(alice, direct, bot.user_id)) == 1  # one welcome, across the kill
    # Readable: the room key reached the person while only invited to the new direct chat.
    welcome = [e for e in alice.events[direct] if isinstance(e, RoomMessageFormatted)]
    assert [e.sender for e in welcome] == [bot.user_id]
    assert "!lang es" in welcome[0].body and "\n2. " in welcome[0].body

    await alice.say(direct, "2")
    await alice.wait_for(lambda: group_room in alice.client.invited_rooms, "group two's invite")
    await alice.wait_for(lambda: len(_from_bot(alice, direct, bot.user_id)) == 2, "the answer")

    # Leaving and joining again, and joining a room that does not welcome: nothing more.
    await alice.client.room_leave(lobby)
    await alice.client.join(lobby)
    await alice.client.join(quiet)
    await coord.wait_joined(quiet, alice.mxid)
    await alice.ask(lobby, "!help", bot.user_id)  # the bot has read both joins by now
    await asyncio.sleep(2)
    assert len(_from_bot(alice, direct, bot.user_id)) == 2  # nothing after the answer
    assert _direct_with(alice, bot.user_id) == direct

"""The coalition Space on a real homeserver: a group room made by the bot is listed under the
Space, and the bot's children come back after a person edited the Space by hand."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

from nio import (
    RoomCreateResponse,
    RoomGetStateEventResponse,
    RoomPutStateResponse,
    SpaceGetHierarchyResponse,
)

from tests.integration.conftest import BotFactory
from tests.integration.people import BotProcess, Person

People = Callable[[str], Awaitable[Person]]


async def _state(person: Person, room: str, kind: str, key: str = "") -> dict[str, Any]:
    response = await person.client.room_get_state_event(room, kind, key)
    if not isinstance(response, RoomGetStateEventResponse):
        return {}
    return dict(response.content)


MEGOLM = "m.megolm.v1.aes-sha2"


async def _make_space(coord: Person, invite: list[str]) -> str:
    """A Space made by a person, the bot (first invited) at power 100."""
    response = await coord.client.room_create(
        name="NATM", space=True, invite=invite, power_level_override={"users": {invite[0]: 100}}
    )
    assert isinstance(response, RoomCreateResponse), response
    await coord.wait_for(lambda: response.room_id in coord.client.rooms, "the Space")
    return str(response.room_id)


async def _children(person: Person, space: str) -> set[str]:
    """The rooms listed under the Space by the /hierarchy API, as the person sees them."""
    response = await person.client.space_get_hierarchy(space, max_depth=1)
    assert isinstance(response, SpaceGetHierarchyResponse), response
    return {str(room["room_id"]) for room in response.rooms} - {space}


async def _put(person: Person, room: str, kind: str, key: str, content: dict[str, Any]) -> None:
    response = await person.client.room_put_state(room, kind, content, state_key=key)
    assert isinstance(response, RoomPutStateResponse), response


async def _made_room(coord: Person, alice: Person, bot: BotProcess, space: str) -> tuple[str, str]:
    """The lobby, and the room the bot made for `research` (Alice joined it by `!join`)."""
    lobby = await coord.create_room([bot.user_id, alice.mxid], name="lobby")
    await alice.client.join(lobby)
    await coord.wait_joined(lobby, alice.mxid)
    await coord.wait_joined(lobby, bot.user_id)
    await coord.wait_joined(space, bot.user_id)
    made = await coord.ask(lobby, '!group create research name="Research" room=new', bot.user_id)
    body = made.source["content"]["body"]
    assert "I made its room" in body, body
    joined = await alice.ask(lobby, "!join research", bot.user_id)
    assert "Welcome" in joined.source["content"]["body"], joined.source
    await alice.wait_for(lambda: alice.client.invited_rooms, "the invite")
    [room] = list(alice.client.invited_rooms)
    assert room in body
    await alice.client.join(room)
    await alice.wait_for(lambda: room in alice.client.rooms, "the group room")
    return lobby, room


async def _space_and_room(
    people: People, make_bot: BotFactory, bot_user: str
) -> tuple[Person, Person, str, BotProcess, str]:
    """A coordinator, a Space member, the Space, the bot keeping it (started) and a group
    room the bot made in it."""
    coord, alice = await people("coord"), await people("alice")
    space = await _make_space(coord, [bot_user, alice.mxid])
    await alice.client.join(space)
    bot = make_bot(admins=(coord.mxid,), sections={"spaces": {"coalition": space}})
    await bot.start()
    _lobby, room = await _made_room(coord, alice, bot, space)
    return coord, alice, space, bot, room


async def test_a_room_made_by_the_bot_is_in_the_space_and_hand_edits_are_undone(
    people: People, make_bot: BotFactory, bot_account: tuple[str, str]
) -> None:
    coord, alice, space, bot, room = await _space_and_room(people, make_bot, bot_account[0])

    assert room in await _children(alice, space)
    levels = await _state(alice, room, "m.room.power_levels")
    assert levels["users"][coord.mxid] == 100, levels
    if bot.user_id in levels["users"]:  # before room version 12, the creator is listed
        assert levels["users"][bot.user_id] == 100, levels
    else:  # from 12 on, the creator (the bot) is above every level and may not be listed
        create = await _state(alice, room, "m.room.create")
        assert int(create.get("room_version", "1")) >= 12, create
    assert (await _state(alice, room, "m.room.encryption"))["algorithm"] == MEGOLM
    assert (await _state(alice, room, "m.room.history_visibility")) == {
        "history_visibility": "shared"
    }
    assert (await _state(alice, room, "m.space.parent", space))["canonical"] is True

    assert await bot.stop() == 0
    mine = await coord.create_room([], name="coord's own")
    server = coord.mxid.partition(":")[2]
    await _put(coord, space, "m.space.child", room, {})
    await _put(coord, space, "m.space.child", mine, {"via": [server]})
    assert room not in await _children(coord, space)
    offset = len(bot.log_text())
    await bot.start()
    await bot.wait_log("children added or set", offset)
    assert (await _state(coord, space, "m.space.child", room))["via"] == [server]
    assert (await _state(coord, space, "m.space.child", mine)) == {"via": [server]}
    # The hierarchy lists an invite-only room only to people in it.
    assert room in await _children(alice, space)
    assert mine in await _children(coord, space)
    report = (await asyncio.to_thread(bot.cli, "doctor")).stdout
    assert f"ok space {space}: the bot may add rooms; every group room is a child" in report


async def test_doctor_names_a_group_room_missing_from_the_space(
    people: People, make_bot: BotFactory, bot_account: tuple[str, str]
) -> None:
    coord, _alice, space, bot, room = await _space_and_room(people, make_bot, bot_account[0])
    assert await bot.stop() == 0
    await _put(coord, space, "m.space.child", room, {})
    report = (await asyncio.to_thread(bot.cli, "doctor")).stdout
    assert f"PROBLEM space {space}: {room} is not listed in the Space" in report, report


async def test_space_create_makes_a_space_with_the_admins_invited_at_100(
    people: People, make_bot: BotFactory
) -> None:
    coord = await people("coord")
    bot = make_bot(admins=(coord.mxid,))
    made = await asyncio.to_thread(bot.cli, "space", "create", "--name", "NATM coalition")
    assert made.returncode == 0, made.stderr
    [space] = re.findall(r'coalition: "(![^"]+)"', made.stdout)
    await coord.wait_for(lambda: space in coord.client.invited_rooms, "the invite to the Space")
    await coord.client.join(space)
    await coord.wait_for(lambda: space in coord.client.rooms, "the Space")
    assert (await _state(coord, space, "m.room.create"))["type"] == "m.space"
    assert (await _state(coord, space, "m.room.name"))["name"] == "NATM coalition"
    levels = await _state(coord, space, "m.room.power_levels")
    assert levels["users"][coord.mxid] == 100, levels
    refused = await asyncio.to_thread(bot.cli, "space", "create", "--name", "bad\u202ename")
    assert refused.returncode == 1 and "natm-bot:" in refused.stderr, refused

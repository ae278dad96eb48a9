"""A group room upgraded through the client API (`/upgrade`) is followed by the running bot:
it joins the new room within a sync, `!join` invites there, and the meeting announced in the
old room is announced in the new one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from nio import RoomCreateResponse, RoomPreset

from tests.integration.conftest import BotFactory
from tests.integration.people import Person

People = Callable[[str], Awaitable[Person]]


async def _upgrade(person: Person, room_id: str, version: str) -> str:
    """Upgrade the room as a client does (`POST /rooms/{id}/upgrade`); the new room's id."""
    client = person.client
    url = f"{client.homeserver}/_matrix/client/v3/rooms/{room_id}/upgrade"
    headers = {"Authorization": f"Bearer {client.access_token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={"new_version": version}, headers=headers) as response,
    ):
        body: dict[str, Any] = await response.json()
        assert response.status == 200, body
    return str(body["replacement_room"])


async def _open_room(person: Person, bot: str) -> str:
    """A room anyone may join (as a Space's room would be), the bot at power 100 in it."""
    response = await person.client.room_create(
        name="observatory",
        invite=[bot],
        preset=RoomPreset.public_chat,
        power_level_override={"users": {bot: 100}},  # the creator is above any level
    )
    assert isinstance(response, RoomCreateResponse), response
    await person.wait_for(lambda: response.room_id in person.client.rooms, "the new room")
    return str(response.room_id)


def _said(person: Person, room: str, bot: str, words: str) -> list[str]:
    bodies = [e.source.get("content", {}).get("body", "") for e in person.events[room]]
    senders = [e.sender for e in person.events[room]]
    return [b for b, s in zip(bodies, senders, strict=True) if s == bot and words in b]


async def test_an_upgraded_group_room_is_followed_with_its_sign_ups_and_meetings(
    people: People, make_bot: BotFactory
) -> None:
    coord, alice = await people("coord"), await people("alice")
    # The coalition's Space, with the bot in it: the group room's join rule lets the Space's
    # members in, and the replacement room keeps that rule, so the bot may join it.
    space = await coord.client.room_create(name="coalition", space=True)
    assert isinstance(space, RoomCreateResponse), space
    bot = make_bot(admins=(coord.mxid,), sections={"spaces": {"coalition": space.room_id}})
    await bot.start()
    await coord.wait_for(lambda: space.room_id in coord.client.rooms, "the Space")
    await coord.client.room_invite(space.room_id, bot.user_id)
    await coord.wait_joined(space.room_id, bot.user_id)
    lobby = await coord.create_room([bot.user_id, alice.mxid], name="lobby")
    await alice.client.join(lobby)
    await coord.wait_joined(lobby, bot.user_id)
    await coord.wait_joined(lobby, alice.mxid)
    old = await _open_room(coord, bot.user_id)
    await coord.wait_joined(old, bot.user_id)
    edited = await coord.ask(lobby, f"!group edit algo room {old}", bot.user_id)
    assert edited.source["content"]["body"].startswith("Updated"), edited.source
    due = (datetime.now(UTC) + timedelta(seconds=100)).replace(microsecond=0)
    plan = f'!meeting add title="Upgrade call" group=algo when="{due:%Y-%m-%d %H:%M:%S}"'
    planned = await coord.ask(lobby, plan + " tz=UTC reminders=1m", bot.user_id)
    assert planned.source["content"]["body"].startswith("Planned #1"), planned.source

    new = await _upgrade(coord, old, "10")
    await coord.wait_for(lambda: new in coord.client.rooms, "the new room")
    await coord.wait_joined(new, bot.user_id)

    card = await coord.ask(lobby, "!group algo", bot.user_id)
    assert f"Room: {new}" in card.source["content"]["body"]
    meeting = await coord.ask(lobby, "!meeting 1", bot.user_id)
    assert (
        new in meeting.source["content"]["body"] and old not in meeting.source["content"]["body"]
    )
    welcome = await alice.ask(lobby, "!join algo", bot.user_id)
    assert "invited you to the group's room" in welcome.source["content"]["body"]
    await alice.wait_for(lambda: new in alice.client.invited_rooms, "the invite to the new room")

    await coord.wait_for(
        lambda: _said(coord, new, bot.user_id, "Upgrade call"), "the reminder", timeout=120
    )
    assert _said(coord, old, bot.user_id, "Upgrade call") == []

"""A group room upgraded through the client API (`/upgrade`) is followed by the running bot:
it joins the new room within a sync, the coalition Space lists the new room and not the old,
`!join` (and a 👍 on the group's card) invites there, and the meeting announced in the old
room is announced in the new one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from nio import RoomCreateResponse, RoomGetStateEventResponse, RoomPreset, RoomSendResponse

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


async def _child(person: Person, space: str, room: str) -> dict[str, Any] | None:
    """The Space's child entry for a room, None when there is none (or it was emptied)."""
    response = await person.client.room_get_state_event(space, "m.space.child", room)
    if not isinstance(response, RoomGetStateEventResponse) or not response.content:
        return None
    return dict(response.content)


def _said(person: Person, room: str, bot: str, words: str) -> list[str]:
    bodies = [e.source.get("content", {}).get("body", "") for e in person.events[room]]
    senders = [e.sender for e in person.events[room]]
    return [b for b, s in zip(bodies, senders, strict=True) if s == bot and words in b]


async def test_an_upgraded_group_room_is_followed_with_its_sign_ups_and_meetings(
    people: People, make_bot: BotFactory, bot_account: tuple[str, str]
) -> None:
    coord, alice, bea = await people("coord"), await people("alice"), await people("bea")
    # The coalition's Space, with the bot in it: the group room's join rule lets the Space's
    # members in, and the replacement room keeps that rule, so the bot may join it.
    space = await coord.client.room_create(
        name="coalition", space=True, power_level_override={"users": {bot_account[0]: 100}}
    )
    assert isinstance(space, RoomCreateResponse), space
    bot = make_bot(admins=(coord.mxid,), sections={"spaces": {"coalition": space.room_id}})
    await bot.start()
    await coord.wait_for(lambda: space.room_id in coord.client.rooms, "the Space")
    await coord.client.room_invite(space.room_id, bot.user_id)
    await coord.wait_joined(space.room_id, bot.user_id)
    lobby = await coord.create_room([bot.user_id, alice.mxid, bea.mxid], name="lobby")
    await alice.client.join(lobby)
    await bea.client.join(lobby)
    for person in (bot.user_id, alice.mxid, bea.mxid):
        await coord.wait_joined(lobby, person)
    old = await _open_room(coord, bot.user_id)
    await coord.wait_joined(old, bot.user_id)
    edited = await coord.ask(lobby, f"!group edit algo room {old}", bot.user_id)
    assert edited.source["content"]["body"].startswith("Updated"), edited.source
    due = (datetime.now(UTC) + timedelta(seconds=100)).replace(microsecond=0)
    plan = f'!meeting add title="Upgrade call" group=algo when="{due:%Y-%m-%d %H:%M:%S}"'
    planned = await coord.ask(lobby, plan + " tz=UTC reminders=1m", bot.user_id)
    assert planned.source["content"]["body"].startswith("Planned #1"), planned.source

    new = await _upgrade(coord, old, "12")
    await coord.wait_for(lambda: new in coord.client.rooms, "the new room")
    await coord.wait_joined(new, bot.user_id)
    await bot.wait_log(f"followed to {new}")  # the links moved once the join held

    card = await coord.ask(lobby, "!group algo", bot.user_id)
    assert f"Room: {new}" in card.source["content"]["body"]
    meeting = await coord.ask(lobby, "!meeting 1", bot.user_id)
    assert (
        new in meeting.source["content"]["body"] and old not in meeting.source["content"]["body"]
    )
    # The Space lists the new room, and no longer the old one.
    assert await _child(coord, space.room_id, new) is not None
    assert await _child(coord, space.room_id, old) is None

    welcome = await alice.ask(lobby, "!join algo", bot.user_id)
    assert "invited you to the group's room" in welcome.source["content"]["body"]
    await alice.wait_for(lambda: new in alice.client.invited_rooms, "the invite to the new room")

    # 👍 on the group's card joins as `!join` does; taking it back leaves nothing.
    thumbs = {"m.relates_to": {"rel_type": "m.annotation", "event_id": card.event_id, "key": "👍"}}
    sent = await bea.client.room_send(lobby, "m.reaction", thumbs)
    assert isinstance(sent, RoomSendResponse), sent
    await bea.wait_for(lambda: new in bea.client.invited_rooms, "the invite after 👍", 60)
    await bea.client.room_redact(lobby, sent.event_id)
    mine = await bea.ask(lobby, "!mygroups", bot.user_id)
    assert "Algorithm Observatory" in mine.source["content"]["body"], mine.source

    await coord.wait_for(
        lambda: _said(coord, new, bot.user_id, "Upgrade call"), "the reminder", timeout=120
    )
    assert _said(coord, old, bot.user_id, "Upgrade call") == []

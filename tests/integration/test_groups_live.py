"""Joining a working group in a real room leads into the group's own room."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tests.integration.conftest import BotFactory
from tests.integration.people import Person

People = Callable[[str], Awaitable[Person]]


async def test_join_invites_into_the_group_room_and_tells_the_coordinator(
    people: People, make_bot: BotFactory
) -> None:
    coord, alice = await people("coord"), await people("alice")
    bot = make_bot(admins=(coord.mxid,))
    await bot.start()
    lobby = await coord.create_room([bot.user_id, alice.mxid], name="lobby")
    await alice.client.join(lobby)
    await coord.wait_joined(lobby, bot.user_id)
    await coord.wait_joined(lobby, alice.mxid)
    group_room = await coord.create_room([bot.user_id], name="observatory", encrypted=True)
    await coord.wait_joined(group_room, bot.user_id)

    for setup in (f"!group addcoord algo {coord.mxid}", f"!group edit algo room {group_room}"):
        answer = await coord.ask(lobby, setup, bot.user_id)
        assert answer.source["content"]["body"].startswith(("Updated", "@")), answer.source

    welcome = await alice.ask(lobby, "!join algo", bot.user_id)
    assert "Welcome to Algorithm Observatory!" in welcome.source["content"]["body"]
    assert "invited you to the group's room" in welcome.source["content"]["body"]
    await alice.wait_for(lambda: group_room in alice.client.invited_rooms, "the invite")

    def notices() -> list[str]:
        return [
            e.source["content"]["body"]
            for e in coord.events[group_room]
            if e.sender == bot.user_id and "body" in e.source.get("content", {})
        ]

    await coord.wait_for(notices, "the coordinators' notice")
    assert notices() == [f"{coord.mxid}: {alice.mxid} joined Algorithm Observatory."]
    [mention] = [
        e.source["content"]
        for e in coord.events[group_room]
        if e.sender == bot.user_id and "body" in e.source.get("content", {})
    ]
    assert mention["m.mentions"] == {"user_ids": [coord.mxid]}

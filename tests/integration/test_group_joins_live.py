"""Joining a group through its room on a real Synapse: a Space member joins an open group's
room directly and is signed up; in a group with a capacity, a knock is let in, the next
waits, and is let in when the first leaves the room (which leaves the group)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nio import RoomCreateResponse, RoomKnockResponse

from tests.integration.conftest import BotFactory
from tests.integration.people import Person

People = Callable[[str], Awaitable[Person]]


async def _room(coord: Person, bot: str, name: str) -> str:
    """A room of version 10 where the bot has power 100, the bot in it."""
    response = await coord.client.room_create(
        name=name,
        invite=[bot],
        room_version="10",
        power_level_override={"users": {coord.mxid: 100, bot: 100}},
    )
    assert isinstance(response, RoomCreateResponse), response
    await coord.wait_joined(response.room_id, bot)
    return str(response.room_id)


async def _space(coord: Person, member: Person) -> str:
    """A Space with `member` joined."""
    response = await coord.client.room_create(name="coalition", space=True, invite=[member.mxid])
    assert isinstance(response, RoomCreateResponse), response
    await member.wait_for(lambda: response.room_id in member.client.invited_rooms, "the Space")
    await member.client.join(response.room_id)
    await coord.wait_joined(response.room_id, member.mxid)
    return str(response.room_id)


def _invited(person: Person, room: str) -> Callable[[], bool]:
    return lambda: room in person.client.invited_rooms


def _rule(person: Person, room: str) -> str | None:
    found = person.client.rooms.get(room)
    return found.join_rule if found else None


def _notices(person: Person, room: str, bot: str) -> list[str]:
    return [
        e.source["content"]["body"]
        for e in person.events[room]
        if e.sender == bot and "body" in e.source.get("content", {})
    ]


async def test_joins_knocks_and_leaves_through_group_rooms(
    people: People, make_bot: BotFactory
) -> None:
    coord, alice, bob, carol = [await people(n) for n in ("coord", "alice", "bob", "carol")]
    server = coord.mxid.partition(":")[2]
    space = await _space(coord, alice)
    bot = make_bot(admins=(coord.mxid,), sections={"spaces": {"coalition": space}})
    await bot.start()
    everyone = (alice, bob, carol)
    lobby = await coord.create_room([bot.user_id, *(p.mxid for p in everyone)], name="lobby")
    for person in everyone:
        await person.wait_for(_invited(person, lobby), "the lobby")
        await person.client.join(lobby)
        await coord.wait_joined(lobby, person.mxid)
    await coord.wait_joined(lobby, bot.user_id)
    for group in ("algo", "review-boards"):
        await coord.ask(lobby, f"!group addcoord {group} {coord.mxid}", bot.user_id)

    # An open group: a member of the Space joins its room directly and is signed up.
    open_room = await _room(coord, bot.user_id, "observatory")
    await coord.client.room_put_state(space, "m.space.child", {"via": [server]}, open_room)
    await coord.ask(lobby, f"!group edit algo room {open_room}", bot.user_id)
    await coord.wait_for(lambda: _rule(coord, open_room) == "knock_restricted", "the rule")
    await alice.client.join(open_room)
    await coord.wait_joined(open_room, alice.mxid)
    await coord.wait_for(
        lambda: (
            f"{alice.mxid} joined Algorithm Observatory."
            in " ".join(_notices(coord, open_room, bot.user_id))
        ),
        "the sign-up",
    )
    mine = await alice.ask(lobby, "!mygroups", bot.user_id)
    assert "Algorithm Observatory" in mine.source["content"]["body"]

    # A group of one: the first knock is let in, the second waits until the first leaves.
    small = await _room(coord, bot.user_id, "review boards")
    await coord.ask(lobby, "!group edit review-boards capacity 1", bot.user_id)
    await coord.ask(lobby, f"!group edit review-boards room {small}", bot.user_id)
    await coord.wait_for(lambda: _rule(coord, small) == "knock", "the knock rule")
    assert isinstance(await bob.client.room_knock(small), RoomKnockResponse)
    await bob.wait_for(lambda: small in bob.client.invited_rooms, "bob's invite")
    await bob.client.join(small)
    await coord.wait_joined(small, bob.mxid)
    assert isinstance(await carol.client.room_knock(small), RoomKnockResponse)
    await coord.wait_for(
        lambda: any("joined the waitlist" in n for n in _notices(coord, small, bot.user_id)),
        "carol on the waitlist",
    )
    assert small not in carol.client.invited_rooms
    await bob.client.room_leave(small)
    await carol.wait_for(lambda: small in carol.client.invited_rooms, "carol's invite")
    left = f"{bob.mxid} left the room of Technology Review Boards"
    await coord.wait_for(
        lambda: any(left in n for n in _notices(coord, small, bot.user_id)), "bob's leaving"
    )
    bobs = await bob.ask(lobby, "!mygroups", bot.user_id)
    assert "not in any working group" in bobs.source["content"]["body"]
    carols = await carol.ask(lobby, "!mygroups", bot.user_id)
    assert "Technology Review Boards" in carols.source["content"]["body"]
    assert "waitlist" not in carols.source["content"]["body"]

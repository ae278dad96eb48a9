"""Organisers' reach and the meeting guardrails, judged by a real homeserver's power levels."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from tests.integration.conftest import BotFactory
from tests.integration.people import BotProcess, Person

People = Callable[[str], Awaitable[Person]]


def _asker(bot: BotProcess) -> Callable[[Person, str, str], Awaitable[str]]:
    """What the bot answers a person who types `text` in `room`."""

    async def says(person: Person, room: str, text: str) -> str:
        event = await person.ask(room, text, bot.user_id)
        return str(event.source["content"]["body"])

    return says


def _in_three_days() -> str:
    """A meeting time three days ahead, as `when=` takes it."""
    return (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d 18:00")


async def test_a_moderator_of_one_room_cannot_reach_meetings_of_another(
    people: People, make_bot: BotFactory
) -> None:
    admin, moderator = await people("admin"), await people("moderator")
    bot = make_bot(admins=(admin.mxid,))
    await bot.start()
    mine = await admin.create_room([bot.user_id, moderator.mxid], power={moderator.mxid: 50})
    theirs = await admin.create_room([bot.user_id])
    await moderator.client.join(mine)
    for room in (mine, theirs):
        await admin.wait_joined(room, bot.user_id)
    await moderator.wait_joined(mine, moderator.mxid)

    says = _asker(bot)
    when = _in_three_days()
    planned = await says(admin, theirs, f'!meeting add title=Theirs when="{when}" tz=UTC')
    assert planned.startswith("Planned #1"), planned
    refused = await says(moderator, mine, "!meeting cancel 1")
    assert refused.startswith("Sorry"), refused
    assert "Theirs" in await says(moderator, mine, "!meeting 1")  # still planned
    into_theirs = f'!meeting add title=Mine when="{when}" tz=UTC rooms={theirs}'
    assert (await says(moderator, mine, into_theirs)).startswith("Sorry")
    own = await says(moderator, mine, f'!meeting add title=Mine when="{when}" tz=UTC')
    assert own.startswith("Planned #2"), own

    for hostile in (
        f'!meeting add title=x when="{when}" tz=UTC repeat="FREQ=DAILY;INTERVAL=0"',
        f'!meeting add title=x when="{when}" tz=UTC repeat="FREQ=SECONDLY"',
        f'!meeting add title=x when="{when}" tz=UTC '
        'link="https://a.example/x [Official login](https://evil.example/p) @room"',
        '!meeting add title=x when="9999-12-31 18:00" tz=UTC',
        f'!meeting add title="RTL \u202eexe.png" when="{when}" tz=UTC',
    ):
        answer = await says(moderator, mine, hostile)
        assert not answer.startswith("Planned") and "went wrong" not in answer, answer
    listed = await says(moderator, mine, "!meetings")
    assert "Mine" in listed and "Theirs" in listed and "exe.png" not in listed


async def test_a_moderator_is_known_by_their_rooms_and_told_nothing_of_others(
    people: People, make_bot: BotFactory
) -> None:
    admin, moderator = await people("admin"), await people("moderator")
    bot = make_bot(admins=(admin.mxid,))
    await bot.start()
    mine = await admin.create_room([bot.user_id, moderator.mxid], power={moderator.mxid: 50})
    lobby = await admin.create_room([bot.user_id, moderator.mxid], name="lobby")
    for room in (mine, lobby):
        await moderator.client.join(room)
        await admin.wait_joined(room, bot.user_id)
        await moderator.wait_joined(room, moderator.mxid)

    says = _asker(bot)
    when = _in_three_days()
    for title, room in (("Lobby", lobby), ("Mine", mine)):
        planned = await says(admin, room, f'!meeting add title={title} when="{when}" tz=UTC')
        assert planned.startswith("Planned"), planned
    # Typed where they are no moderator: the homeserver's state of their other rooms counts,
    # and a meeting that is not theirs answers as one that does not exist.
    edited = await says(moderator, lobby, "!meeting edit 2 title=Ours")
    assert edited == "Updated #2 Ours.", edited
    refused = await says(moderator, lobby, "!meeting cancel 1")
    assert refused.startswith("Sorry, only"), refused
    assert await says(moderator, lobby, "!meeting cancel 99") == refused

"""Moderators and coordinators reach only their own rooms and groups, never past them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import RoomId, UserId
from natm_bot.testing.harness import ChatHarness, make_config
from tests.conftest import ADMIN

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
MOD = "@mod:localhost"
COORD = "@coord:localhost"
ROOM_A = "!a:localhost"
ROOM_B = "!b:localhost"
GROUP_ROOM = "!algo-room:localhost"
WHEN = 'when="2027-04-01 10:00" tz=UTC'


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    """MOD has power level 50 in room A only; COORD coordinates the Algorithm Observatory,
    whose room is GROUP_ROOM. Meetings: #1 in room B, #2 in rooms A and B, #3 in room A,
    #4 of the observatory in its room."""
    async with ChatHarness(make_config(tmp_path, admins=[ADMIN]), ManualClock(START)) as bot:
        for room in (ROOM_A, ROOM_B, GROUP_ROOM):
            bot.transport.set_power_level(RoomId(room), UserId("@natm-bot:localhost"), 100)
        bot.transport.set_power_level(RoomId(ROOM_A), UserId(MOD), 50)
        algo = await bot.app.groups.resolve("algo")
        await bot.app.groups.update(replace(algo, coordinators=(COORD,), room=GROUP_ROOM))
        for fields in (
            f"title=B rooms={ROOM_B} repeat=weekly",
            f"title=AB rooms={ROOM_A},{ROOM_B}",
            f"title=A rooms={ROOM_A}",
            "title=Observatory group=algo",
        ):
            planned = await bot.ask(f"!meeting add {fields} {WHEN}", sender=ADMIN)
            assert planned.startswith("Planned"), planned
        yield bot


async def _meeting(bot: ChatHarness, number: int) -> tuple[str, tuple[str, ...], str | None]:
    found = await bot.app.meetings.store.get(number)
    assert found is not None
    return found.title, found.rooms, found.group_id


async def _count(bot: ChatHarness) -> int:
    return len(await bot.app.meetings.store.active())


async def test_a_moderator_of_room_a_cannot_edit_or_cancel_a_meeting_announced_in_room_b(
    bot: ChatHarness,
) -> None:
    before = await bot.app.meetings.store.get(1)
    for command in (
        "!meeting edit 1 title=Hijacked",
        "!meeting edit 1 link=https://evil.example/p",
        "!meeting edit 1 when=garbage",
        "!meeting cancel 1 2027-04-08",
        "!meeting cancel 1 not-a-date",
        "!meeting cancel 1",
    ):
        body = await bot.ask(command, sender=MOD, room=ROOM_A)
        assert body.startswith("Sorry, only"), (command, body)
        # A meeting that is not theirs answers as one that does not exist: nothing told apart.
        assert body == await bot.ask(command.replace(" 1", " 99"), sender=MOD, room=ROOM_A)
        assert ROOM_B not in body
    assert await bot.app.meetings.store.get(1) == before


async def test_a_moderator_of_one_of_its_rooms_is_not_enough(bot: ChatHarness) -> None:
    assert (await bot.ask("!meeting edit 2 title=x", sender=MOD, room=ROOM_A)).startswith("Sorry")
    assert (await bot.ask("!meeting cancel 2", sender=MOD, room=ROOM_A)).startswith("Sorry")
    assert await _meeting(bot, 2) == ("AB", (ROOM_A, ROOM_B), None)


async def test_a_moderator_plans_and_edits_only_into_rooms_they_moderate(
    bot: ChatHarness,
) -> None:
    for fields in (f"rooms={ROOM_B}", f"rooms={ROOM_A},{ROOM_B}", "group=algo"):
        body = await bot.ask(f"!meeting add title=x {fields} {WHEN}", sender=MOD, room=ROOM_A)
        assert body.startswith("Sorry"), (fields, body)
    assert await _count(bot) == 4
    moved = await bot.ask(f"!meeting edit 3 rooms={ROOM_B}", sender=MOD, room=ROOM_A)
    assert moved.startswith("Sorry") and ROOM_B in moved
    into_group = await bot.ask("!meeting edit 3 group=algo", sender=MOD, room=ROOM_A)
    assert into_group.startswith("Sorry")
    assert await _meeting(bot, 3) == ("A", (ROOM_A,), None)
    # What is theirs stays theirs: room A, typed from anywhere.
    assert (await bot.ask(f"!meeting add title=ok {WHEN}", sender=MOD, room=ROOM_A)).startswith(
        "Planned #5"
    )
    assert await bot.ask("!meeting edit 3 title=Mine", sender=MOD) == "Updated #3 Mine."


async def test_a_coordinator_cannot_move_a_meeting_into_another_group_or_room(
    bot: ChatHarness,
) -> None:
    for command in (
        "!meeting edit 4 group=edtech",
        f"!meeting edit 4 rooms={ROOM_B}",
        f"!meeting add title=x group=algo rooms={ROOM_B} {WHEN}",
        f"!meeting add title=x group=edtech {WHEN}",
        f"!meeting add title=x {WHEN}",
        "!meeting edit 3 title=x",
        "!meeting cancel 1",
    ):
        body = await bot.ask(command, sender=COORD, room=GROUP_ROOM)
        assert body.startswith("Sorry"), (command, body)
    assert await _meeting(bot, 4) == ("Observatory", (GROUP_ROOM,), "algorithm-observatory")
    assert await _count(bot) == 4
    assert await bot.ask("!meeting edit 4 title=Ours", sender=COORD) == "Updated #4 Ours."


async def test_a_coordinator_sets_the_group_room_only_to_a_room_they_moderate(
    bot: ChatHarness,
) -> None:
    refused = await bot.ask(f"!group edit algo room {ROOM_B}", sender=COORD)
    assert refused.startswith("Sorry") and ROOM_B in refused
    assert (await bot.app.groups.resolve("algo")).room == GROUP_ROOM
    bot.transport.set_power_level(RoomId(ROOM_B), UserId(COORD), 50)
    assert "Updated the room" in await bot.ask(f"!group edit algo room {ROOM_B}", sender=COORD)
    assert "Updated the room" in await bot.ask("!group edit algo room none", sender=COORD)


async def test_a_room_whose_power_levels_are_unknown_is_nobodys(tmp_path: Path) -> None:
    # Even with every known member counted as a moderator (level 0 is enough), a room the bot
    # has no state for is closed.
    config = make_config(tmp_path, admins=[ADMIN], moderator_power_level=0)
    async with ChatHarness(config, ManualClock(START)) as bot:
        bot.transport.set_power_level(RoomId(ROOM_A), UserId("@natm-bot:localhost"), 100)
        bot.transport.without_state(RoomId(ROOM_B))
        unknown = await bot.ask(f"!meeting add title=x rooms={ROOM_B} {WHEN}", sender=MOD)
        assert unknown.startswith("Sorry") and ROOM_B in unknown
        known = await bot.ask(f"!meeting add title=x rooms={ROOM_A} {WHEN}", sender=MOD)
        assert known.startswith("Planned #1")

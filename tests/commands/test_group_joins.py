"""Joining a group through its room: a knock is a `!join` (let in by an invite within the
capacity, else waitlisted), a direct join a sign-up, leaving the room leaves the group; and
the room's join rule follows the group."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natm_bot.config.settings import GroupsSection, SpacesSection
from natm_bot.core.messages import UserId
from natm_bot.features.groups.rules import JoinRules
from natm_bot.storage.joins import JoinRuleNotes
from natm_bot.testing.harness import ChatHarness, make_config
from tests.conftest import ADMIN, ALICE, BOB, examples

COORD = "@coord:localhost"
CAROL = "@carol:localhost"
ROOM = "!algo-room:localhost"
SPACE = "!coalition:localhost"


async def _rows(bot: ChatHarness) -> list[tuple[str, int]]:
    rows = await bot.app.db.fetchall("SELECT user_id, waiting FROM signups ORDER BY id")
    return [(str(r[0]), int(r[1])) for r in rows]


def _version(bot: ChatHarness, version: str, room: str = ROOM) -> None:
    bot.transport.state[(room, "m.room.create", "")] = {"room_version": version}


async def _group_room(bot: ChatHarness, capacity: int | None) -> None:
    _version(bot, "10")
    algo = await bot.app.groups.resolve("algorithm-observatory")
    await bot.app.groups.update(replace(algo, coordinators=(COORD,), room=ROOM, capacity=capacity))


@pytest.fixture
async def spaced(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    """A bot whose config names the coalition Space."""
    config = make_config(tmp_path, admins=[ADMIN])
    config = config.model_copy(update={"spaces": SpacesSection(coalition=SPACE)})
    async with ChatHarness(config) as harness:
        yield harness


async def test_a_knock_within_capacity_is_invited_and_signed_up(spaced: ChatHarness) -> None:
    await _group_room(spaced, capacity=2)
    seen = await spaced.member(ALICE, "knock", room=ROOM, previous="leave")
    assert (ROOM, ALICE) in spaced.transport.invites
    assert await _rows(spaced) == [(ALICE, 0)]
    assert [s.body for s in seen] == [
        "@coord:localhost: @alice:localhost joined Algorithm Observatory."
    ]


async def test_a_knock_beyond_capacity_waits_and_is_invited_when_a_place_frees(
    spaced: ChatHarness,
) -> None:
    await _group_room(spaced, capacity=1)
    await spaced.member(ALICE, "knock", room=ROOM)
    seen = await spaced.member(BOB, "knock", room=ROOM)
    assert (ROOM, BOB) not in spaced.transport.invites
    dm = spaced.transport.direct_rooms[UserId(BOB)]
    told = [s.body for s in seen if s.room_id == dm]
    assert told and "is full, so you are on its waitlist, number 1" in told[0]
    assert "!leave algorithm-observatory" in told[0]
    await spaced.member(ALICE, "join", room=ROOM, previous="invite")
    assert await _rows(spaced) == [(ALICE, 0), (BOB, 1)]
    seen = await spaced.member(ALICE, "leave", room=ROOM, previous="join")
    assert (ROOM, BOB) in spaced.transport.invites
    assert await _rows(spaced) == [(BOB, 0)]
    assert any("a place freed up" in s.body for s in seen)
    assert any("@alice:localhost left the room of Algorithm Observatory" in s.body for s in seen)


async def test_a_direct_join_signs_up_once(spaced: ChatHarness) -> None:
    await _group_room(spaced, capacity=None)
    first = await spaced.member(CAROL, "join", room=ROOM, previous="leave")
    again = await spaced.member(CAROL, "join", room=ROOM, previous="join")  # a new name
    twice = await spaced.member(CAROL, "join", room=ROOM, previous="leave")
    assert await _rows(spaced) == [(CAROL, 0)]
    assert len(first) == 1 and again == [] and twice == []
    assert "Algorithm Observatory" in await spaced.ask("!mygroups", sender=CAROL)


async def test_other_rooms_and_the_bot_itself_change_nothing(spaced: ChatHarness) -> None:
    await _group_room(spaced, capacity=None)
    assert await spaced.member(CAROL, "join", room="!elsewhere:localhost") == []
    assert await _rows(spaced) == []


async def test_leaving_the_room_keeps_the_group_when_configured(tmp_path: Path) -> None:
    config = make_config(tmp_path, admins=[ADMIN])
    config = config.model_copy(update={"groups": GroupsSection(leave_with_room=False)})
    async with ChatHarness(config) as bot:
        await _group_room(bot, capacity=None)
        await bot.send("!join algo", sender=ALICE)
        assert await bot.member(ALICE, "leave", room=ROOM, previous="join") == []
        assert await _rows(bot) == [(ALICE, 0)]


async def test_leave_kicks_nobody_and_says_how_to_leave_the_room(spaced: ChatHarness) -> None:
    await _group_room(spaced, capacity=None)
    await spaced.send("!join algo", sender=ALICE)
    body = await spaced.ask("!leave algo", sender=ALICE)
    assert "You have left Algorithm Observatory." in body
    assert f"leave the room {ROOM} in your client" in body
    assert await _rows(spaced) == []


async def test_join_rules_follow_capacity_and_are_written_only_when_different(
    spaced: ChatHarness,
) -> None:
    rules = (ROOM, "m.room.join_rules", "")
    await _group_room(spaced, capacity=None)
    allow = [{"type": "m.room_membership", "room_id": SPACE}]
    assert spaced.transport.state[rules] == {"join_rule": "knock_restricted", "allow": allow}
    algo = await spaced.app.groups.resolve("algo")
    await spaced.app.groups.update(replace(algo, capacity=3))
    assert spaced.transport.state[rules] == {"join_rule": "knock"}
    writes = len(spaced.transport.state_writes)
    await spaced.app.rooms.settle_join_rules()  # at start: nothing differs, nothing written
    assert len(spaced.transport.state_writes) == writes


async def test_without_a_space_an_open_group_knocks(bot: ChatHarness) -> None:
    await _group_room(bot, capacity=None)
    assert bot.transport.state[(ROOM, "m.room.join_rules", "")] == {"join_rule": "knock"}


async def test_an_old_room_keeps_its_rule_and_is_logged_once(
    spaced: ChatHarness, caplog: pytest.LogCaptureFixture
) -> None:
    algo = await spaced.app.groups.resolve("algorithm-observatory")
    _version(spaced, "6")
    with caplog.at_level(logging.WARNING):
        await spaced.app.groups.update(replace(algo, room=ROOM))
        await spaced.app.rooms.settle_join_rules()
        # as after a restart: a bot built anew over the same database
        notes = JoinRuleNotes(spaced.app.db, spaced.clock)
        again = JoinRules(
            spaced.transport, spaced.transport.room_id, spaced.app.rooms.rules.space, notes.first
        )
        assert await again.apply(await spaced.app.groups.resolve("algo")) == "old-room"
    assert [w for w in spaced.transport.state_writes if w[1] == "m.room.join_rules"] == []
    logged = [r for r in caplog.records if "room version 6" in r.getMessage()]
    assert len(logged) == 1
    assert await notes.rooms() == {ROOM: "6"}


PEOPLE = [ALICE, BOB, CAROL, "@dan:localhost"]
CHANGE = st.tuples(
    st.sampled_from(PEOPLE),
    st.sampled_from(["knock", "join", "leave", "ban", "invite"]),
    st.sampled_from([None, "join", "leave", "invite", "knock"]),
)


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(capacity=st.integers(1, 3), changes=st.lists(CHANGE, max_size=12))
async def test_no_sequence_of_memberships_overfills_a_group(
    bot: ChatHarness, capacity: int, changes: list[tuple[str, str, str | None]]
) -> None:
    await bot.reset()
    await _group_room(bot, capacity=capacity)
    for user, membership, previous in changes:
        await bot.member(user, membership, room=ROOM, previous=previous)
    members = [user for user, waiting in await _rows(bot) if not waiting]
    assert len(members) <= capacity

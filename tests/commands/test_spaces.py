"""The coalition Space: group rooms made by the bot, the Space's children kept in line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natm_bot.config.content import GroupSeed
from natm_bot.config.http import HttpSection
from natm_bot.config.settings import SpacesSection
from natm_bot.core.messages import RoomId
from natm_bot.storage.migrations import MIGRATIONS
from natm_bot.testing.harness import ChatHarness, make_config
from tests.conftest import ADMIN, ALICE

SPACE = RoomId("!coalition:localhost")
CHILD = "m.space.child"
PARENT = "m.space.parent"
PERSONS_ROOM = "!persons-room:elsewhere.org"


@pytest.fixture
async def space_bot(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    """A bot keeping the coalition Space, with one admin; the Space's address resolves."""
    config = make_config(tmp_path, admins=[ADMIN])
    config = config.model_copy(update={"spaces": SpacesSection(coalition="#natm:localhost")})
    async with ChatHarness(config) as harness:
        harness.transport.aliases[RoomId("#natm:localhost")] = SPACE
        harness.transport.join(SPACE)
        harness.transport.set_power_level(SPACE, harness.transport.bot_user, 100)
        yield harness


async def _research(bot: ChatHarness) -> RoomId:
    body = await bot.ask('!group create research name="Research" room=new', sender=ADMIN)
    assert "Created **Research** (`research`)" in body or "Created Research (research)" in body
    group = await bot.app.groups.resolve("research")
    assert group.room is not None
    return RoomId(group.room)


def _state(bot: ChatHarness, room: str, kind: str, key: str = "") -> object:
    return bot.transport.state.get((room, kind, key))


async def test_room_new_makes_an_encrypted_room_in_the_space(space_bot: ChatHarness) -> None:
    room = await _research(space_bot)
    assert room.startswith("!made-")
    assert _state(space_bot, room, "m.room.encryption") == {"algorithm": "m.megolm.v1.aes-sha2"}
    assert _state(space_bot, room, "m.room.history_visibility") == {"history_visibility": "shared"}
    assert _state(space_bot, room, "m.room.name") == {"name": "Research"}
    assert _state(space_bot, room, "m.room.topic") == {"topic": "Research"}
    # Made invite-only, the room then follows its open group: the Space's members join.
    assert _state(space_bot, room, "m.room.join_rules") == {
        "join_rule": "knock_restricted",
        "allow": [{"type": "m.room_membership", "room_id": SPACE}],
    }
    users = _state(space_bot, room, "m.room.power_levels")
    assert users == {"users": {ADMIN: 100, space_bot.transport.bot_user: 100}}
    assert _state(space_bot, SPACE, CHILD, room) == {"via": ["localhost"], "suggested": True}
    assert _state(space_bot, room, PARENT, SPACE) == {"via": ["localhost"], "canonical": True}


async def test_coordinators_get_fifty_in_a_room_made_later(space_bot: ChatHarness) -> None:
    room = await _research(space_bot)
    await space_bot.ask("!group addcoord research @coord:localhost", sender=ADMIN)
    body = await space_bot.ask(
        '!group create outreach name="Outreach" description="Talking to people" room=new',
        sender=ADMIN,
    )
    assert "I made its room" in body
    outreach = await space_bot.app.groups.resolve("outreach")
    assert outreach.room and outreach.room != room
    assert _state(space_bot, outreach.room, "m.room.topic") == {"topic": "Talking to people"}


async def test_the_keeper_writes_nothing_the_second_time(space_bot: ChatHarness) -> None:
    await _research(space_bot)
    before = len(space_bot.transport.state_writes)
    outcome = await space_bot.app.rooms.keeper.sweep()
    assert outcome.writes == 0 and outcome.added == [] and outcome.removed == []
    assert len(space_bot.transport.state_writes) == before


async def test_hand_edits_the_bots_child_back_a_persons_child_kept(
    space_bot: ChatHarness,
) -> None:
    room = await _research(space_bot)
    space_bot.transport.state[(SPACE, CHILD, room)] = {}
    space_bot.transport.state[(SPACE, CHILD, PERSONS_ROOM)] = {"via": ["elsewhere.org"]}
    outcome = await space_bot.app.rooms.keeper.sweep()
    assert outcome.added == [room]
    assert _state(space_bot, SPACE, CHILD, room) == {"via": ["localhost"], "suggested": True}
    assert _state(space_bot, SPACE, CHILD, PERSONS_ROOM) == {"via": ["elsewhere.org"]}


async def test_a_closed_group_leaves_the_space_and_the_bot_leaves_its_room(
    space_bot: ChatHarness,
) -> None:
    room = await _research(space_bot)
    space_bot.transport.state[(SPACE, CHILD, PERSONS_ROOM)] = {"via": ["elsewhere.org"]}
    body = await space_bot.ask("!group close research", sender=ADMIN)
    assert "closed to new members" in body and "I left its room" in body
    assert _state(space_bot, SPACE, CHILD, room) == {}
    assert _state(space_bot, room, PARENT, SPACE) == {}
    assert room in space_bot.transport.left
    assert (await space_bot.app.groups.resolve("research")).room is None
    assert _state(space_bot, SPACE, CHILD, PERSONS_ROOM) == {"via": ["elsewhere.org"]}


async def test_archive_keeps_the_room_invite_only_with_a_last_notice(
    space_bot: ChatHarness,
) -> None:
    room = await _research(space_bot)
    space_bot.transport.state[(room, "m.room.join_rules", "")] = {"join_rule": "public"}
    seen = await space_bot.send("!group close research archive=yes", sender=ADMIN)
    assert any(s.room_id == room and "stays as an archive" in s.body for s in seen)
    assert _state(space_bot, room, "m.room.join_rules") == {"join_rule": "invite"}
    assert room not in space_bot.transport.left
    assert _state(space_bot, SPACE, CHILD, room) == {}


async def test_a_linked_room_is_not_left_on_close(space_bot: ChatHarness) -> None:
    space_bot.transport.join(RoomId("!old:localhost"))
    body = await space_bot.ask('!group create web name="Web" room=!old:localhost', sender=ADMIN)
    assert "Its room is !old:localhost" in body
    assert _state(space_bot, SPACE, CHILD, "!old:localhost") == {
        "via": ["localhost"], "suggested": True,
    }  # fmt: skip
    body = await space_bot.ask("!group close web", sender=ADMIN)
    assert "I left" not in body and space_bot.transport.left == []


async def test_the_old_form_still_creates(space_bot: ChatHarness) -> None:
    body = await space_bot.ask('!group create "Community Networks" Local networks', sender=ADMIN)
    assert "community-networks" in body
    assert space_bot.transport.made == []


async def test_bad_input_changes_nothing(space_bot: ChatHarness) -> None:
    for typed in (
        '!group create research name="Research" room=nowhere',
        '!group create Research! name="Research" room=new',
        "!group create research room=new",
        '!group create research name="Research" colour=blue',
    ):
        body = await space_bot.ask(typed, sender=ADMIN)
        assert "Created" not in body, typed
    assert space_bot.transport.made == []
    assert "research" not in {g.id for g in await space_bot.app.groups.all()}
    body = await space_bot.ask("!group close algo archive=maybe", sender=ADMIN)
    assert "archive=yes" in body
    assert (await space_bot.app.groups.resolve("algo")).open


async def test_only_admins_create(space_bot: ChatHarness) -> None:
    await space_bot.ask('!group create research name="Research" room=new', sender=ALICE)
    assert space_bot.transport.made == []


def test_the_schema_step_is_there() -> None:
    assert any("space_children" in step for s in MIGRATIONS for step in s)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(typed=st.text(max_size=60))
async def test_any_typed_id_and_fields_never_crash(space_bot: ChatHarness, typed: str) -> None:
    body = await space_bot.ask(f"!group create {typed} room=new", sender=ADMIN)
    assert body


async def test_public_rooms_are_children_not_suggested(tmp_path: Path) -> None:
    config = make_config(tmp_path, admins=[ADMIN])
    http = HttpSection(public_rooms=["#public:localhost", "#gone:localhost"])
    config = config.model_copy(update={"spaces": SpacesSection(coalition=SPACE), "http": http})
    async with ChatHarness(config) as bot:
        bot.transport.aliases[RoomId("#public:localhost")] = RoomId("!public:localhost")
        bot.transport.join(SPACE)
        outcome = await bot.app.rooms.keeper.sweep()
        assert outcome.added == ["!public:localhost"]  # the address that does not resolve: skipped
        assert _state(bot, SPACE, CHILD, "!public:localhost") == {
            "via": ["localhost"], "suggested": False,
        }  # fmt: skip


async def test_a_room_id_without_a_server_takes_the_bots(space_bot: ChatHarness) -> None:
    await space_bot.ask('!group create v12 name="Twelve" room=!abcdef', sender=ADMIN)
    assert _state(space_bot, SPACE, CHILD, "!abcdef") == {"via": ["localhost"], "suggested": True}
    assert _state(space_bot, "!abcdef", PARENT, SPACE) == {"via": ["localhost"], "canonical": True}


# Every form `archive=` takes, Portuguese "no" with and without its accent included.
YES = ("yes", "y", "true", "1", "sí", "si", "oui", "sim")
YES_NO = (*YES, "no", "n", "false", "0", "non", "não", "nao")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.one_of(
        st.sampled_from(YES_NO).map(str.upper),
        st.sampled_from(YES_NO),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 =-", max_size=12),
    )
)
async def test_any_archive_value_is_yes_no_or_refused(space_bot: ChatHarness, value: str) -> None:
    body = await space_bot.ask(f'!group close algo archive="{value}"', sender=ADMIN)
    algo = await space_bot.app.groups.resolve("algo")
    accepted = value.strip().lower() in YES_NO
    assert algo.open != accepted, (value, body)
    assert ("closed to new members" in body) == accepted, body
    await space_bot.app.groups.update(replace(algo, open=True))


async def test_a_group_imported_with_a_room_is_listed(space_bot: ChatHarness) -> None:
    seed = GroupSeed(
        id="archives", name="Archives", description={"en": "Old things"}, room="!arch:localhost"
    )
    await space_bot.app.groups.import_seeds([seed])
    assert _state(space_bot, SPACE, CHILD, "!arch:localhost") == {
        "via": ["localhost"], "suggested": True,
    }  # fmt: skip

"""Working groups in chat: joining, leaving, the waitlist, and what coordinators may do."""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import replace
from pathlib import Path

import pytest

from natm_bot.testing.harness import LOBBY, ChatHarness, make_config
from tests.conftest import ADMIN, ALICE, BOB

COORD = "@coord:localhost"
CAROL = "@carol:localhost"
GROUP_ROOM = "!algo-room:localhost"


async def _rows(bot: ChatHarness) -> list[tuple[str, str, int]]:
    rows = await bot.app.db.fetchall("SELECT group_id, user_id, waiting FROM signups ORDER BY id")
    return [tuple(r) for r in rows]


@pytest.fixture
async def groups_bot(bot: ChatHarness) -> ChatHarness:
    """The bundled groups, with a coordinator and a room for the Algorithm Observatory."""
    algo = await bot.app.groups.resolve("algorithm-observatory")
    await bot.app.groups.update(replace(algo, coordinators=(COORD,), room=GROUP_ROOM))
    return bot


async def test_groups_lists_each_with_description_and_count(groups_bot: ChatHarness) -> None:
    await groups_bot.send("!join algo", sender=ALICE)
    body = await groups_bot.ask("!groups")
    assert "Algorithm Observatory (algorithm-observatory): Building a citizen-science" in body
    assert "(1 member)" in body and "(0 members)" in body


async def test_group_details_and_name_matching(groups_bot: ChatHarness) -> None:
    for typed in ("algo", "ALGORITHM observatory", "observatorio de algoritmos", "algorithm-obs"):
        body = await groups_bot.ask(f"!group {typed}")
        assert body.startswith("Algorithm Observatory (algorithm-observatory)"), typed
        assert "Coordinators: @coord:localhost" in body
        assert f"Room: {GROUP_ROOM}" in body
        assert "Join: !join algorithm-observatory" in body


async def test_unknown_and_ambiguous_names_list_candidates(groups_bot: ChatHarness) -> None:
    unknown = await groups_bot.ask("!join basket weaving")
    assert "There is no group called “basket weaving”" in unknown
    assert "Algorithm Observatory (algorithm-observatory)" in unknown
    ambiguous = await groups_bot.ask("!join non")
    assert "could be several groups" in ambiguous
    assert "Non-Aligned Ed Tech" in ambiguous and "Non-Aligned Alternative Platforms" in ambiguous
    assert "Technology Review Boards" not in ambiguous
    assert await _rows(groups_bot) == []


async def test_join_confirms_invites_and_tells_coordinators(groups_bot: ChatHarness) -> None:
    replies = await groups_bot.send("!join algo", sender=ALICE)
    assert replies[0].room_id == LOBBY
    assert replies[0].body.startswith("Welcome to Algorithm Observatory!")
    assert f"invited you to the group's room, {GROUP_ROOM}" in replies[0].body
    assert groups_bot.transport.invites == [(GROUP_ROOM, ALICE)]
    [notice] = [r for r in replies if r.room_id == GROUP_ROOM]
    assert notice.body == f"{COORD}: {ALICE} joined Algorithm Observatory."
    sent = [o for o in groups_bot.transport.sent if o.room_id == GROUP_ROOM]
    assert sent[0].reply.mentions == (COORD,)
    assert await _rows(groups_bot) == [("algorithm-observatory", ALICE, 0)]


async def test_coordinators_by_dm_when_configured(tmp_path: Path) -> None:
    config = make_config(tmp_path, admins=[ADMIN])
    config = config.model_copy(
        update={"groups": config.groups.model_copy(update={"notify_coordinators": "dm"})}
    )
    async with ChatHarness(config) as bot:
        algo = await bot.app.groups.resolve("algo")
        await bot.app.groups.update(replace(algo, coordinators=(COORD,), room=GROUP_ROOM))
        replies = await bot.send("!join algo", sender=ALICE)
        dm = await bot.transport.direct_room(COORD)  # type: ignore[arg-type]
        assert [r.body for r in replies if r.room_id == dm] == [
            f"{ALICE} joined Algorithm Observatory."
        ]


async def test_joining_twice_keeps_one_row(groups_bot: ChatHarness) -> None:
    await groups_bot.send("!join algo", sender=ALICE)
    again = await groups_bot.send("!join Algorithm Observatory", sender=ALICE)
    assert [r.body for r in again] == ["You are already in Algorithm Observatory."]
    assert await _rows(groups_bot) == [("algorithm-observatory", ALICE, 0)]


async def test_leave_and_leaving_a_group_you_are_not_in(groups_bot: ChatHarness) -> None:
    assert "not in Algorithm Observatory" in await groups_bot.ask("!leave algo", sender=ALICE)
    await groups_bot.send("!join algo", sender=ALICE)
    assert await groups_bot.ask("!leave algo", sender=ALICE) == (
        "You have left Algorithm Observatory. To leave its room too, leave the room"
        f" {GROUP_ROOM} in your client."
    )
    assert await _rows(groups_bot) == []


async def test_closed_group_refuses_then_reopens(groups_bot: ChatHarness) -> None:
    assert "closed to new members" in await groups_bot.ask("!group close algo", sender=COORD)
    assert "closed to new members for now" in await groups_bot.ask("!join algo", sender=ALICE)
    assert await _rows(groups_bot) == []
    await groups_bot.send("!group reopen algo", sender=COORD)
    assert "Welcome" in (await groups_bot.send("!join algo", sender=ALICE))[0].body


async def test_capacity_waitlist_and_promotion(groups_bot: ChatHarness) -> None:
    await groups_bot.send("!group edit algo capacity 1", sender=COORD)
    await groups_bot.send("!join algo", sender=ALICE)
    bob = await groups_bot.send("!join algo", sender=BOB)
    assert "on its waitlist, number 1" in bob[0].body
    carol = await groups_bot.send("!join algo", sender=CAROL)
    assert "number 2" in carol[0].body
    again = await groups_bot.ask("!join algo", sender=CAROL)
    assert again == "You are already on the waitlist of Algorithm Observatory, number 2."
    mine = await groups_bot.ask("!mygroups", sender=CAROL)
    assert "Algorithm Observatory: waitlist, number 2" in mine

    left = await groups_bot.send("!leave algo", sender=ALICE)
    bob_dm = await groups_bot.transport.direct_room(BOB)  # type: ignore[arg-type]
    told = [r.body for r in left if r.room_id == bob_dm]
    assert told and told[0].startswith("Good news: a place freed up")
    assert (GROUP_ROOM, BOB) in groups_bot.transport.invites
    assert await _rows(groups_bot) == [
        ("algorithm-observatory", BOB, 0),
        ("algorithm-observatory", CAROL, 1),
    ]
    assert "waitlist, number 1" in await groups_bot.ask("!mygroups", sender=CAROL)
    raised = await groups_bot.send("!group edit algo capacity 5", sender=COORD)
    carol_dm = await groups_bot.transport.direct_room(CAROL)  # type: ignore[arg-type]
    assert any(r.room_id == carol_dm and "Good news" in r.body for r in raised)
    assert [w for _, _, w in await _rows(groups_bot)] == [0, 0]


async def test_member_list_goes_by_dm_unless_public(groups_bot: ChatHarness) -> None:
    await groups_bot.send("!join algo", sender=ALICE)
    replies = await groups_bot.send("!group members algo", sender=COORD)
    coord_dm = await groups_bot.transport.direct_room(COORD)  # type: ignore[arg-type]
    listing = [r for r in replies if r.room_id == coord_dm]
    assert listing and ALICE in listing[0].body
    in_room = [r.body for r in replies if r.room_id == LOBBY]
    assert in_room == ["I've answered you in a direct message."]
    assert all(ALICE not in b for b in in_room)

    await groups_bot.send("!group edit algo members public", sender=COORD)
    public = await groups_bot.send("!group members algo", sender=BOB)
    assert [r.room_id for r in public] == [LOBBY] and ALICE in public[0].body


async def test_non_coordinators_are_refused_and_nothing_changes(groups_bot: ChatHarness) -> None:
    await groups_bot.send("!join algo", sender=ALICE)
    before = await groups_bot.app.groups.resolve("algo")
    for command in (
        "!group members algo",
        "!group export algo",
        "!group edit algo capacity 1",
        "!group close algo",
        "!group addcoord algo @bob:localhost",
        "!group rmcoord algo @coord:localhost",
        "!group remove algo @alice:localhost",
        '!group create "Secret Club"',
        "!group import",
    ):
        replies = await groups_bot.send(command, sender=BOB)
        assert [r.room_id for r in replies] == [LOBBY], command
        assert replies[0].body.startswith("Sorry, only"), (command, replies[0].body)
        assert ALICE not in replies[0].body
    assert await groups_bot.app.groups.resolve("algo") == before
    assert len(await groups_bot.app.groups.all()) == 4
    assert await _rows(groups_bot) == [("algorithm-observatory", ALICE, 0)]
    # A coordinator of one group is not a coordinator of another.
    assert "Sorry, only" in await groups_bot.ask("!group close edtech", sender=COORD)


async def test_coordinator_actions(groups_bot: ChatHarness) -> None:
    await groups_bot.send("!join algo", sender=ALICE)
    assert "now coordinates" in await groups_bot.ask(
        "!group addcoord algo @bob:localhost", sender=COORD
    )
    assert "no longer coordinates" in await groups_bot.ask(
        "!group rmcoord algo @coord:localhost", sender=BOB
    )
    assert (await groups_bot.app.groups.resolve("algo")).coordinators == (BOB,)
    removed = await groups_bot.send("!group remove algo @alice:localhost", sender=BOB)
    alice_dm = await groups_bot.transport.direct_room(ALICE)  # type: ignore[arg-type]
    assert any(r.room_id == alice_dm and "removed you" in r.body for r in removed)
    assert await _rows(groups_bot) == []
    renamed = await groups_bot.ask("!group edit algo aliases observatorio, algos", sender=BOB)
    assert renamed == "Updated the aliases of Algorithm Observatory."
    assert (await groups_bot.ask("!group algos")).startswith("Algorithm Observatory")
    clash = await groups_bot.ask("!group edit algo name Technology Review Boards", sender=BOB)
    assert "already used by another group" in clash


async def test_export_is_a_csv_by_dm(groups_bot: ChatHarness) -> None:
    await groups_bot.send("!join algo", sender=ALICE)
    replies = await groups_bot.send("!group export algo", sender=ADMIN)
    [with_file] = [r for r in replies if r.attachment]
    assert with_file.room_id != LOBBY
    assert with_file.attachment is not None
    rows = list(csv.reader(io.StringIO(with_file.attachment.data.decode())))
    assert rows[0] == ["group", "user_id", "status", "waitlist_position", "joined_at"]
    assert rows[1][:3] == ["algorithm-observatory", "'" + ALICE, "member"]  # no formula


async def test_admin_creates_a_group_and_imports_without_touching_signups(
    groups_bot: ChatHarness,
) -> None:
    made = await groups_bot.ask(
        '!group create "Community Networks" Local networks, together.', sender=ADMIN
    )
    assert "Created Community Networks (community-networks)" in made
    assert "already a group" in await groups_bot.ask(
        '!group create "community networks"', sender=ADMIN
    )
    await groups_bot.send("!join community", sender=ALICE)
    await groups_bot.send("!join algo", sender=ALICE)
    imported = await groups_bot.ask("!group import", sender=ADMIN)
    assert imported.startswith("Imported 4 groups from groups.yaml; sign-ups were kept.")
    assert len(await _rows(groups_bot)) == 2
    # Coordinators are run in chat: the file, which lists none, leaves them as they are.
    assert "Algorithm Observatory (coordinators, room)" in imported
    assert (await groups_bot.app.groups.resolve("algo")).coordinators == (COORD,)


async def test_two_hundred_people_join_at_once(groups_bot: ChatHarness) -> None:
    users = [f"@person{n}:localhost" for n in range(200)]
    answers = await asyncio.gather(*(groups_bot.send("!join edtech", sender=u) for u in users))
    confirmations = [r for replies in answers for r in replies if r.body.startswith("Welcome to")]
    assert len(confirmations) == 200
    rows = await _rows(groups_bot)
    assert len(rows) == 200 and {u for _, u, _ in rows} == set(users)

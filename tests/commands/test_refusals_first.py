"""The refusal comes first: every command in the registry, tried by a person with no rights
(and by organisers out of their reach) with valid, invalid and non-existent arguments."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from natm_bot.config.paths import bundled
from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import RoomId, UserId
from natm_bot.engine.registry import CommandSpec, Param, Perm, Registry
from natm_bot.features.groups.service import GroupChange
from natm_bot.features.meetings.changes import MeetingChange
from natm_bot.features.statements.service import Statement
from natm_bot.storage.groups import Group
from natm_bot.storage.meetings import Meeting
from natm_bot.testing.harness import LOBBY, ChatHarness, Seen, make_config
from tests.commands.test_members import CAROL, GOOD_APPLICATION
from tests.conftest import ADMIN, ALICE, BOB

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
MOD = "@mod:localhost"  # a moderator of room A only
COORD = "@coord:localhost"  # the coordinator of the Algorithm Observatory only
DAVE = "@dave-applicant:localhost"
ROOM_A = "!a:localhost"
ROOM_B = "!b:localhost"
GROUP_ROOM = "!algo-room:localhost"
WHEN = 'when="2027-04-01 10:00" tz=UTC'

# Levels a person with no rights holds nowhere; `group members` is open to anyone for a
# public list, so its group decides (see the test of its own below).
PRIVILEGED = (Perm.ADMIN, Perm.MODERATOR, Perm.COORDINATOR, Perm.ORGANISER)

# For each kind of argument: a valid value, an invalid one, and one naming nothing. The
# meeting #1 and the group `edtech` exist and are out of MOD's and COORD's reach.
SAMPLES: dict[Any, tuple[str, str, str]] = {
    Meeting: ("1", "#x", "99"),
    Group: ("algo", "-", "no such group"),
    int: ("1", "-1", "99999999999999999999"),
    UserId: (ALICE, "alice", "@nobody:localhost"),
    MeetingChange: (f"title=Renamed {WHEN}", "when=garbage", f"title=x group=nosuch {WHEN}"),
    GroupChange: ("Renamed", "x" * 500, "Renamed"),
    Statement: ("refusal", "Re*fusal", "no-such-statement"),
}
TEXT = ("Renamed", "**x** [y](https://evil.example)", "nosuch")
# Where a free-text argument has a form of its own, its valid value (the admin check below
# holds these honest).
VALID = {
    "members edit": "1 name=Renamed",
    "members delegate": f"add 1 {ALICE}",
    "statement add": 'id=another title="Another statement" text="Its original text."',
    "statement edit": 'refusal text="Its second version."',
}
# What a command may act on that is out of MOD's and COORD's reach, and what names nothing.
ELSEWHERE = {Meeting: ("1", "99", "99999999999999999999"), Group: ("edtech", "no such group")}
STATEMENT = '!statement add id=refusal title="We refuse" text="The original text."'
# Commands that act on a meeting while it runs (#1 starts 2027-04-01 10:00).
RUNNING = {"endmeeting"}
# Whole lines tried with every command, whatever its arguments.
LINES = ("", "x\u202ey", "9" * 40, '"unclosed', "1 2 3 4 5 6 7 8 9")


@cache
def commands() -> tuple[CommandSpec, ...]:
    """Every registered command and subcommand, as the bot loads them."""
    registry = Registry()
    registry.load_folder(bundled("commands"))
    return tuple(sorted(registry.commands, key=lambda spec: spec.name))


def _sample(param: Param, which: int) -> str:
    if param.choices:
        return (param.choices[0], "bogus", param.choices[-1])[which]
    value = SAMPLES.get(param.kind, TEXT)[which]
    return f'"{value}"' if " " in value and not param.rest else value


def valid(spec: CommandSpec) -> str:
    """The command with its required arguments, all valid."""
    args = VALID.get(spec.name) or " ".join(_sample(p, 0) for p in spec.params if p.required)
    return f"!{spec.name} {args}".rstrip()


def attempts(spec: CommandSpec) -> list[str]:
    """Valid arguments; each argument in turn invalid; every argument naming nothing; and
    lines that fit no command."""
    tried = [valid(spec)]
    for index in range(len(spec.params)):
        words = [_sample(p, 1 if i == index else 0) for i, p in enumerate(spec.params)]
        tried.append(f"!{spec.name} {' '.join(words)}")
    tried.append(f"!{spec.name} {' '.join(_sample(p, 2) for p in spec.params)}")
    return tried + [f"!{spec.name} {line}".rstrip() for line in LINES]


def refusal(spec: CommandSpec) -> str:
    """The one refusal of a command, as a person reads it."""
    return f"Sorry, only {spec.perm.value} can use !{spec.name}."


def of_level(*levels: Perm) -> list[CommandSpec]:
    """The registered commands declared with one of these levels."""
    return [spec for spec in commands() if spec.perm in levels]


def targeted(spec: CommandSpec) -> bool:
    """Whether the command acts on a meeting or group named in its arguments."""
    return any(getattr(p.converter, "target", False) for p in spec.params)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    """Rooms, a moderator of room A, a coordinator of the observatory, meeting #1 in room B,
    meeting #2 of the observatory, a member of it, application #1 waiting, organisation #1,
    the statement `refusal`; admin commands only in a direct message."""
    config = make_config(tmp_path, admins=[ADMIN])
    safety = config.safety.model_copy(update={"admin_commands_only_in_dm": True})
    async with ChatHarness(
        config.model_copy(update={"safety": safety}), ManualClock(START)
    ) as bot:
        for room in (ROOM_A, ROOM_B, GROUP_ROOM):
            bot.transport.set_power_level(RoomId(room), UserId("@natm-bot:localhost"), 100)
        bot.transport.set_power_level(RoomId(ROOM_A), UserId(MOD), 50)
        algo = await bot.app.groups.resolve("algo")
        await bot.app.groups.update(replace(algo, coordinators=(COORD,), room=GROUP_ROOM))
        admin_dm = await bot.transport.direct_room(UserId(ADMIN))
        for fields in (f"title=B rooms={ROOM_B} repeat=weekly", "title=Observatory group=algo"):
            planned = await bot.ask(f"!meeting add {fields} {WHEN}", sender=ADMIN, room=admin_dm)
            assert planned.startswith("Planned"), planned
        await bot.send("!join algo", sender=ALICE)
        await bot.send(GOOD_APPLICATION, sender=CAROL)  # application #1, waiting
        await bot.send(GOOD_APPLICATION.replace("Radio", "Red"), sender=DAVE)
        approved = await bot.send(
            "!members approve 2", sender=ADMIN, room=admin_dm, is_direct=True
        )
        assert "(#1) is now listed" in approved[0].body, approved
        added = await bot.ask(STATEMENT, sender=ADMIN, room=admin_dm, is_direct=True)
        assert "We refuse" in added, added
        yield bot


async def stored(bot: ChatHarness) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table."""
    tables = await bot.app.db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    db = bot.app.db
    return {t[0]: [tuple(r) for r in await db.fetchall(f'SELECT * FROM "{t[0]}"')] for t in tables}


async def answers(bot: ChatHarness, lines: list[str], sender: str) -> list[list[Seen]]:
    """What the bot answered to each line, typed in the lobby."""
    return [await bot.send(line, sender=sender) for line in lines]


def bodies(said: list[Seen]) -> list[tuple[str, str]]:
    """Where each reply went and what it said."""
    return [(seen.room_id, seen.body) for seen in said]


def test_every_privileged_command_is_tried() -> None:
    names = {spec.name for spec in of_level(*PRIVILEGED)}
    assert {"meeting add", "meeting edit", "group edit", "members approve", "lang room"} <= names
    reached = {spec.name for spec in of_level(*PRIVILEGED, Perm.GROUP_VIEWER) if targeted(spec)}
    assert {"meeting edit", "meeting cancel", "group edit", "group members"} <= reached
    assert all(len(attempts(spec)) >= 2 + len(LINES) for spec in commands())


@pytest.mark.parametrize("spec", of_level(*PRIVILEGED), ids=lambda spec: spec.name)
async def test_a_person_with_no_rights_gets_the_refusal_and_nothing_else(
    world: ChatHarness, spec: CommandSpec
) -> None:
    before, invites = await stored(world), list(world.transport.invites)
    for line, said in zip(attempts(spec), await answers(world, attempts(spec), BOB), strict=True):
        assert bodies(said) == [(LOBBY, refusal(spec))], line
        assert said[0].attachment is None
    assert await stored(world) == before
    assert world.transport.invites == invites
    # The valid arguments are valid: an admin's same command is no usage error.
    if spec.name in RUNNING:  # meeting #1 must be under way for these
        await world.advance(days=31, hours=1, minutes=5)
    dm = await world.transport.direct_room(UserId(ADMIN))
    said = await world.send(valid(spec), sender=ADMIN, room=dm, is_direct=True)
    assert said, valid(spec)
    for seen in said:
        assert not seen.body.startswith(("Sorry", "There is no")), (valid(spec), seen.body)
        assert "Usage:" not in seen.body, (valid(spec), seen.body)


def out_of_reach(spec: CommandSpec) -> list[str]:
    """The command acting on what is not MOD's or COORD's, or on nothing, with the other
    arguments valid and then each in turn invalid."""
    [target] = [i for i, p in enumerate(spec.params) if getattr(p.converter, "target", False)]
    lines = []
    for named in ELSEWHERE[spec.params[target].kind]:
        for bad in (None, *range(len(spec.params))):
            words = [_sample(p, 1 if i == bad else 0) for i, p in enumerate(spec.params)]
            words[target] = f'"{named}"' if " " in named else named
            lines.append(f"!{spec.name} {' '.join(words)}")
    return sorted(set(lines))


@pytest.mark.parametrize(
    "spec",
    [s for s in of_level(*PRIVILEGED, Perm.GROUP_VIEWER) if targeted(s)],
    ids=lambda spec: spec.name,
)
async def test_what_is_out_of_reach_answers_as_what_does_not_exist(
    world: ChatHarness, spec: CommandSpec
) -> None:
    before, lines = await stored(world), out_of_reach(spec)
    for sender in (MOD, COORD, BOB):
        for line, said in zip(lines, await answers(world, lines, sender), strict=True):
            assert bodies(said) == [(LOBBY, refusal(spec))], (sender, line)
    assert await stored(world) == before


async def test_a_public_member_list_is_anyones_and_a_private_one_no_more_than_a_missing_one(
    world: ChatHarness,
) -> None:
    [spec] = of_level(Perm.GROUP_VIEWER)
    for line in (f"!{spec.name} algo", f"!{spec.name} no such group"):
        assert bodies(await world.send(line, sender=BOB)) == [(LOBBY, refusal(spec))], line
    await world.send("!group edit algo members public", sender=COORD)
    listed = await world.ask(f"!{spec.name} algo", sender=BOB)
    assert ALICE in listed and not listed.startswith("Sorry")


async def test_commands_for_everyone_never_answer_with_a_refusal(world: ChatHarness) -> None:
    for spec in of_level(Perm.USER):
        lines = attempts(spec)
        for line, said in zip(lines, await answers(world, lines, BOB), strict=True):
            assert said, line
            assert not any(s.body.startswith("Sorry, only") for s in said), (line, bodies(said))

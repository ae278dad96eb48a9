"""Every cell of the README's permission table, tried in chat by the person that column names."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import RoomId, UserId
from natm_bot.features.meetings.minutes_model import NewAction
from natm_bot.testing.harness import LOBBY, ChatHarness, make_config
from tests.commands.test_members import CAROL, GOOD_APPLICATION
from tests.conftest import ADMIN, ALICE, BOB

README = Path(__file__).resolve().parents[2] / "README.md"
START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
MOD = "@mod:localhost"
COORD = "@coord:localhost"
ROOM_A = "!a:localhost"
ROOM_B = "!b:localhost"
ROOM_C = "!c:localhost"
GROUP_ROOM = "!algo-room:localhost"
BOT = "@natm-bot:localhost"
# Who plays each column: a moderator of every room in play (but coordinator of nothing), the
# coordinator of the Algorithm Observatory (moderator of no room the meeting is in), and
# someone with no role at all. Everyone types in the lobby, where nobody is a moderator.
ACTORS = {
    "Bot admin": ADMIN,
    "Room moderator¹": MOD,
    "Group coordinator²": COORD,
    "Anyone else": BOB,
}

# Rows where the person is not refused but simply not shown what is for organisers.
SHOWN_NOT_REFUSED = {
    "See how its announcements went",
    "See a group's open action items on its card",
}

Scenario = Callable[[ChatHarness, str], Awaitable[bool]]


def table() -> list[tuple[str, str, bool]]:
    """(action, column, allowed) for every cell of the README's permission table."""
    lines = README.read_text().split("| Action |", 1)[1].splitlines()
    columns = [c.strip() for c in lines[0].strip(" |").split("|")]
    cells = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        action, *answers = (c.strip() for c in line.strip(" |").split("|"))
        for column, answer in zip(columns, answers, strict=True):
            first = re.split(r"\W", answer.lower())[0]
            assert first in ("yes", "no"), f"{action} / {column}: {answer!r}"
            cells.append((action.split(" (")[0], column, first == "yes"))
    return cells


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    """Four rooms, a moderator of all of them, a coordinator, and meeting #1 of their group."""
    config = make_config(tmp_path, admins=[ADMIN])
    async with ChatHarness(config, ManualClock(START)) as bot:
        transport = bot.transport
        for room in (LOBBY, ROOM_A, ROOM_B, ROOM_C, GROUP_ROOM):
            transport.set_power_level(RoomId(room), UserId(BOT), 100)
        for room in (ROOM_A, ROOM_B, ROOM_C, GROUP_ROOM):
            transport.set_power_level(RoomId(room), UserId(MOD), 50)
        transport.set_power_level(RoomId(ROOM_C), UserId(COORD), 50)
        algo = await bot.app.groups.resolve("algo")
        await bot.app.groups.update(replace(algo, coordinators=(COORD,), room=GROUP_ROOM))
        planned = await bot.ask(
            '!meeting add title="Observatory call" when="2027-03-03 12:00" tz=UTC '
            "repeat=weekly reminders=0 group=algo",
            sender=ADMIN,
        )
        assert planned.startswith("Planned #1"), planned
        yield bot


async def _title(bot: ChatHarness) -> str | None:
    meeting = await bot.app.meetings.store.get(1)
    return None if meeting is None or meeting.cancelled else meeting.title


async def _tried(bot: ChatHarness, actor: str, text: str) -> str:
    """Type `text`; a refusal says sorry, anything else must not."""
    return "\n".join(r.body for r in await bot.send(text, sender=actor))


async def plan_in_rooms(bot: ChatHarness, actor: str) -> bool:
    await _tried(bot, actor, f'!meeting add title=x when="2027-04-01 10:00" tz=UTC rooms={ROOM_A}')
    return await bot.app.meetings.store.get(2) is not None


async def plan_for_group(bot: ChatHarness, actor: str) -> bool:
    await _tried(bot, actor, '!meeting add title=x when="2027-04-01 10:00" tz=UTC group=algo')
    return await bot.app.meetings.store.get(2) is not None


async def change_meeting(bot: ChatHarness, actor: str) -> bool:
    await _tried(bot, actor, "!meeting edit 1 title=Renamed")
    return await _title(bot) == "Renamed"


async def move_to_rooms(bot: ChatHarness, actor: str) -> bool:
    await _tried(bot, actor, f"!meeting edit 1 rooms={ROOM_B}")
    meeting = await bot.app.meetings.store.get(1)
    return meeting is not None and meeting.rooms == (ROOM_B,)


async def move_to_group(bot: ChatHarness, actor: str) -> bool:
    await _tried(bot, actor, "!meeting edit 1 group=edtech")
    meeting = await bot.app.meetings.store.get(1)
    return meeting is not None and meeting.group_id == "ed-tech"


async def cancel_meeting(bot: ChatHarness, actor: str) -> bool:
    await _tried(bot, actor, "!meeting cancel 1")
    return await _title(bot) is None


async def cancel_date(bot: ChatHarness, actor: str) -> bool:
    await _tried(bot, actor, "!meeting cancel 1 2027-03-10")
    meeting = await bot.app.meetings.store.get(1)
    return meeting is not None and len(meeting.exceptions) == 1


async def see_announcements(bot: ChatHarness, actor: str) -> bool:
    await bot.advance(days=3)
    return "Recent announcements" in await _tried(bot, actor, "!meeting 1")


async def create_group(bot: ChatHarness, actor: str) -> bool:
    await _tried(bot, actor, '!group create "Secret Club"')
    return len(await bot.app.groups.all()) == 5


async def change_group(bot: ChatHarness, actor: str) -> bool:
    await _tried(bot, actor, "!group edit algo capacity 5")
    return (await bot.app.groups.resolve("algo")).capacity == 5


async def set_group_room(bot: ChatHarness, actor: str) -> bool:
    await _tried(bot, actor, f"!group edit algo room {ROOM_C}")
    return (await bot.app.groups.resolve("algo")).room == ROOM_C


async def close_group(bot: ChatHarness, actor: str) -> bool:
    await _tried(bot, actor, "!group close algo")
    return not (await bot.app.groups.resolve("algo")).open


async def add_coordinator(bot: ChatHarness, actor: str) -> bool:
    await _tried(bot, actor, "!group addcoord algo @new:localhost")
    return "@new:localhost" in (await bot.app.groups.resolve("algo")).coordinators


async def take_out(bot: ChatHarness, actor: str) -> bool:
    await bot.send("!join algo", sender=ALICE)
    await _tried(bot, actor, f"!group remove algo {ALICE}")
    return not await bot.app.groups.signups(group_id="algorithm-observatory")


async def export_signups(bot: ChatHarness, actor: str) -> bool:
    return any(r.attachment for r in await bot.send("!group export algo", sender=actor))


async def see_members(bot: ChatHarness, actor: str) -> bool:
    await bot.send("!join algo", sender=ALICE)
    return ALICE in await _tried(bot, actor, "!group members algo")


async def import_groups(bot: ChatHarness, actor: str) -> bool:
    return (await _tried(bot, actor, "!group import")).startswith("Imported")


async def approve_member(bot: ChatHarness, actor: str) -> bool:
    await bot.send(GOOD_APPLICATION, sender=CAROL)
    await _tried(bot, actor, "!members approve 1")
    return (await bot.app.members.pending()).total == 0


async def name_delegate(bot: ChatHarness, actor: str) -> bool:
    await bot.send(GOOD_APPLICATION, sender=CAROL)
    await bot.app.members.approve(1)
    await _tried(bot, actor, "!members delegate add 1 @ana:example.org")
    seen = any("@ana:example.org" in r.body for r in await bot.send("!member 1", sender=actor))
    return seen and "@ana:example.org" in await bot.app.members.delegations()


POLL = 'kind=proposal question="Adopt it?" closes="2027-03-20 18:00" tz=UTC'
# The room each actor opens a poll in: the one that is theirs, if any.
POLL_ROOMS = {MOD: ROOM_A, COORD: GROUP_ROOM}


async def open_poll(bot: ChatHarness, actor: str) -> bool:
    room = POLL_ROOMS.get(actor, ROOM_A)
    bot.transport.add_members(RoomId(room), ADMIN, MOD, COORD, BOB)
    await bot.send(f"!poll add {POLL}", sender=actor, room=room)
    return await bot.app.polls.store.get(1) is not None


async def open_organisations_poll(bot: ChatHarness, actor: str) -> bool:
    await bot.send(GOOD_APPLICATION, sender=CAROL)
    await bot.app.members.approve(1)
    room = POLL_ROOMS.get(actor, ROOM_A)
    await bot.send(f"!poll add {POLL} voters=organisations", sender=actor, room=room)
    return await bot.app.polls.store.get(1) is not None


async def close_poll(bot: ChatHarness, actor: str) -> bool:
    bot.transport.add_members(RoomId(GROUP_ROOM), ADMIN, MOD, COORD, BOB)
    await bot.send(f"!poll add {POLL}", sender=ADMIN, room=GROUP_ROOM)
    await _tried(bot, actor, "!poll cancel 1")
    poll = await bot.app.polls.store.get(1)
    return poll is not None and poll.state == "cancelled"


async def _agenda(bot: ChatHarness) -> list[str]:
    """The texts on meeting #1's agenda (the next date)."""
    meeting = await bot.app.meetings.store.get(1)
    assert meeting is not None
    occurrence = bot.app.agenda.occurrence(meeting)
    assert occurrence is not None
    return [item.text for item in await bot.app.agenda.items(meeting, occurrence)]


async def agenda_add(bot: ChatHarness, actor: str) -> bool:
    bot.transport.add_members(RoomId(GROUP_ROOM), ADMIN, MOD, COORD, BOB, ALICE)
    await _tried(bot, actor, "!agenda 1 add Budget for the spring")
    return await _agenda(bot) == ["Budget for the spring"]


async def agenda_by_organisers(bot: ChatHarness, actor: str) -> bool:
    await _tried(bot, ADMIN, "!meeting edit 1 agenda=organisers")
    return await agenda_add(bot, actor)


async def agenda_remove(bot: ChatHarness, actor: str) -> bool:
    bot.transport.add_members(RoomId(GROUP_ROOM), ALICE)
    await bot.send("!agenda 1 add Budget for the spring", sender=ALICE)
    assert await _agenda(bot) == ["Budget for the spring"]
    await _tried(bot, actor, "!agenda 1 remove 1")
    return await _agenda(bot) == []


async def end_meeting(bot: ChatHarness, actor: str) -> bool:
    await bot.advance(days=2, hours=3, minutes=5)  # #1 runs from 2027-03-03 12:00
    await _tried(bot, actor, "!endmeeting 1")
    return bool(await bot.app.minutes.store.sessions(1))


async def _an_action(bot: ChatHarness) -> None:
    """Action item #1 of meeting #1 (the Observatory's), owned by Alice."""
    meeting = await bot.app.meetings.store.get(1)
    assert meeting is not None
    item = NewAction("$line:localhost", ALICE, "Draft the letter to the ministry", None)
    await bot.app.actions.adopt(1, int(START.timestamp()), meeting.group_id, [item])


async def action_done(bot: ChatHarness, actor: str) -> bool:
    await _an_action(bot)
    await _tried(bot, actor, "!action done 1")
    action = await bot.app.actions.get(1)
    return action is not None and action.done_at is not None


async def action_reassign(bot: ChatHarness, actor: str) -> bool:
    await _an_action(bot)
    await _tried(bot, actor, "!action reassign 1 @new:localhost")
    action = await bot.app.actions.get(1)
    return action is not None and action.owner == "@new:localhost"


async def see_group_actions(bot: ChatHarness, actor: str) -> bool:
    await _an_action(bot)
    return "Draft the letter" in await _tried(bot, actor, "!group algo")


STATEMENT = '!statement add id=refusal title="We refuse" text="The original text."'


async def _statement(bot: ChatHarness) -> None:
    """The statement `refusal`, published by an admin."""
    assert "We refuse" in await _tried(bot, ADMIN, STATEMENT)


async def publish_statement(bot: ChatHarness, actor: str) -> bool:
    await _tried(bot, actor, STATEMENT)
    return await bot.app.statements.store.get("refusal") is not None


async def version_statement(bot: ChatHarness, actor: str) -> bool:
    await _statement(bot)
    await _tried(bot, actor, '!statement edit refusal text="Version two."')
    await _tried(bot, actor, '!statement edit refusal lang=es text="Versión uno."')
    await _tried(bot, actor, '!statement edit refusal title="Renamed"')
    found = await bot.app.statements.get("refusal")
    texts = await bot.app.statements.store.texts("refusal", 1)
    return found.version == 2 or "es" in texts or found.title == "Renamed"


async def endorse_statement(bot: ChatHarness, actor: str) -> bool:
    """The actor endorses; then, with Carol's organisation endorsing, withdraws and reacts ✍️
    to the card for their own: whether any of it acted (Carol is its only delegate)."""
    await _statement(bot)
    await bot.send(GOOD_APPLICATION, sender=CAROL)
    await bot.app.members.approve(1)  # Carol, who applied, is its delegate
    await _tried(bot, actor, "!endorse refusal")
    endorsed = bool(await bot.app.statements.store.endorsements("refusal"))
    assert "now endorses" in await _tried(bot, CAROL, "!endorse refusal")
    await _tried(bot, actor, "!withdraw refusal")
    withdrawn = not await bot.app.statements.store.endorsements("refusal")
    assert "no longer endorses" in await _tried(bot, CAROL, "!withdraw refusal")
    before = len(bot.transport.sent)
    await bot.send("!statement refusal", sender=actor)
    await bot.react(bot.transport.event_of(bot.transport.sent[before]), "✍️", sender=actor)
    return endorsed or withdrawn or bool(await bot.app.statements.store.endorsements("refusal"))


async def support_statement(bot: ChatHarness, actor: str) -> bool:
    await _statement(bot)
    await _tried(bot, actor, "!support refusal")
    return (await bot.app.statements.standing("refusal", "en")).supporters == 1


SCENARIOS: dict[str, Scenario] = {
    "Plan a meeting in rooms": plan_in_rooms,
    "Plan a meeting of a group": plan_for_group,
    "Change a meeting": change_meeting,
    "Move a meeting to other rooms": move_to_rooms,
    "Move a meeting into another group": move_to_group,
    "Cancel a meeting": cancel_meeting,
    "Cancel one date": cancel_date,
    "See how its announcements went": see_announcements,
    "Create a group": create_group,
    "Change a group": change_group,
    "Set a group's room": set_group_room,
    "Close or reopen a group": close_group,
    "Add or remove coordinators": add_coordinator,
    "Take someone out of a group": take_out,
    "Export a group's sign-ups": export_signups,
    "See a group's members": see_members,
    "Re-read the groups file": import_groups,
    "Approve or reject members": approve_member,
    "Name an organisation's delegates and see them": name_delegate,
    "Open a poll in a room": open_poll,
    "Open a poll of the member organisations": open_organisations_poll,
    "Close or cancel a poll": close_poll,
    "Add to a meeting's agenda": agenda_add,
    "Add to an agenda kept by organisers": agenda_by_organisers,
    "Remove an agenda item": agenda_remove,
    "End a meeting and post its minutes": end_meeting,
    "Mark an action item done": action_done,
    "Hand an action item to someone else": action_reassign,
    "See a group's open action items on its card": see_group_actions,
    "Publish a statement": publish_statement,
    "Make a new version of a statement, translate or retitle it": version_statement,
    "Endorse or withdraw a statement for an organisation": endorse_statement,
    "Support a statement": support_statement,
}


def test_every_row_of_the_table_has_a_scenario_and_every_column_an_actor() -> None:
    cells = table()
    assert {action for action, _, _ in cells} == set(SCENARIOS)
    assert {column for _, column, _ in cells} == set(ACTORS)


@pytest.mark.parametrize(
    ("action", "column", "allowed"),
    table(),
    ids=[f"{action} | {column}" for action, column, _ in table()],
)
async def test_cell(world: ChatHarness, action: str, column: str, allowed: bool) -> None:
    actor = ACTORS[column]
    sent_before = len(world.transport.sent)
    done = await SCENARIOS[action](world, actor)
    assert done is allowed, f"{column} {'could not' if allowed else 'could'}: {action}"
    if not allowed and action not in SHOWN_NOT_REFUSED:
        said = [o.reply.markdown for o in world.transport.sent[sent_before:]]
        assert any(s.startswith("Sorry") for s in said), said

"""Action items in chat: adopted once from the minutes, listed (yours, a group's, on the
group's card for its coordinators), done and handed on by the people who may, reminded once
on the due date at 09:00 in the owner's zone across restarts, shown and forgotten on
request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natm_bot.config.settings import Config
from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import RoomId, UserId
from natm_bot.features.meetings.minutes_model import NewAction
from natm_bot.testing.harness import LOBBY, ChatHarness, Seen, make_config
from tests.conftest import ADMIN, ALICE, BOB, examples

START = datetime(2027, 1, 10, 6, 0, tzinfo=UTC)
DUE = date(2027, 1, 12)
CAROL = "@carol:localhost"
DAVE = "@dave:localhost"
COORD = "@coord:localhost"
MOD = "@mod:localhost"
ALGO = "algorithm-observatory"
SORRY = "Sorry, you have no action #{} to change."


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, admins=[ADMIN])


async def _setup(bot: ChatHarness) -> None:
    """The Weekly call (meeting #1, in the lobby, of the algorithm observatory)."""
    algo = await bot.app.groups.resolve(ALGO)
    await bot.app.groups.update(replace(algo, coordinators=(COORD,)))
    bot.transport.set_power_level(RoomId(LOBBY), UserId(MOD), 50)
    fields = 'title="Weekly call" when="2027-01-20 15:00" tz=Europe/Berlin group=algo'
    body = await bot.ask(f"!meeting add {fields}", sender=ADMIN)
    assert body.startswith("Planned #1"), body


@pytest.fixture
async def bot(config: Config) -> AsyncIterator[ChatHarness]:
    async with ChatHarness(config, ManualClock(START)) as harness:
        await _setup(harness)
        yield harness


async def _adopt(bot: ChatHarness, *items: tuple[str | None, str, date | None]) -> None:
    actions = [
        NewAction(f"$line-{i}", owner, text, due) for i, (owner, text, due) in enumerate(items)
    ]
    await bot.app.actions.adopt(1, 0, ALGO, actions)


async def _rows(bot: ChatHarness) -> list[tuple[object, ...]]:
    rows = await bot.app.db.fetchall("SELECT id, owner, done_at, done_by FROM actions ORDER BY id")
    return [tuple(row) for row in rows]


async def _dm(bot: ChatHarness, user: str) -> RoomId:
    return await bot.transport.direct_room(UserId(user))


def _to(bot_seen: list[Seen], room: RoomId) -> list[Seen]:
    return [s for s in bot_seen if s.room_id == room]


async def test_adopted_once_and_listed_for_the_owner(bot: ChatHarness) -> None:
    await _adopt(bot, (ALICE, "Send the *draft*", DUE), (BOB, "Book a room", None))
    await _adopt(bot, (ALICE, "Send the *draft*", DUE), (BOB, "Book a room", None))
    assert len(await _rows(bot)) == 2
    mine = await bot.ask("!actions", sender=ALICE)
    assert "#1 Send the *draft* (Weekly call) · due" in mine, mine
    assert "Book a room" not in mine
    assert "!action done <number>" in mine
    assert "no open action items" in await bot.ask("!actions", sender=CAROL)


async def test_a_groups_actions_with_owners_for_anyone(bot: ChatHarness) -> None:
    await _adopt(bot, (ALICE, "Send the draft", DUE), (None, "Find a venue", None))
    listed = await bot.ask("!actions group algo", sender=CAROL)
    assert "Open action items of Algorithm Observatory" in listed
    assert "#1 Send the draft (Weekly call)" in listed and "@alice:localhost" in listed
    assert "#2 Find a venue (Weekly call) · unassigned" in listed
    assert "has no open action items" in await bot.ask("!actions group ed-tech")


async def test_done_by_the_people_who_may_and_refused_alike_otherwise(bot: ChatHarness) -> None:
    await _adopt(bot, (ALICE, "One", DUE), (ALICE, "Two", DUE), (ALICE, "Three", DUE))
    before = await _rows(bot)
    foreign = await bot.ask("!action done 1", sender=BOB)
    missing = await bot.ask("!action done 99", sender=BOB)
    assert foreign == missing.replace("#99", "#1") and SORRY.format(1) in foreign
    assert await _rows(bot) == before
    assert "Action #1 is done" in await bot.ask("!action done 1", sender=ALICE)
    assert "done already" in await bot.ask("!action done #1", sender=ALICE)
    assert "Action #2 is done" in await bot.ask("!action done 2", sender=MOD)
    assert "Action #3 is done" in await bot.ask("!action done 3", sender=COORD)
    rows = await _rows(bot)
    assert [row[3] for row in rows] == [ALICE, MOD, COORD]


async def test_reassign_tells_the_new_owner_once(bot: ChatHarness) -> None:
    await _adopt(bot, (ALICE, "Send the draft", DUE))
    refused = await bot.ask("!action reassign 1 @bob:localhost", sender=BOB)
    assert SORRY.format(1) in refused
    seen = await bot.send("!action reassign 1 @carol:localhost", sender=COORD)
    assert "now @carol:localhost's" in seen[0].body
    notes = _to(seen, await _dm(bot, CAROL))
    assert len(notes) == 1 and "gave you action #1: Send the draft" in notes[0].body
    assert "!action done 1" in notes[0].body
    assert "already theirs" in await bot.ask("!action reassign 1 @carol:localhost", sender=ADMIN)
    bad = await bot.ask("!action reassign 1 carol", sender=ADMIN)
    assert "Matrix user id" in bad and (await _rows(bot))[0][1] == CAROL


@pytest.mark.parametrize("typed", ["0", "-1", str(10**30), "abc", "**1**", "[1](x)", "1e3"])
async def test_hostile_numbers_get_a_usage_answer(bot: ChatHarness, typed: str) -> None:
    await _adopt(bot, (ALICE, "Send the draft", DUE))
    body = await bot.ask(f"!action done {typed}", sender=ALICE)
    assert "numbered" in body, body
    assert (await _rows(bot))[0][2] is None


@settings(max_examples=examples(40), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=st.text(min_size=1, max_size=30).filter(lambda t: t.strip() and "\n" not in t))
async def test_any_number_typed_is_refused_or_done_never_an_error(
    bot: ChatHarness, typed: str
) -> None:
    body = (await bot.send(f"!action done {typed}", sender=BOB))[0].body
    assert "numbered" in body or "Sorry" in body or "Usage" in body, body


async def test_the_group_card_shows_open_actions_to_its_coordinators(bot: ChatHarness) -> None:
    await _adopt(bot, (ALICE, "Send the draft", DUE))
    card = await bot.ask("!group algo", sender=COORD)
    assert "Open action items" in card and "#1 Send the draft" in card
    assert "#1 Send the draft" in await bot.ask("!group algo", sender=ADMIN)
    assert "Send the draft" not in await bot.ask("!group algo", sender=ALICE)


async def test_mydata_lists_them_and_forgetme_leaves_them_unassigned(bot: ChatHarness) -> None:
    await _adopt(bot, (ALICE, "Send the draft", DUE), (BOB, "Book a room", None))
    await bot.ask("!action done 2", sender=ALICE)  # refused: not hers
    await bot.ask("!action done 2", sender=BOB)
    await bot.send("!action reassign 2 @alice:localhost", sender=ADMIN)  # done: refused
    mine = (await bot.send("!mydata", sender=ALICE))[0].body
    assert "Action items you own:" in mine and "#1 Send the draft · due" in mine
    theirs = (await bot.send("!mydata", sender=BOB))[0].body
    assert "#2 Book a room · done" in theirs
    await bot.send("!forgetme", sender=BOB)
    await bot.send("!forgetme confirm", sender=BOB)
    assert await _rows(bot) == [(1, ALICE, None, None), (2, None, (await _rows(bot))[1][2], None)]
    assert "Action items" not in (await bot.send("!mydata", sender=BOB))[0].body


async def _due_dms(bot: ChatHarness, seen: list[Seen]) -> list[tuple[str, datetime | None]]:
    rooms = {await _dm(bot, who): who for who in (ALICE, BOB, CAROL, DAVE)}
    return [(rooms[s.room_id], s.at) for s in seen if "is due today" in s.body]


async def test_each_owner_gets_one_dm_at_nine_in_their_zone_across_restarts(
    config: Config,
) -> None:
    async with ChatHarness(config, ManualClock(START)) as bot:
        await _setup(bot)
        await bot.send("!tz America/Bogota", sender=CAROL)
        await bot.send("!tz Asia/Kolkata", sender=DAVE)
        await _adopt(bot, (CAROL, "Send the draft", DUE), (DAVE, "Book a room", DUE))
        seen = await bot.advance(hours=44)  # to 02:00 UTC on the due date
        assert await _due_dms(bot, seen) == []
        seen = await bot.advance(hours=3)  # 09:00 in Kolkata is 03:30 UTC
        assert await _due_dms(bot, seen) == [(DAVE, datetime(2027, 1, 12, 3, 30, tzinfo=UTC))]
        body = next(s.body for s in seen if "is due today" in s.body)
        assert "Action #2 is due today: Book a room (from Weekly call)" in body
        assert "!action done 2" in body
        stopped = bot.clock.now()
    async with ChatHarness(config, ManualClock(stopped)) as bot:
        seen = await bot.advance(hours=24)  # 09:00 in Bogotá is 14:00 UTC
        assert await _due_dms(bot, seen) == [(CAROL, datetime(2027, 1, 12, 14, 0, tzinfo=UTC))]
        stopped = bot.clock.now()
    async with ChatHarness(config, ManualClock(stopped)) as bot:
        assert await _due_dms(bot, await bot.advance(days=3)) == []


async def test_done_and_unassigned_are_not_reminded_and_a_new_owner_is(
    bot: ChatHarness,
) -> None:
    await _adopt(
        bot, (ALICE, "One", DUE), (None, "Two", DUE), (BOB, "Three", DUE), (ALICE, "Four", None)
    )
    await bot.ask("!action done 1", sender=ALICE)
    await bot.send("!action reassign 3 @carol:localhost", sender=BOB)
    seen = await bot.advance(days=5)
    assert await _due_dms(bot, seen) == [
        (CAROL, datetime(2027, 1, 12, 8, 0, tzinfo=UTC))
    ]  # 09:00 in Berlin


async def test_a_reminder_missed_all_day_is_sent_that_day_not_later(config: Config) -> None:
    async with ChatHarness(config, ManualClock(START)) as bot:
        await _setup(bot)
        await _adopt(bot, (ALICE, "One", DUE), (BOB, "Two", date(2027, 1, 11)))
    late = datetime(2027, 1, 12, 22, 0, tzinfo=UTC)  # down from Sunday morning until then
    async with ChatHarness(config, ManualClock(late)) as bot:
        seen = await bot.advance(days=2)
        assert await _due_dms(bot, seen) == [(ALICE, late)]


async def test_what_the_minutes_hand_on_is_kept_safe(bot: ChatHarness) -> None:
    hostile = "a\u202eb\x00c " + "y" * 600
    items = [
        NewAction("$x1", "@room", "Ping *everyone*", None),
        NewAction("$x2", ALICE, " \t ", DUE),
        NewAction("$x3", "!other:room", hostile, None),
    ]
    await bot.app.actions.adopt(1, 0, None, items)
    rows = await bot.app.db.fetchall("SELECT owner, text, source_event FROM actions ORDER BY id")
    assert [(r[0], r[2]) for r in rows] == [(None, "$x1"), (None, "$x3")]
    assert rows[1][1] == ("a\ufffdb\ufffdc " + "y" * 600)[:500]
    listed = await bot.ask("!actions group algo", sender=ADMIN)
    assert "has no open action items" in listed  # adopted without a group


async def test_a_reminder_sent_again_after_a_crash_has_the_same_transaction(
    config: Config,
) -> None:
    async with ChatHarness(config, ManualClock(START)) as bot:
        await _setup(bot)
        await _adopt(bot, (ALICE, "One", DUE))
        await bot.advance(days=2, hours=3)
        first = [o.txn_id for o in bot.transport.sent if "is due today" in o.reply.markdown]
        # The bot stopped after sending, before it could record the reminder as sent.
        await bot.app.db.execute("UPDATE actions SET reminded = 0")
        stopped = bot.clock.now()
    async with ChatHarness(config, ManualClock(stopped)) as bot:
        await bot.advance(hours=1)
        again = [o.txn_id for o in bot.transport.sent if "is due today" in o.reply.markdown]
    assert len(first) == 1 and again == first

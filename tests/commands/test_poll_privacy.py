"""Polls and privacy: `!mydata` shows a person's votes in open polls, `!forgetme` takes
them out (closed outcomes keep their counts), privileged poll commands are audited, and a
secret ballot leaves no voter's Matrix id on disk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from natm_bot.config.settings import Config
from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import RoomId
from natm_bot.testing.harness import LOBBY, ChatHarness, make_config
from tests.commands.test_privacy import _bytes_in_files, _mentions
from tests.conftest import ADMIN, ALICE, BOB
from tests.polls import poll_room

START = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
CAROL = "@carol:localhost"
CLOSES = 'closes="2027-01-15 18:00" tz=UTC'
APPLY = (
    '!members apply name="Radio Comunitaria" category=civil-society country=CO'
    ' website=https://radio.example.org description="Community radio" contact=@x:localhost'
)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, admins=[ADMIN])


@pytest.fixture
async def bot(config: Config) -> AsyncIterator[ChatHarness]:
    async with poll_room(config, START, ALICE, BOB, CAROL) as harness:
        yield harness


async def _open(bot: ChatHarness, fields: str) -> int:
    body = await bot.ask(f"!poll add {fields}", sender=ADMIN)
    assert body.startswith("Poll #"), body
    return int(body.split("#")[1].split()[0])


async def _dm(bot: ChatHarness, text: str, sender: str) -> str:
    room = await bot.transport.direct_room(sender)  # type: ignore[arg-type]
    return await bot.ask(text, sender=sender, is_direct=True, room=room)


async def _mydata(bot: ChatHarness, user: str) -> str:
    dm = await bot.transport.direct_room(user)  # type: ignore[arg-type]
    [report] = [r.body for r in await bot.send("!mydata", sender=user) if r.room_id == dm]
    return report


async def test_mydata_shows_votes_in_open_polls_but_not_secret_or_closed_ones(
    bot: ChatHarness,
) -> None:
    campaign = await _open(
        bot, f'kind=choice question="Next campaign?" options="Data; AI" {CLOSES}'
    )
    statement = await _open(bot, f'kind=proposal question="Adopt the statement?" {CLOSES}')
    secret = await _open(
        bot, f'kind=choice question="Chair?" options="Ana; Ben" secret=yes {CLOSES}'
    )
    await bot.ask(f"!vote {campaign} 1", sender=ALICE)
    await bot.ask(f"!vote {campaign} AI", sender=ALICE)  # a change of mind: the last counts
    await bot.ask(f"!vote {statement} block it names no budget", sender=ALICE)
    assert "counted" in await _dm(bot, f"!vote {secret} Ana", ALICE)
    body = await _mydata(bot, ALICE)
    assert f"#{campaign} Next campaign?: AI" in body, body
    assert f"#{statement} Adopt the statement?: Block" in body, body
    assert "Data" not in body and "Chair?" not in body and "Ana" not in body
    await bot.ask(f"!poll close {statement}", sender=ADMIN)
    await bot.advance(minutes=1)
    after = await _mydata(bot, ALICE)
    assert "Next campaign?: AI" in after and "Adopt the statement?" not in after, after
    assert "Nothing at all." in await _mydata(bot, BOB)


async def test_forgetme_takes_votes_out_of_open_polls_and_keeps_closed_counts(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path, admins=[ADMIN])
    database = config.resolve(config.paths.database)
    async with ChatHarness(config, ManualClock(START)) as bot:
        bot.transport.add_members(RoomId(LOBBY), ADMIN, ALICE, BOB, CAROL)
        open_poll = await _open(bot, f'kind=choice question="Next?" options="Data; AI" {CLOSES}')
        closed = await _open(bot, f'kind=proposal question="Adopt it?" {CLOSES}')
        await bot.ask(f"!vote {open_poll} 2", sender=ALICE)
        await bot.ask(f"!vote {open_poll} 1", sender=BOB)
        await bot.ask(f"!vote {closed} block not now", sender=ALICE)
        await bot.ask(f"!vote {closed} agree", sender=BOB)
        await bot.ask(f"!poll close {closed}", sender=ADMIN)
        await bot.advance(minutes=1)
        before = await bot.ask(f"!poll {closed}", sender=BOB)
        assert "Block: 1" in before and "Agree: 1" in before, before
        await bot.send("!forgetme", sender=ALICE)
        await bot.send("!forgetme confirm", sender=ALICE)
        await bot.app.checkpoint_if_due()
        assert _mentions(database, ALICE) == [], "\n".join(_mentions(database, ALICE))
        assert _bytes_in_files(database, ALICE.encode()) == []
        card = await bot.ask(f"!poll {open_poll}", sender=BOB)
        assert "Voted so far: 1 of 3." in card and "2. AI — 0" in card, card
        after = await bot.ask(f"!poll {closed}", sender=BOB)
        assert "Block: 1" in after and "Agree: 1" in after, after
        assert "Blocked by (erased): not now" in after, after
        assert "Nothing at all." in await _mydata(bot, ALICE)


async def test_forgetme_keeps_a_delegates_vote_for_their_organisation_out_of_open_polls(
    bot: ChatHarness,
) -> None:
    await bot.send(APPLY, sender=CAROL)
    await bot.send("!members approve 1", sender=ADMIN, is_direct=True, room="!dm-admin:x")
    assert await bot.app.members.delegations() == {CAROL: 1}
    number = await _open(bot, f'kind=proposal question="Join?" voters=organisations {CLOSES}')
    assert "counted" in await bot.ask(f"!vote {number} agree", sender=CAROL)
    assert f"#{number} Join?: Agree" in await _mydata(bot, CAROL)
    await bot.send("!forgetme", sender=CAROL)
    await bot.send("!forgetme confirm", sender=CAROL)
    assert await bot.app.polls.votes_of(CAROL) == []
    assert (await bot.app.polls.outcome(await bot.app.polls.get(number))).voted == 0


async def test_privileged_poll_commands_are_in_the_audit_log(bot: ChatHarness) -> None:
    first = await _open(bot, f'kind=proposal question="Adopt it?" {CLOSES}')
    second = await _open(bot, f'kind=proposal question="Or this?" {CLOSES}')
    await bot.ask(f'!poll extend {first} "2027-01-20 18:00"', sender=ADMIN)
    await bot.ask(f"!poll cancel {second}", sender=ADMIN)
    await bot.ask(f"!poll close {first}", sender=ADMIN)
    entries = await bot.app.privacy.recent_actions(10)
    assert [(e.actor, e.command) for e in reversed(entries)] == [
        (ADMIN, "poll add"),
        (ADMIN, "poll add"),
        (ADMIN, "poll extend"),
        (ADMIN, "poll cancel"),
        (ADMIN, "poll close"),
    ]
    assert 'question="Adopt it?"' in entries[-1].detail
    assert entries[0].detail == str(first)


async def test_a_secret_ballot_leaves_no_voters_id_on_disk(tmp_path: Path) -> None:
    config = make_config(tmp_path, admins=[ADMIN])
    database = config.resolve(config.paths.database)
    voters = (ALICE, BOB, CAROL)
    async with ChatHarness(config, ManualClock(START)) as bot:
        bot.transport.add_members(RoomId(LOBBY), ADMIN, *voters)
        number = await _open(
            bot, f'kind=choice question="Chair?" options="Ana; Ben" secret=yes {CLOSES}'
        )
        for voter, choice in zip(voters, ("Ana", "Ben", "Ana"), strict=True):
            assert "is counted" in await _dm(bot, f"!vote {number} {choice}", voter)
        assert "already voted" in await _dm(bot, f"!vote {number} Ben", ALICE)
        await bot.app.checkpoint_if_due()
        for voter in voters:
            assert _mentions(database, voter) == [], voter
            assert _bytes_in_files(database, voter.encode()) == [], voter
        card = await bot.ask(f"!poll {number}", sender=ADMIN)
        assert "3 of 4" in card, card

"""Polls in chat on a fake clock: opening each kind, votes typed, secret ballots, quorum,
closing once, reminders, and who may open or close one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from natm_bot.config.settings import Config
from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import RoomId
from natm_bot.testing.harness import LOBBY, ChatHarness, Seen, make_config
from tests.conftest import ADMIN, ALICE, BOB

START = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
CAROL = "@carol:localhost"
DAVE = "@dave:localhost"
MOD = "@mod:localhost"
CLOSES = 'closes="2027-01-15 18:00" tz=UTC'


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, admins=[ADMIN])


@pytest.fixture
async def bot(config: Config) -> AsyncIterator[ChatHarness]:
    async with ChatHarness(config, ManualClock(START)) as harness:
        harness.transport.add_members(RoomId(LOBBY), ADMIN, ALICE, BOB, CAROL, DAVE)
        yield harness


async def _open(bot: ChatHarness, fields: str, sender: str = ADMIN) -> int:
    body = await bot.ask(f"!poll add {fields}", sender=sender)
    assert body.startswith("Poll #"), body
    return int(body.split("#")[1].split()[0])


def _outcomes(seen: list[Seen]) -> list[str]:
    return [s.body for s in seen if "Outcome of poll" in s.body]


async def test_a_secret_ballot_counts_one_final_vote_each_and_closes_once(
    bot: ChatHarness,
) -> None:
    number = await _open(
        bot, f'kind=choice question="Next campaign?" options="Data; AI; ID" secret=yes {CLOSES}'
    )
    assert not bot.transport.sent[-1].reply.markdown.startswith("Tap")
    refused = await bot.ask(f"!vote {number} 1", sender=ALICE)
    assert "direct message" in refused
    counted = await bot.ask(f"!vote {number} 2", sender=ALICE, is_direct=True, room="!dm-a:x")
    assert "is counted: AI" in counted, counted
    again = await bot.ask(f"!vote {number} 3", sender=ALICE, is_direct=True, room="!dm-a:x")
    assert "already voted" in again
    await bot.ask(f"!vote {number} AI", sender=BOB, is_direct=True, room="!dm-b:x")
    seen = await bot.advance(days=6)
    [outcome] = _outcomes(seen)
    assert "2 of 5 voted" in outcome and "AI: 2" in outcome, outcome
    assert _outcomes(await bot.advance(days=1)) == []


async def test_a_vote_after_the_close_is_not_counted_and_its_voter_is_told(
    bot: ChatHarness,
) -> None:
    number = await _open(bot, f'kind=proposal question="Adopt it?" secret=yes {CLOSES}')
    await bot.advance(days=6)
    late = await bot.ask(f"!vote {number} agree", sender=BOB, is_direct=True, room="!dm-b:x")
    assert "after the close" in late, late


async def test_quorum_not_reached_is_said_with_the_count(bot: ChatHarness) -> None:
    number = await _open(bot, f'kind=proposal question="Adopt it?" quorum=50% secret=yes {CLOSES}')
    for person in (ALICE, BOB):
        await bot.ask(f"!vote {number} agree", sender=person, is_direct=True, room=f"!d{person}")
    [outcome] = _outcomes(await bot.advance(days=6))
    assert "quorum not reached (2/5)" in outcome, outcome


async def test_a_person_with_no_role_cannot_open_a_poll(bot: ChatHarness) -> None:
    body = await bot.ask(f'!poll add kind=proposal question="x" {CLOSES}', sender=BOB)
    assert body.startswith("Sorry, only"), body


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ('kind=vote question="x" closes="2027-01-15 18:00"', "kind is one of"),
        ('kind=choice question="x" options="one" closes="2027-01-15 18:00"', "2 to 20"),
        ('kind=choice question="x" options="a; A" closes="2027-01-15 18:00"', "the same"),
        ('kind=proposal question="x" closes="2026-01-15 18:00"', "in the past"),
        ('kind=proposal question="x" closes="2027-01-15 18:00" quorum=0', "not a quorum"),
        ('kind=proposal question="x" closes="2027-01-15 18:00" threshold=3/2', "not a share"),
        ('kind=choice question="x" options="a; b" max=2 closes="2027-01-15 18:00"', "takes max"),
        (
            'kind=time question="x" options="2027-03-28 02:30; 2027-03-29 10:00" '
            'tz=Europe/Berlin closes="2027-01-15 18:00"',
            "skip",
        ),
    ],
)
async def test_a_poll_typed_wrong_is_refused_with_the_reason_and_nothing_opens(
    bot: ChatHarness, fields: str, said: str
) -> None:
    body = await bot.ask(f"!poll add {fields}", sender=ADMIN)
    assert said in body, body
    assert "There is no poll #1" in await bot.ask("!poll 1", sender=ADMIN)

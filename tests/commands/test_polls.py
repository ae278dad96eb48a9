"""Polls in chat on a fake clock: opening each kind, votes typed, secret ballots, quorum,
closing once, reminders, and who may open or close one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from natm_bot.config.settings import Config
from natm_bot.core.messages import RoomId
from natm_bot.testing.harness import LOBBY, ChatHarness, Seen, make_config
from tests.conftest import ADMIN, ALICE, BOB
from tests.polls import poll_room

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
    async with poll_room(config, START, ALICE, BOB, CAROL, DAVE) as harness:
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


async def test_taps_count_like_typed_votes_and_the_last_one_before_the_close_counts(
    bot: ChatHarness,
) -> None:
    number = await _open(
        bot, f'kind=choice question="Next campaign?" options="Data; AI; ID" {CLOSES}'
    )
    [started] = bot.transport.polls
    assert [text for _, text in started.poll.answers] == ["Data", "AI", "ID"]
    assert await bot.tap(started.event_id, "1", sender=ALICE) == []  # a tap is answered by Element
    bot.clock.advance(timedelta(minutes=1))  # votes of one instant count in event order
    await bot.tap(started.event_id, "3", sender=ALICE)  # a change of mind
    said = await bot.ask(f"!vote {number} AI", sender=BOB)
    assert "is counted: AI" in said, said
    bot.clock.advance(timedelta(minutes=1))
    await bot.tap(started.event_id, "1", sender=BOB)  # a tap replaces a typed vote
    card = await bot.ask(f"!poll {number}", sender=CAROL)
    assert "1. Data — 1" in card and "3. ID — 1" in card and "2 of 5" in card, card
    seen = await bot.advance(days=6)
    [outcome] = _outcomes(seen)
    assert "a tie between Data, ID" in outcome, outcome
    [ended] = bot.transport.ended_polls
    assert ended.poll_event == started.event_id and "Outcome of poll" in ended.text


async def test_a_reminder_says_how_many_voted_and_never_who_has_not(bot: ChatHarness) -> None:
    number = await _open(bot, f'kind=proposal question="Adopt it?" {CLOSES}')
    await bot.ask(f"!vote {number} agree", sender=ALICE)
    seen = await bot.advance(days=4, hours=10)  # 24 hours before the close
    [reminder] = [s.body for s in seen if "closes" in s.body]
    assert "1 of 5 have voted" in reminder, reminder
    assert not any(name in reminder for name in ("bob", "carol", "dave"))
    assert [s for s in await bot.advance(hours=12) if "have voted" in s.body] == []


async def test_one_voice_per_organisation_and_both_delegates_are_told(
    bot: ChatHarness,
) -> None:
    for number, name in ((1, "Red"), (2, "Green"), (3, "Blue")):
        await bot.send(
            f'!members apply name="{name} Network" category=civil-society country=KE '
            f'website=https://{name.lower()}.example.org description="A network."',
            sender=f"@applicant{number}:localhost",
        )
        await bot.send(f"!members approve {number}", sender=ADMIN)
    await bot.ask(f"!members delegate add 1 {BOB}", sender=ADMIN)
    number = await _open(
        bot, f'kind=proposal question="Adopt it?" voters=organisations quorum=50% {CLOSES}'
    )
    first = await bot.ask(f"!vote {number} agree", sender="@applicant1:localhost")
    assert "is counted" in first
    bot.clock.advance(timedelta(minutes=1))  # votes of one instant count in event order
    second = await bot.send(f"!vote {number} disagree", sender=BOB)
    texts = [s.body for s in second]
    assert any("in place of the vote @applicant1:localhost cast" in t for t in texts), texts
    assert any("that vote now counts for the organisation" in t for t in texts), texts
    outsider = [s.body for s in await bot.send(f"!vote {number} agree", sender=CAROL)]
    assert any("you are not one" in said for said in outsider), outsider
    assert any("answered you in a direct message" in said for said in outsider), outsider
    # A delegate who is not in the poll's room votes in a direct message.
    direct = await bot.ask(
        f"!vote {number} agree", sender="@applicant2:localhost", is_direct=True, room="!d2:x"
    )
    assert "is counted" in direct, direct
    [outcome] = _outcomes(await bot.advance(days=6))
    assert "not passed." in outcome and "2 of 3 voted" in outcome, outcome


async def test_only_admins_open_a_poll_of_the_organisations(bot: ChatHarness) -> None:
    bot.transport.set_power_level(RoomId(LOBBY), MOD, 50)  # type: ignore[arg-type]
    body = await bot.ask(
        f'!poll add kind=proposal question="x" voters=organisations {CLOSES}', sender=MOD
    )
    assert "only bot admins" in body, body
    opened = await bot.ask(f'!poll add kind=proposal question="x" {CLOSES}', sender=MOD)
    assert opened.startswith("Poll #1"), opened


async def test_a_cancelled_poll_posts_nothing_and_an_extended_one_closes_later(
    bot: ChatHarness,
) -> None:
    first = await _open(bot, f'kind=proposal question="One?" {CLOSES}')
    second = await _open(bot, f'kind=proposal question="Two?" {CLOSES}')
    assert "cancelled" in await bot.ask(f"!poll cancel {first}", sender=ADMIN)
    earlier = await bot.ask(f'!poll extend {second} "2027-01-14 18:00"', sender=ADMIN)
    assert "only move later" in earlier, earlier
    later = await bot.ask(f'!poll extend {second} "2027-01-20 18:00"', sender=ADMIN)
    assert "now closes" in later, later
    assert _outcomes(await bot.advance(days=6)) == []
    [outcome] = _outcomes(await bot.advance(days=5))
    assert "poll #2" in outcome and bot.transport.ended_polls[0].poll_event == (
        bot.transport.polls[1].event_id
    )

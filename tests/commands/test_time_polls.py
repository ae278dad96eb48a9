"""A "find a time" poll across the spring change of the clocks in Berlin, five voters in five
zones: each reads the options in their own zone, the outcome ranks the times by who can make
them and by how many it puts outside 08:00–22:00, and a meeting is planned from it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from natm_bot.config.settings import Config
from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import RoomId, UserId
from natm_bot.testing.harness import LOBBY, ChatHarness, make_config
from tests.conftest import ADMIN, examples

MOD = "@mod:localhost"  # moderates another room only
START = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
BOGOTA = "@bogota:localhost"  # America/Bogota, UTC-5 all year
LONDONER = "@utc:localhost"  # UTC
LAGOS = "@lagos:localhost"  # Africa/Lagos, UTC+1 all year
KOLKATA = "@kolkata:localhost"  # Asia/Kolkata, UTC+5:30
SINGAPORE = "@singapore:localhost"  # Asia/Singapore, UTC+8
ZONES = {
    BOGOTA: "America/Bogota",
    LONDONER: "UTC",
    LAGOS: "Africa/Lagos",
    KOLKATA: "Asia/Kolkata",
    SINGAPORE: "Asia/Singapore",
}

# The options, typed in Europe/Berlin, whose clocks go from UTC+1 to UTC+2 at 01:00 UTC on
# Sunday 28 March 2027; 1 and 2 are both 15:00 in Berlin, an hour apart in UTC:
#   1. Fri 26 Mar 15:00 CET  = 14:00 UTC
#   2. Mon 29 Mar 15:00 CEST = 13:00 UTC
#   3. Mon 29 Mar 08:30 CEST = 06:30 UTC
#   4. Tue 30 Mar 20:00 CEST = 18:00 UTC
OPTIONS = '"2027-03-26 15:00; 2027-03-29 15:00; 2027-03-29 08:30; 2027-03-30 20:00"'
# Each voter's local time of each option (* outside 08:00–22:00):
#              1.              2.             3.             4.
#   Bogota     Fri 26 09:00    Mon 29 08:00   Mon 29 01:30*  Tue 30 13:00
#   UTC        Fri 26 14:00    Mon 29 13:00   Mon 29 06:30*  Tue 30 18:00
#   Lagos      Fri 26 15:00    Mon 29 14:00   Mon 29 07:30*  Tue 30 19:00
#   Kolkata    Fri 26 19:30    Mon 29 18:30   Mon 29 12:00   Tue 30 23:30*
#   Singapore  Fri 26 22:00*   Mon 29 21:00   Mon 29 14:30   Wed 31 02:00*
LOCAL = {
    BOGOTA: (
        "Fri 26 Mar 2027, 09:00",
        "Mon 29 Mar 2027, 08:00",
        "Mon 29 Mar 2027, 01:30",
        "Tue 30 Mar 2027, 13:00",
    ),
    LONDONER: (
        "Fri 26 Mar 2027, 14:00",
        "Mon 29 Mar 2027, 13:00",
        "Mon 29 Mar 2027, 06:30",
        "Tue 30 Mar 2027, 18:00",
    ),
    LAGOS: (
        "Fri 26 Mar 2027, 15:00",
        "Mon 29 Mar 2027, 14:00",
        "Mon 29 Mar 2027, 07:30",
        "Tue 30 Mar 2027, 19:00",
    ),
    KOLKATA: (
        "Fri 26 Mar 2027, 19:30",
        "Mon 29 Mar 2027, 18:30",
        "Mon 29 Mar 2027, 12:00",
        "Tue 30 Mar 2027, 23:30",
    ),
    SINGAPORE: (
        "Fri 26 Mar 2027, 22:00",
        "Mon 29 Mar 2027, 21:00",
        "Mon 29 Mar 2027, 14:30",
        "Wed 31 Mar 2027, 02:00",
    ),
}
# The votes (Singapore first taps 3 alone, then types 2 and 3: the last vote counts):
#   Bogota 1 2 (typed), UTC 1 2 4 (tapped), Lagos 1 3 (typed), Kolkata 1 2 3 (tapped),
#   Singapore 2 3 (typed).
# Who can make each: 1: Bogota, UTC, Lagos, Kolkata = 4; 2: Bogota, UTC, Kolkata,
# Singapore = 4; 3: Lagos, Kolkata, Singapore = 3; 4: UTC = 1.
# Outside 08–22 (of the 5 who voted): 1: 1 (Singapore); 2: 0; 3: 3; 4: 2.
# Ranked (most who can make it, then fewest outside hours): 2 (4, 0), 1 (4, 1), 3 (3, 3),
# 4 (1, 2). The best time is option 2: Mon 29 Mar 2027 15:00 in Berlin.
RANKED = [
    "Mon 29 Mar 2027, 15:00 (Europe/Berlin): 4 can make it, outside 08–22 for 0",
    "Fri 26 Mar 2027, 15:00 (Europe/Berlin): 4 can make it, outside 08–22 for 1",
    "Mon 29 Mar 2027, 08:30 (Europe/Berlin): 3 can make it, outside 08–22 for 3",
    "Tue 30 Mar 2027, 20:00 (Europe/Berlin): 1 can make it, outside 08–22 for 2",
]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, admins=[ADMIN])


@pytest.fixture
async def bot(config: Config) -> AsyncIterator[ChatHarness]:
    async with ChatHarness(config, ManualClock(START)) as harness:
        harness.transport.add_members(RoomId(LOBBY), ADMIN, *ZONES)
        for person, zone in ZONES.items():
            assert zone in await harness.ask(f"!tz {zone}", sender=person)
        yield harness


async def _open_time_poll(bot: ChatHarness) -> tuple[int, str]:
    body = await bot.ask(
        f'!poll add kind=time question="Next assembly?" options={OPTIONS} tz=Europe/Berlin '
        'closes="2027-03-20 12:00"',
        sender=ADMIN,
    )
    assert body.startswith("Poll #"), body
    number = int(body.split("#")[1].split()[0])
    [native] = bot.transport.polls
    return number, native.event_id


async def _vote_and_close(bot: ChatHarness) -> tuple[int, list[str]]:
    number, event = await _open_time_poll(bot)
    assert "is counted" in await bot.ask(f"!vote {number} 1 2", sender=BOGOTA)
    await bot.tap(event, "1", "2", "4", sender=LONDONER)
    assert "is counted" in await bot.ask(f"!vote {number} 1 3", sender=LAGOS)
    await bot.tap(event, "1", "2", "3", sender=KOLKATA)
    await bot.tap(event, "3", sender=SINGAPORE)
    assert "is counted" in await bot.ask(f"!vote {number} 2 3", sender=SINGAPORE)
    seen = await bot.advance(days=11)
    return number, [s.body for s in seen if "Outcome of poll" in s.body]


async def test_each_voter_reads_the_options_in_their_own_zone(bot: ChatHarness) -> None:
    number, _event = await _open_time_poll(bot)
    for person, times in LOCAL.items():
        card = await bot.ask(f"!poll {number}", sender=person)
        lines = [line for line in card.splitlines() if line[:2] in ("1.", "2.", "3.", "4.")]
        zone = ZONES[person]
        assert lines == [f"{n}. {time} ({zone}) — 0" for n, time in enumerate(times, 1)], card


async def test_the_outcome_ranks_the_times_and_counts_those_outside_their_hours(
    bot: ChatHarness,
) -> None:
    number, outcomes = await _vote_and_close(bot)
    [outcome] = outcomes
    assert "Mon 29 Mar 2027, 15:00 (Europe/Berlin)." in outcome.splitlines()[0], outcome
    assert "5 of 6 voted" in outcome, outcome
    ranked = [line.removeprefix("• ") for line in outcome.splitlines() if line.startswith("• ")]
    assert ranked == RANKED, outcome
    # A voter reads the same ranking in their own zone.
    card = await bot.ask(f"!poll {number}", sender=SINGAPORE)
    assert "Mon 29 Mar 2027, 21:00 (Asia/Singapore): 4 can make it, outside 08–22 for 0" in card


async def test_a_meeting_is_planned_at_the_best_time_or_the_one_picked(bot: ChatHarness) -> None:
    number, _outcomes = await _vote_and_close(bot)
    best = await bot.ask(f'!meeting add title="Assembly" from=poll:{number}', sender=ADMIN)
    assert "Mon 29 Mar 2027, 15:00 (Europe/Berlin)" in best, best
    picked = await bot.ask(
        f'!meeting add title="Assembly, early" from=poll:{number} option=3', sender=ADMIN
    )
    assert "Mon 29 Mar 2027, 08:30 (Europe/Berlin)" in picked, picked
    elsewhere = await bot.ask(
        f'!meeting add title="Assembly" from=poll:{number} tz=Asia/Kolkata', sender=ADMIN
    )
    assert "Mon 29 Mar 2027, 18:30 (Asia/Kolkata)" in elsewhere, elsewhere
    listed = await bot.ask("!meetings", sender=ADMIN)
    assert listed.count("Assembly") == 3, listed


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ("from=poll:99", "There is no poll #99"),
        ("from=poll:{number} option=9", "1 to 4"),
        ("from=poll:{number} option=0", "the number of one of the poll's times"),
        ("from=poll:{number} option=two", "the number of one of the poll's times"),
        ('option=2 when="2027-04-01 10:00" tz=UTC', "picks one of the times"),
        ('from=poll:{number} when="2027-04-01 10:00"', "not both"),
        ("from=meeting:3", "from=poll:"),
        ("from=poll:{choice}", "not a time poll"),
        ("from=poll:{open}", "still open"),
    ],
)
async def test_a_meeting_from_a_poll_that_cannot_give_a_time_is_refused(
    bot: ChatHarness, fields: str, said: str
) -> None:
    number, _outcomes = await _vote_and_close(bot)
    choice = await bot.ask(
        '!poll add kind=choice question="Which?" options="a; b" closes="2027-04-20 12:00"',
        sender=ADMIN,
    )
    still = await bot.ask(
        f'!poll add kind=time question="When?" options={OPTIONS} tz=Europe/Berlin '
        'closes="2027-03-25 12:00"',
        sender=ADMIN,
    )
    typed = fields.format(
        number=number, choice=choice.split("#")[1].split()[0], open=still.split("#")[1].split()[0]
    )
    body = await bot.ask(f'!meeting add title="Assembly" {typed}', sender=ADMIN)
    assert said in body, body
    assert "Assembly" not in await bot.ask("!meetings", sender=ADMIN)


async def test_a_poll_of_a_room_the_organiser_is_not_in_gives_no_time(bot: ChatHarness) -> None:
    number, _outcomes = await _vote_and_close(bot)
    other = "!elsewhere:localhost"
    bot.transport.join(RoomId(other))
    bot.transport.add_members(RoomId(other), MOD)
    bot.transport.set_power_level(RoomId(other), UserId("@natm-bot:localhost"), 100)
    bot.transport.set_power_level(RoomId(other), UserId(MOD), 50)
    body = await bot.ask(
        f'!meeting add title="Assembly" from=poll:{number}', sender=MOD, room=other
    )
    assert f"There is no poll #{number}" in body, body


SOURCE = st.one_of(
    st.just("poll:1"),
    st.just("poll:1"),
    st.sampled_from(["poll:1", "poll:#1", " POLL : 1 ", "poll:2", "poll:0", "poll:", "poll:-1"]),
    st.builds("poll:{}".format, st.integers(-(10**20), 10**20)),
    st.builds("{}:{}".format, st.text(max_size=8), st.text(max_size=8)),
    st.text(max_size=30),
)
OPTION = st.one_of(
    st.none(),
    st.integers(1, 4).map(str),
    st.integers(-2, 6).map(str),
    st.integers(-(10**20), 10**20).map(str),
    st.text(max_size=10),
)
TIMES = {
    "Fri 26 Mar 2027, 15:00",
    "Mon 29 Mar 2027, 15:00",
    "Mon 29 Mar 2027, 08:30",
    "Tue 30 Mar 2027, 20:00",
}


@settings(
    max_examples=examples(120),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(source=SOURCE, option=OPTION)
async def test_anything_typed_as_from_and_option_plans_a_time_of_the_poll_or_is_refused(
    bot: ChatHarness, source: str, option: str | None
) -> None:
    if not bot.transport.polls:  # the first example: one closed time poll, #1
        await _vote_and_close(bot)
    assume('"' not in source and '"' not in (option or ""))
    before = len(await bot.app.meetings.active())
    picked = "" if option is None else f' option="{option}"'
    body = await bot.ask(f'!meeting add title="Assembly" from="{source}"{picked}', sender=ADMIN)
    after = len(await bot.app.meetings.active())
    assert "went wrong" not in body, body
    event("planned" if body.startswith("Planned") else "refused")
    if body.startswith("Planned"):
        assert after == before + 1, body
        assert any(f"{time} (Europe/Berlin)" in body for time in TIMES), body
    else:
        assert after == before, body
        assert "Usage:" in body or "There is no poll" in body or "`from`" in body, body

"""Planning meetings, answering them, time zones and looking after groups, in Spanish (a
person's choice), French (a room's) and Portuguese (the default), with no English text of the
catalogue left over; and notices to someone else written in that person's language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import RoomId, UserId
from natm_bot.testing.harness import LOBBY, ChatHarness, make_config
from tests.commands.test_languages import READERS, START, Reader, english_left
from tests.conftest import ADMIN, ALICE, BOB

CAROL = "@carol:localhost"
WHERE = 'when="2027-03-02 18:00" tz=Europe/Berlin'

ORGANISER = [
    f"!meeting add title=Call {WHERE} repeat=weekly reminders=1h",
    '!meeting add title=Assembly when="2027-04-06 18:00" tz=Europe/Berlin repeat="first tuesday"',
    "!meeting 2",
    '!meeting edit 1 when="2027-03-03 18:00"',
    '!meeting edit 1 when="2027-03-03 18:00" confirm',
    "!meeting edit 1 duration=2h",
    "!meeting cancel 1 2027-03-10",
    "!meeting cancel 2",
    '!meeting add title=Old when="2020-01-01 10:00" tz=Europe/Berlin',
    f"!meeting add title=Call {WHERE} duration=0 reminders=1h,1h",
    '!meeting add title=Call when="2027-02-30 18:00" tz=Narnia',
    '!group create "Community Networks" Building local networks together.',
    "!group addcoord community-networks @bob:localhost",
    "!group edit community-networks capacity 1",
    "!group edit community-networks capacity 0",
    "!group members community-networks",
    "!group export community-networks",
    "!group close community-networks",
    "!group reopen community-networks",
    "!group rmcoord community-networks @carol:localhost",
    "!group remove community-networks @carol:localhost",
]
MEMBER = [
    "!rsvp 1 maybe",
    "!meeting abc",
    "!meeting 99",
    "!tz",
    "!tz Berlin",
    "!tz",
    "!tz none",
    "!tz Narnia",
    "!tz 60m",
    "!join basket weaving",
    "!join non",
]


@pytest.fixture(params=READERS, ids=[r.how for r in READERS])
def reader(request: pytest.FixtureRequest) -> Reader:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
async def bot(tmp_path: Path, reader: Reader) -> AsyncIterator[ChatHarness]:
    config = make_config(tmp_path, admins=[ADMIN], language=reader.default)
    async with ChatHarness(config, ManualClock(START)) as harness:
        yield harness


async def _readers_speak(bot: ChatHarness, reader: Reader) -> None:
    """Alice and the admin choose Spanish, or the room is set to French; Portuguese is the
    default."""
    if reader.how == "person":
        for who in (ALICE, ADMIN):
            await bot.ask(f"!lang {reader.lang}", sender=who)
    if reader.how == "room":
        await bot.app.languages.set_room(LOBBY, reader.lang)


async def test_meetings_time_zones_and_groups_answer_in_the_readers_language(
    bot: ChatHarness, reader: Reader
) -> None:
    await _readers_speak(bot, reader)
    bot.transport.set_power_level(RoomId(LOBBY), UserId(ADMIN), 100)
    await bot.send("!rsvp 1 yes remind", sender=ALICE)  # no meeting yet: an error
    # Alice's direct messages are in her own language, which only the person case sets.
    readers = {LOBBY, await bot.transport.direct_room(UserId(ADMIN))}
    if reader.how != "room":
        readers.add(await bot.transport.direct_room(UserId(ALICE)))
    seen: list[tuple[str, str]] = []
    for command in ORGANISER[:3]:
        seen += [(command, s.body) for s in await bot.send(command, sender=ADMIN)]
    for command in ["!rsvp 1 yes remind", *MEMBER]:
        seen += [(command, s.body) for s in await bot.send(command, sender=ALICE)]
    for command in ORGANISER[3:]:
        replies = await bot.send(command, sender=ADMIN)
        seen += [(command, s.body) for s in replies if s.room_id in readers]
    assert len(seen) > len(ORGANISER) + len(MEMBER)
    for command, body in seen:
        assert english_left(body, reader.lang) == [], (command, body)
    said = dict(seen)
    weekday = {"es": "martes", "fr": "mardi", "pt": "terça-feira"}[reader.lang]
    assert weekday in said["!meeting 2"]


async def test_notices_to_others_are_in_their_own_language(tmp_path: Path) -> None:
    config = make_config(tmp_path, admins=[ADMIN])
    config = config.model_copy(
        update={"groups": config.groups.model_copy(update={"notify_coordinators": "dm"})}
    )
    async with ChatHarness(config, ManualClock(START)) as bot:
        for who, lang in ((ALICE, "es"), (BOB, "fr"), (CAROL, "pt")):
            await bot.app.languages.choose(who, lang)
        algo = await bot.app.groups.resolve("algorithm-observatory")
        await bot.app.groups.update(replace(algo, coordinators=(BOB,), capacity=1))
        bob, carol, alice = [
            await bot.transport.direct_room(UserId(u)) for u in (BOB, CAROL, ALICE)
        ]

        joined = await bot.send("!join algo", sender=ALICE)
        [to_alice] = [s.body for s in joined if s.room_id == LOBBY]
        assert to_alice.startswith("¡Te damos la bienvenida a Algorithm Observatory!")
        [to_bob] = [s.body for s in joined if s.room_id == bob]
        assert to_bob == "@alice:localhost a rejoint Algorithm Observatory."

        waiting = await bot.send("!join algo", sender=CAROL)
        [to_bob] = [s.body for s in waiting if s.room_id == bob]
        assert to_bob == "@carol:localhost s'est inscrit·e sur la liste d'attente (position 1)."

        left = await bot.send("!leave algo", sender=ALICE)
        [to_carol] = [s.body for s in left if s.room_id == carol]
        [to_bob] = [s.body for s in left if s.room_id == bob]
        assert to_carol.startswith("Boa notícia: abriu uma vaga")
        assert to_bob == "@carol:localhost est passé·e de la liste d’attente au groupe."

        removed = await bot.send("!group remove algo @carol:localhost", sender=ADMIN)
        [to_carol] = [s.body for s in removed if s.room_id == carol]
        assert to_carol == "Uma pessoa coordenadora tirou você de Algorithm Observatory."
        assert next(s.body for s in removed if s.room_id == LOBBY).startswith("Removed")

        await bot.send(f"!meeting add title=Call {WHERE} repeat=weekly", sender=ADMIN)
        await bot.send("!rsvp 1 yes", sender=ALICE)
        moved = await bot.send('!meeting edit 1 when="2027-03-03 18:00" confirm', sender=ADMIN)
        [to_alice] = [s.body for s in moved if s.room_id == alice]
        assert to_alice.startswith("La reunión #1 Call cambió y ya no tiene lugar el ")
        assert next(s.body for s in moved if s.room_id == LOBBY).startswith("Updated #1 Call.")

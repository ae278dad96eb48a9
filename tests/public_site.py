"""A bot with meetings, groups, members, sign-ups and RSVPs, its public page served on
127.0.0.1 from the same process: for the page's tests and its browser tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from natm_bot.config.http import HttpSection
from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import RoomId
from natm_bot.frontends.serving import public_site
from natm_bot.testing.harness import LOBBY, ChatHarness, make_config
from natm_bot.web.health import Readiness
from natm_bot.web.listener import Listener
from natm_bot.web.metrics import Metrics

ADMIN = "@admin:localhost"
ALICE = "@alice:localhost"
START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # a Monday; Europe's clocks change in March
WEEKLY = (
    '!meeting add title="Weekly call" when="2027-01-05 18:00" tz=Europe/Berlin repeat=weekly'
    ' reminders=0 group=ed-tech description="Ask @carol:localhost or !abc:localhost"'
)
ONCE = '!meeting add title="Open assembly" when="2027-02-10 15:00" tz=America/Sao_Paulo'
APPLY = (
    '!members apply name="Red de Radios Comunitarias" category=civil-society country=MX'
    ' website=https://radios.example.org description="Community radio stations in Oaxaca"'
    " contact=@dora:localhost"
)
APPLY_TOO = (
    '!members apply name="Tech Commons Kenya" category=learning country=KE'
    ' website=https://commons.example.org description="A school of free software in Nairobi"'
)


PUBLIC_ROOM = "!public:localhost"  # where #natm:example.org leads
CLOSES = 'closes="2027-01-20 18:00" tz=Europe/Berlin'
PUBLIC_POLLS = (
    f'!poll add kind=proposal question="Adopt the 2027 statement?" {CLOSES}',
    f'!poll add kind=choice question="Next campaign?" options="Data centres; Digital ID" {CLOSES}',
)
PRIVATE_POLL = f'!poll add kind=proposal question="Pay the lobby server?" {CLOSES}'


@dataclass
class Served:
    """The running bot and where its page is."""

    bot: ChatHarness
    url: str


async def populate(bot: ChatHarness) -> None:
    """Meetings (one weekly, a date cancelled), sign-ups, RSVPs and two listed members, the
    second with a delegate besides its applicant."""
    for text in (WEEKLY, ONCE, APPLY, APPLY_TOO):
        await bot.send(text, sender=ADMIN)
    for number in (1, 2):
        await bot.send(f"!members approve {number}", sender=ADMIN)
    await bot.send("!members delegate add 2 @erin-delegate:localhost", sender=ADMIN)
    await bot.send("!meeting cancel 1 2027-01-19", sender=ADMIN)
    await bot.send("!join ed-tech", sender=ALICE)
    await bot.send("!rsvp 1 yes remind", sender=ALICE)
    await bot.send("!support", sender=ALICE)
    await decide(bot)


async def decide(bot: ChatHarness) -> None:
    """Two polls decided in the public room (one blocked) and one in a room that is not."""
    bot.transport.aliases[RoomId("#natm:example.org")] = RoomId(PUBLIC_ROOM)
    bot.transport.add_members(RoomId(PUBLIC_ROOM), ADMIN, ALICE, "@dora:localhost")
    bot.transport.add_members(LOBBY, ADMIN, ALICE)
    for text in PUBLIC_POLLS:
        assert (await bot.send(text, sender=ADMIN, room=PUBLIC_ROOM))[0].body.startswith("Poll #")
    assert (await bot.send(PRIVATE_POLL, sender=ADMIN))[0].body.startswith("Poll #3")
    votes = [(ALICE, "1 block ask @carol:localhost first"), (ADMIN, "1 agree")]
    votes += [(ALICE, "2 Digital ID"), ("@dora:localhost", "2 2"), (ADMIN, "3 agree")]
    for sender, vote in votes:
        room = LOBBY if vote.startswith("3") else PUBLIC_ROOM
        await bot.send(f"!vote {vote}", sender=sender, room=room)
    for number in (1, 2, 3):
        await bot.send(f"!poll close {number}", sender=ADMIN)
    await bot.advance(minutes=1)


@asynccontextmanager
async def served(folder: Path, **sections: object) -> AsyncIterator[Served]:
    """The populated bot with its public page on 127.0.0.1 (any free port); `sections` of
    bot.yaml replaced."""
    config = make_config(
        folder, admins=[ADMIN], display_timezones=["UTC", "America/Mexico_City", "Asia/Kolkata"]
    )
    http = HttpSection(
        listen="127.0.0.1:0",
        public=True,
        public_url="https://natm.example.org",
        public_rooms=["#natm:example.org"],
    )
    config = config.model_copy(update={"http": http, **sections})
    async with ChatHarness(config, ManualClock(START)) as bot:
        await populate(bot)
        metrics = Metrics()

        async def writable() -> str | None:
            return await bot.app.db.can_write()

        readiness = Readiness(metrics, writable, stale_after=60)
        listener = Listener(http, metrics, readiness, public_site(bot.app))
        await listener.start()
        try:
            yield Served(bot, listener.urls[0])
        finally:
            await listener.stop()

"""A statement's milestone on a real Synapse: ten member organisations endorse it through
their delegates (one by reacting ✍️ to its card, as Element sends it), the bot is killed at
the milestone's moment (its announcement sent, not yet marked sent, the tenth endorsement
neither answered nor recorded as handled), and after the restart the room has heard of the
milestone exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from nio import RoomSendResponse

from tests.integration.conftest import BotFactory
from tests.integration.people import Person, members_file

People = Callable[[str], Awaitable[Person]]
ORGANISATIONS = 10
MILESTONE = "10 member organisations now endorse the statement"


def _body(event: object) -> str:
    return str(getattr(event, "source", {}).get("content", {}).get("body", ""))


def _milestones(person: Person, room: str, bot: str) -> list[str]:
    """The bot's messages in the room that announce the milestone."""
    return [
        _body(e)
        for e in person.events[room]
        if getattr(e, "sender", None) == bot and MILESTONE in _body(e)
    ]


async def _endorse(person: Person, room: str, bot: str) -> None:
    reply = await person.ask(room, "!endorse refusal", bot)
    assert "now endorses version 1" in _body(reply), reply.source


async def _react_on(person: Person, room: str, card: str, bot: str) -> None:
    """✍️ on the statement's card, as Element sends a reaction; answered as `!endorse` is."""
    relation = {"rel_type": "m.annotation", "event_id": card, "key": "\u270d\ufe0f"}
    sent = await person.client.room_send(room, "m.reaction", {"m.relates_to": relation})
    assert isinstance(sent, RoomSendResponse), sent
    reply = await person.reply(room, sent.event_id, bot)
    assert "now endorses version 1" in _body(reply), reply.source


async def test_the_ten_organisations_milestone_is_announced_once_across_a_kill(
    people: People, make_bot: BotFactory, bot_account: tuple[str, str], tmp_path: Path
) -> None:
    admin = await people("admin")
    delegates = list(await asyncio.gather(*(people(f"d{n}") for n in range(ORGANISATIONS))))
    bot_id = bot_account[0]
    room = await admin.create_room(
        [bot_id, *(d.mxid for d in delegates)], name="coalition", power={bot_id: 100}
    )
    await asyncio.gather(*(d.client.join(room) for d in delegates))
    section = {
        "statements": {"rooms": [room], "milestones": [ORGANISATIONS]},
        "safety": {"rate_burst": 1000, "rate_per_minute": 6000},  # one admin types fast
    }
    bot = make_bot(admins=(admin.mxid,), sections=section)
    imported = bot.cli("import", "members", str(members_file(tmp_path, ORGANISATIONS)))
    assert imported.returncode == 0, imported.stderr
    await bot.start()
    for user in (bot_id, *(d.mxid for d in delegates)):
        await admin.wait_joined(room, user)
    for number, person in enumerate(delegates, start=1):
        named = await admin.ask(room, f"!members delegate add {number} {person.mxid}", bot_id)
        assert person.mxid in _body(named), named.source
    added = '!statement add id=refusal title="We refuse" text="The original text."'
    card = await admin.ask(room, added, bot_id)
    assert "We refuse" in _body(card)
    await _react_on(delegates[0], room, card.event_id, bot_id)  # one endorses by ✍️
    await asyncio.gather(*(_endorse(d, room, bot_id) for d in delegates[1:-1]))
    assert _milestones(admin, room, bot_id) == []
    assert await bot.stop() == 0

    # Killed at its moment: right after the milestone was sent, before it was marked sent
    # (and before the endorsement was answered or recorded as handled).
    await bot.start(env={"NATM_BOT_FAULT": "kill-after-milestone"})
    await delegates[-1].say(room, "!endorse refusal")
    assert await bot.wait_exit() == -9
    await bot.start()  # the endorsement is read again from the inbox
    await admin.wait_for(lambda: _milestones(admin, room, bot_id), "the milestone")
    # The bot has answered everything before this by the time it answers it.
    await admin.ask(room, "!statement refusal", bot_id)
    await asyncio.sleep(2)
    assert len(_milestones(admin, room, bot_id)) == 1
    card = _body(await admin.ask(room, "!statement refusal", bot_id))
    assert f"Endorsed by {ORGANISATIONS} organisations:" in card

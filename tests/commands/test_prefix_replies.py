"""A bot whose prefix is `?`: every command (its help, a bare call, wrong and non-existent
arguments, by a person with no rights and by an admin), a meeting's announcement and
reminder, and the notices to other people show `?` and never tell anyone to type `!…`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import RoomId, UserId
from natm_bot.testing.harness import LOBBY, ChatHarness, Seen, make_config
from tests.commands.test_members import GOOD_APPLICATION
from tests.conftest import ADMIN, ALICE, BOB
from tests.unit.test_catalogues import _command_names, written_prefixes

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
MEETING = 'title=Call when="2027-03-02 18:00" tz=Europe/Berlin repeat=weekly reminders=1h'
# Besides each command alone and with these arguments: what a person or an organiser types
# on the way to a notice or an error that names another command.
ARGUMENTS = ("99999", "@nobody:localhost", 'nonsense "x" y=z')
SCENARIO = [
    (ADMIN, f"?meeting add {MEETING}"),
    (ALICE, "?rsvp 1 yes remind"),
    (ADMIN, '?meeting edit 1 when="2027-03-03 18:00"'),
    (ADMIN, '?meeting edit 1 when="2027-03-03 18:00" confirm'),
    (ALICE, "?rsvp 1 yes remind"),
    (ADMIN, "?meeting edit 1"),
    (ADMIN, "?meeting add title=Call when=tomorrow"),
    (ADMIN, '?meeting add title=X when="2027-03-02 18:00" tz=UTC repeat=sometimes'),
    (ADMIN, '?meeting add title=X when="2027-03-02 18:00" tz=UTC repeat="first tuesday"'),
    (ALICE, "?meeting 99"),
    (ALICE, "?tz"),
    (ALICE, "?join algo"),
    (BOB, "?join algo"),
    (ALICE, "?leave algo"),
    (ALICE, "?joi algo"),
    (ALICE, "?nothing-like-a-command"),
    (ALICE, "?members apply"),
    (ALICE, GOOD_APPLICATION.replace("!", "?", 1)),
    (ADMIN, "?members pending"),
    (ADMIN, "?members approve 1"),
    (ALICE, "?mydata"),
    (ALICE, "?forgetme"),
    (ADMIN, '?group create "Community Networks" Local networks.'),
]


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    config = make_config(tmp_path, admins=[ADMIN], prefix="?")
    groups = config.groups.model_copy(update={"notify_coordinators": "dm"})
    async with ChatHarness(config.model_copy(update={"groups": groups}), ManualClock(START)) as h:
        yield h


async def _everything_said(bot: ChatHarness) -> list[tuple[str, Seen]]:
    """What the bot said to anyone, in any room, along the scenario and every command."""
    algo = await bot.app.groups.resolve("algorithm-observatory")
    await bot.app.groups.update(replace(algo, coordinators=(BOB,)))
    bot.transport.set_power_level(RoomId(LOBBY), UserId(ADMIN), 100)
    seen: list[tuple[str, Seen]] = []
    for sender, text in SCENARIO:
        seen += [(text, s) for s in await bot.send(text, sender=sender)]
    seen += [("announcements", s) for s in await bot.advance(days=2)]
    for spec in bot.app.registry.commands:
        for sender in (ALICE, ADMIN):
            typed = [f"?help {spec.name}", f"?{spec.name}"]
            typed += [f"?{spec.name} {arguments}" for arguments in ARGUMENTS]
            for text in typed:
                seen += [(text, s) for s in await bot.send(text, sender=sender)]
    return seen


async def test_no_reply_help_or_notice_tells_anyone_to_type_an_exclamation_mark(
    bot: ChatHarness,
) -> None:
    names = _command_names()
    seen = await _everything_said(bot)
    assert len(seen) > 10 * len(bot.app.registry.commands)
    written = [
        (typed, found)
        for typed, said in seen
        for found in written_prefixes(said.body + "\n" + said.html, names)
    ]
    assert written == []
    bodies = {typed: said.body for typed, said in seen}
    assert "`?meetings`" in bodies["?meeting 99"] or "?meetings" in bodies["?meeting 99"]
    assert "?meeting add title=" in bodies["?help meeting add"]
    assert "?help" in bodies["?nothing-like-a-command"]
    everything = "\n".join(said.body for _, said in seen)
    for command in ("?rsvp 1 yes", "?meeting 1", "?members pending", "?member 1", "?leave algo"):
        assert command in everything, command

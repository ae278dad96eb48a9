"""A proposal of the member organisations decided in an encrypted room of a real homeserver:
delegates vote by tapping the native poll (the events Element sends) and by `!vote` in the
room and in a direct message; the bot is killed between the votes and again within a second
of the close; the outcome is posted exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from nio import RoomSendResponse

from tests.integration.conftest import BotFactory
from tests.integration.people import BotProcess, Person, members_file

People = Callable[[str], Awaitable[Person]]
START = "org.matrix.msc3381.poll.start"
END = "org.matrix.msc3381.poll.end"
ORGANISATIONS = 6


def _moment(delay: float) -> tuple[datetime, str]:
    """A closing time `delay` seconds ahead (whole seconds), and how `closes=` takes it."""
    moment = (datetime.now(UTC) + timedelta(seconds=delay)).replace(microsecond=0)
    return moment, moment.strftime("%Y-%m-%d %H:%M:%S")


def _of_type(person: Person, room: str, kind: str, sender: str) -> list[Any]:
    return [
        e
        for e in person.events[room]
        if e.source.get("type") == kind and getattr(e, "sender", None) == sender
    ]


def _notices(person: Person, room: str, sender: str, text: str) -> list[str]:
    bodies = [
        str(e.source.get("content", {}).get("body", ""))
        for e in person.events[room]
        if getattr(e, "sender", None) == sender and e.source.get("type") == "m.room.message"
    ]
    return [b for b in bodies if text in b]


async def _tap(person: Person, room: str, poll_event: str, *answers: str) -> None:
    """Tap answers on a native poll, with the content Element sends (matrix-js-sdk's
    PollResponseEvent.from(answers, pollEventId).serialize())."""
    content = {
        "m.relates_to": {"rel_type": "m.reference", "event_id": poll_event},
        "org.matrix.msc3381.poll.response": {"answers": list(answers)},
    }
    response = await person.client.room_send(
        room, "org.matrix.msc3381.poll.response", content, ignore_unverified_devices=True
    )
    assert isinstance(response, RoomSendResponse), response


async def _restart(bot: BotProcess) -> None:
    bot.kill()
    await bot.start()


async def _everyone_in(admin: Person, bot: BotProcess, people: list[Person]) -> str:
    room = await admin.create_room(
        [bot.user_id, *(p.mxid for p in people)], encrypted=True, name="assembly"
    )
    for person in people:
        await person.client.join(room)
    for user in (bot.user_id, *(p.mxid for p in people)):
        await admin.wait_joined(room, user)
    return room


async def _delegates(
    admin: Person, room: str, bot: BotProcess, pairs: list[tuple[int, Person]]
) -> None:
    for number, person in pairs:
        reply = await admin.ask(room, f"!members delegate add {number} {person.mxid}", bot.user_id)
        assert "delegate" in reply.source["content"]["body"], reply.source["content"]


async def test_a_proposal_of_the_organisations_is_decided_once_across_kills(
    people: People, make_bot: BotFactory, tmp_path: Path
) -> None:
    admin = await people("admin")
    d1, d1b, d2, d3, d4, d5, d6 = [
        await people(name) for name in ("d1", "d1b", "d2", "d3", "d4", "d5", "d6")
    ]
    bot = make_bot(admins=(admin.mxid,), sections={"polls": {"reminders": []}})
    imported = bot.cli("import", "members", str(members_file(tmp_path, ORGANISATIONS)))
    assert imported.returncode == 0, imported.stderr
    await bot.start()
    room = await _everyone_in(admin, bot, [d1, d1b, d2, d3, d4, d5, d6])
    pairs = [(1, d1), (1, d1b), (2, d2), (3, d3), (4, d4), (5, d5), (6, d6)]
    await _delegates(admin, room, bot, pairs)
    closes_at, closes = _moment(75)
    opened = await admin.ask(
        room,
        f'!poll add kind=proposal question="Adopt the 2027 statement?" voters=organisations '
        f'quorum=50% closes="{closes}" tz=UTC',
        bot.user_id,
    )
    assert "Poll #1 is open" in opened.source["content"]["body"], opened.source["content"]
    [start] = await admin.wait_for(
        lambda: _of_type(admin, room, START, bot.user_id), "the native poll"
    )
    poll_event = start.event_id
    question = start.source["content"][START]
    assert question["kind"] == "org.matrix.msc3381.poll.disclosed"
    assert [a["id"] for a in question["answers"]] == ["1", "2", "3", "4"]

    second = await admin.ask(
        room,
        f'!poll add kind=proposal question="Meet in person?" voters=organisations '
        f'quorum=50% closes="{_moment(80)[1]}" tz=UTC',
        bot.user_id,
    )
    assert "Poll #2 is open" in second.source["content"]["body"], second.source["content"]
    starts = await admin.wait_for(
        lambda: _of_type(admin, room, START, bot.user_id)[1:], "the second native poll"
    )
    await _tap(d2, room, starts[0].event_id, "3")
    await _tap(d3, room, starts[0].event_id, "1")

    await _tap(d1, room, poll_event, "1")  # agree
    bot.kill()
    await _tap(d2, room, poll_event, "1")  # while the bot is down
    await bot.start()
    await _tap(d3, room, poll_event, "1")
    said = await d4.ask(room, "!vote 1 agree", bot.user_id)
    assert "is counted" in said.source["content"]["body"], said.source["content"]
    d6_direct = await d6.create_room([bot.user_id], direct=True, name="d6 and the bot")
    direct = await d5.create_room([bot.user_id], direct=True, name="d5 and the bot")
    await d5.wait_joined(direct, bot.user_id)
    said = await d5.ask(direct, "!vote 1 agree", bot.user_id)
    assert "is counted" in said.source["content"]["body"], said.source["content"]
    replaced = await d1b.ask(room, "!vote 1 disagree too soon", bot.user_id)
    assert "in place of the vote" in replaced.source["content"]["body"]

    await asyncio.sleep(max(0.0, (closes_at - datetime.now(UTC)).total_seconds() - 0.7))
    bot.kill()  # within a second of the close
    await bot.start()
    await asyncio.sleep(max(0.0, (closes_at - datetime.now(UTC)).total_seconds() + 2))
    await _tap(d6, room, poll_event, "1")  # two seconds after the close

    [outcome] = await admin.wait_for(
        lambda: _notices(admin, room, bot.user_id, "Outcome of poll #1"), "the outcome"
    )
    [end] = [
        e
        for e in _of_type(admin, room, END, bot.user_id)
        if e.source["content"]["m.relates_to"]["event_id"] == poll_event
    ]
    text = end.source["content"]["org.matrix.msc1767.text"]
    assert "passed" in text and "5 of 6 voted" in text, text
    assert "passed." in outcome and "5 of 6 voted" in outcome, outcome
    await d6.wait_for(
        lambda: _notices(d6, d6_direct, bot.user_id, "after the close"), "the late voter told"
    )
    [quorum] = await admin.wait_for(
        lambda: _notices(admin, room, bot.user_id, "Outcome of poll #2"), "the second outcome"
    )
    assert "quorum not reached (2/6)" in quorum, quorum
    await _restart(bot)  # nothing is posted again after one more start
    sentinel = await admin.ask(room, "!polls", bot.user_id)
    assert "Closed" in sentinel.source["content"]["body"]
    assert len(_of_type(admin, room, END, bot.user_id)) == 2
    assert len(_notices(admin, room, bot.user_id, "Outcome of poll #1")) == 1

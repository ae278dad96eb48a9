"""A meeting's whole cycle in an encrypted room of a real homeserver: people answer its
announcement with reactions (and take them back), its reminder and "starting now" land in
the first announcement's thread, `#` lines said there are recorded (each marked ✍️), and the
minutes are posted exactly once although the bot is killed right after `!endmeeting`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from nio import RoomRedactResponse, RoomSendResponse

from tests.integration.conftest import BotFactory
from tests.integration.people import BotProcess, Person

People = Callable[[str], Awaitable[Person]]


def _from_bot(person: Person, room: str, bot: str, kind: str = "m.room.message") -> list[Any]:
    return [
        e
        for e in person.events[room]
        if getattr(e, "sender", None) == bot and e.source.get("type") == kind
    ]


def _bodies(person: Person, room: str, bot: str, text: str) -> list[Any]:
    return [
        e
        for e in _from_bot(person, room, bot)
        if text in str(e.source.get("content", {}).get("body", ""))
    ]


def _thread_of(event: Any) -> str | None:
    relation = event.source.get("content", {}).get("m.relates_to") or {}
    return relation.get("event_id") if relation.get("rel_type") == "m.thread" else None


async def _react(person: Person, room: str, target: str, key: str) -> str:
    """React as Element does: an `m.reaction` annotation (encrypted in an encrypted room, its
    relation left in the clear)."""
    content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": key}}
    response = await person.client.room_send(
        room, "m.reaction", content, ignore_unverified_devices=True
    )
    assert isinstance(response, RoomSendResponse), response
    return str(response.event_id)


async def _unreact(person: Person, room: str, reaction: str) -> None:
    response = await person.client.room_redact(room, reaction)
    assert isinstance(response, RoomRedactResponse), response


async def _in_thread(person: Person, room: str, root: str, body: str) -> str:
    """Say a line in a thread, as Element does."""
    thread = {
        "m.relates_to": {
            "rel_type": "m.thread",
            "event_id": root,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": root},
        }
    }
    return await person.say(room, body, extra=thread)


async def _everyone_in(host: Person, bot: BotProcess, people: list[Person]) -> str:
    room = await host.create_room(
        [bot.user_id, *(p.mxid for p in people)], encrypted=True, name="weekly"
    )
    for person in people:
        await person.client.join(room)
    for user in (bot.user_id, *(p.mxid for p in people)):
        await host.wait_joined(room, user)
    return room


async def test_a_meeting_from_its_announcement_to_its_minutes(
    people: People, make_bot: BotFactory
) -> None:
    host = await people("host")
    p1, p2, p3, p4 = [await people(name) for name in ("p1", "p2", "p3", "p4")]
    bot = make_bot(admins=(host.mxid,))
    await bot.start()
    room = await _everyone_in(host, bot, [p1, p2, p3, p4])
    start = (datetime.now(UTC) + timedelta(seconds=150)).replace(microsecond=0)
    plan = (
        f'!meeting add title="Weekly call" when="{start:%Y-%m-%d %H:%M:%S}" tz=UTC'
        f" duration=30m reminders=2m,1m,0 rooms={room}"
    )
    planned = await host.ask(room, plan, bot.user_id)
    assert "Planned #1" in planned.source["content"]["body"], planned.source

    # The first announcement (two minutes before): answered by reactions.
    first = (await host.wait_for(lambda: _bodies(host, room, bot.user_id, "React"), "it", 60))[0]
    assert _thread_of(first) is None
    r1 = await _react(p1, room, first.event_id, "✅")
    await _react(p2, room, first.event_id, "❔")
    await _react(p3, room, first.event_id, "❌")
    r4 = await _react(p4, room, first.event_id, "✅")
    await _unreact(p4, room, r4)
    await _react(p1, room, first.event_id, "❌")
    await _unreact(p1, room, r1)
    await asyncio.sleep(2)
    bot.kill()  # restarted in between: nothing changes
    await bot.start()
    card = await host.ask(room, "!meeting 1", bot.user_id)
    body = card.source["content"]["body"]
    assert "Next time: 0 going, 1 maybe, 2 not" in body, body

    # The reminder and "starting now" go into the first announcement's thread.
    root = first.event_id

    def threaded(text: str) -> list[Any]:
        return [e for e in _bodies(host, room, bot.user_id, text) if _thread_of(e) == root]

    await host.wait_for(lambda: threaded("starts in"), "the reminder in the thread", 120)
    starting = await host.wait_for(lambda: threaded("starting now"), "the start", 150)
    assert "0 yes, 1 maybe, 2 no" in starting[0].source["content"]["body"], starting[0].source
    assert all(_thread_of(e) in (None, root) for e in _from_bot(host, room, bot.user_id))

    # Four lines of minutes in the thread, two of them actions: each gets one ✍️.
    due = (datetime.now(UTC) + timedelta(days=30)).date()
    lines = [
        await _in_thread(p1, room, root, "#topic Posters for the campaign"),
        await _in_thread(p2, room, root, "#agreed We print 200 posters"),
        await _in_thread(p1, room, root, f"#action {p3.mxid} due {due} print the posters"),
        await _in_thread(p2, room, root, f"#action {p4.mxid} book the hall"),
    ]

    def marks() -> list[str]:
        found = _from_bot(host, room, bot.user_id, "m.reaction")
        relations = [e.source.get("content", {}).get("m.relates_to", {}) for e in found]
        return [r.get("event_id") for r in relations if r.get("key") == "✍️"]

    await host.wait_for(lambda: len(marks()) >= 4, "four ✍️", 60)
    assert sorted(marks()) == sorted(lines)

    # Killed right after answering `!endmeeting` (before recording it), then restarted.
    assert await bot.stop() == 0
    await bot.start(env={"NATM_BOT_FAULT": "kill-after-send"})
    await _in_thread(host, room, root, "!endmeeting 1")
    assert await bot.wait_exit() == -9
    await bot.start()
    minutes = await host.wait_for(lambda: threaded("Minutes of"), "the minutes", 60)
    await host.ask(room, "!minutes 1", bot.user_id)  # the restarted bot has caught up
    await asyncio.sleep(3)
    minutes = threaded("Minutes of")
    assert len(minutes) == 1, [m.source for m in minutes]
    text = minutes[0].source["content"]["body"]
    assert "print the posters" in text and "book the hall" in text, text
    assert not _bodies(host, room, bot.user_id, "Sorry"), "nothing refused after the restart"

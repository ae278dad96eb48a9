"""Native polls on a real homeserver: a poll the bot's transport starts and ends reaches a
person's client, decrypted, with the content Element sends; taps on polls (an encrypted
unstable poll response, a plain stable one) reach the bot's inbox and are taken once, also
when cast while the bot was down, across kill -9."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from nio import RoomSendResponse, UnknownEvent

from natm_bot.core.messages import EventId, NativePoll, RoomId
from natm_bot.matrix.crypto import Crypto
from natm_bot.matrix.polls import end_content, start_content
from natm_bot.matrix.sending import MatrixTransport
from tests.integration.people import BotProcess, Person, deliver_key, without_key

People = Callable[[str], Awaitable[Person]]
POLL = NativePoll(
    question="Lunch on Friday?",
    answers=(("pizza", "Pizza"), ("soup", "Soup"), ("none", "I'll skip it")),
    max_selections=1,
    disclosed=False,
    fallback="Lunch on Friday?\n1. Pizza\n2. Soup\n3. I'll skip it",
)


async def _room_with(host: Person, guest: Person, *, encrypted: bool) -> str:
    room = await host.create_room([guest.mxid], encrypted=encrypted)
    await guest.wait_for(lambda: room in guest.client.invited_rooms, "the invitation")
    await guest.client.join(room)
    await host.wait_joined(room, guest.mxid)
    return room


def _received(person: Person, room: str, event_id: str) -> Any:
    found = [e for e in person.events[room] if e.event_id == event_id]
    return found[0] if found else None


async def test_a_poll_started_and_ended_by_the_transport_is_element_s_own_shape(
    people: People,
) -> None:
    organiser, alice = await people("organiser"), await people("alice")
    room = await _room_with(organiser, alice, encrypted=True)
    transport = MatrixTransport(organiser.client, Crypto(organiser.client), encryption=True)
    await transport.notify_rooms_changed()

    started = await transport.start_poll(RoomId(room), POLL, "natm-p-live-1")
    assert await transport.start_poll(RoomId(room), POLL, "natm-p-live-1") == started
    event = await alice.wait_for(lambda: _received(alice, room, started), "the poll start")
    assert isinstance(event, UnknownEvent) and event.decrypted
    assert event.type == "org.matrix.msc3381.poll.start"
    assert event.source["content"] == start_content(POLL)

    ended = await transport.end_poll(RoomId(room), EventId(started), "Soup won.", "natm-e-live-1")
    event = await alice.wait_for(lambda: _received(alice, room, ended), "the poll end")
    assert isinstance(event, UnknownEvent) and event.decrypted
    assert event.type == "org.matrix.msc3381.poll.end"
    assert event.source["content"] == end_content(started, "Soup won.")
    starts = [e for e in alice.events[room] if getattr(e, "type", "").endswith("poll.start")]
    assert len(starts) == 1  # the repeated start was the same event


async def _send(person: Person, room: str, event_type: str, content: dict[str, Any]) -> str:
    response = await person.client.room_send(
        room, event_type, content, ignore_unverified_devices=True
    )
    assert isinstance(response, RoomSendResponse), response
    return str(response.event_id)


async def _tap(person: Person, room: str, poll: str, answer: str, *, stable: bool) -> str:
    key = "m.poll.response" if stable else "org.matrix.msc3381.poll.response"
    content = {
        "m.relates_to": {"rel_type": "m.reference", "event_id": poll},
        key: {"answers": [answer]},
    }
    return await _send(person, room, key, content)


def _line(tap: str, room: str, poll: str) -> str:
    return f"received a poll response {tap} in {room} for {poll}"


async def _settle(alice: Person, room: str, bot: BotProcess) -> None:
    """Once this is answered, everything sent before it has had its chance."""
    sentinel = await alice.say(room, "!help principles")
    await alice.reply(room, sentinel, bot.user_id)


async def test_taps_reach_the_inbox_once_also_while_the_bot_is_down(
    people: People, make_bot: Callable[..., BotProcess]
) -> None:
    alice = await people("alice")
    bot = make_bot(max_command_age=5)
    await bot.start()
    sealed = await alice.create_room([bot.user_id], encrypted=True)
    plain = await alice.create_room([bot.user_id], encrypted=False)
    for room in (sealed, plain):
        await alice.wait_joined(room, bot.user_id)
    polls = {
        room: await _send(alice, room, "org.matrix.msc3381.poll.start", start_content(POLL))
        for room in (sealed, plain)
    }

    first = await _tap(alice, sealed, polls[sealed], "soup", stable=False)
    await bot.wait_log(_line(first, sealed, polls[sealed]))
    bot.kill()  # as a power cut would
    second = await _tap(alice, plain, polls[plain], "pizza", stable=True)
    await asyncio.sleep(6)  # past max_command_age: a vote cast while the bot was down counts
    await bot.start()
    await bot.wait_log(_line(second, plain, polls[plain]))
    await _settle(alice, sealed, bot)
    bot.kill()
    await bot.start()
    await _settle(alice, plain, bot)

    log = bot.log_text()
    assert log.count(_line(first, sealed, polls[sealed])) == 1
    assert log.count(_line(second, plain, polls[plain])) == 1
    assert log.count("received a poll response") == 2
    assert await bot.stop() == 0


async def test_a_tap_whose_room_key_comes_later_reaches_the_inbox_once(
    people: People, bot_process: BotProcess
) -> None:
    alice = await people("alice")
    await bot_process.start()
    room = await alice.create_room([bot_process.user_id], encrypted=True)
    await alice.wait_joined(room, bot_process.user_id)
    poll = await _send(alice, room, "org.matrix.msc3381.poll.start", start_content(POLL))
    offset = len(bot_process.log_text())
    tap, held = await without_key(
        alice, room, bot_process.user_id, lambda: _tap(alice, room, poll, "pizza", stable=False)
    )
    await bot_process.wait_log(f"could not decrypt event {tap}", offset)
    bot_process.kill()  # while the tap waits for its key
    await deliver_key(alice, held)
    await bot_process.start()
    await bot_process.wait_log(_line(tap, room, poll), offset)
    await _settle(alice, room, bot_process)
    assert bot_process.log_text().count(_line(tap, room, poll)) == 1
    assert await bot_process.stop() == 0


async def test_a_tap_more_than_two_syncs_back_is_read_from_the_gap(
    people: People, make_bot: Callable[..., BotProcess]
) -> None:
    alice = await people("alice")
    bot = make_bot(max_command_age=5)
    await bot.start()
    room = await alice.create_room([bot.user_id], encrypted=False)
    await alice.wait_joined(room, bot.user_id)
    poll = await _send(alice, room, "org.matrix.msc3381.poll.start", start_content(POLL))
    assert await bot.stop() == 0
    tap = await _tap(alice, room, poll, "soup", stable=True)
    for n in range(220):  # more than a sync (100 events) and a page (100) carry
        await alice.say(room, f"chatting while the bot is away ({n})")
    await asyncio.sleep(6)  # every one of them older than max_command_age
    await bot.start()
    await bot.wait_log(_line(tap, room, poll))
    await _settle(alice, room, bot)
    assert bot.log_text().count(_line(tap, room, poll)) == 1
    assert await bot.stop() == 0

"""The in-memory transport refuses what no homeserver would do, and rooms nobody set up."""

from __future__ import annotations

import pytest

from natm_bot.core.messages import EventId, NativePoll, Outgoing, Reply, RoomId, UserId
from natm_bot.transport import SendFailed
from natm_bot.transport.memory import MemoryTransport, UnexpectedUse

ROOM = RoomId("!room:localhost")
ALICE = UserId("@alice:localhost")


def test_power_levels_of_a_room_never_set_up_are_refused() -> None:
    transport = MemoryTransport()
    with pytest.raises(UnexpectedUse, match="never set up"):
        transport.power_level(ROOM, ALICE)
    transport.without_state(ROOM)
    assert transport.power_level(ROOM, ALICE) is None
    transport.join(ROOM)
    assert transport.power_level(ROOM, ALICE) == 0
    transport.set_power_level(ROOM, ALICE, 50)
    assert transport.power_level(ROOM, ALICE) == 50


async def test_malformed_messages_are_refused() -> None:
    transport = MemoryTransport()
    with pytest.raises(UnexpectedUse, match="transaction id"):
        await transport.send(Outgoing(ROOM, Reply("hi"), ""))
    with pytest.raises(UnexpectedUse, match="not a room id"):
        await transport.send(Outgoing(RoomId("lobby"), Reply("hi"), "t1"))
    with pytest.raises(UnexpectedUse, match="only Outgoing"):
        await transport.send(Reply("hi"))  # type: ignore[arg-type]
    assert transport.sent == []


async def test_leaving_cutting_off_and_reconnecting_must_make_sense() -> None:
    transport = MemoryTransport()
    with pytest.raises(UnexpectedUse):
        transport.leave(ROOM, "M_WHATEVER")
    with pytest.raises(UnexpectedUse, match="not cut off"):
        await transport.reconnect(ROOM)
    transport.leave(ROOM)
    with pytest.raises(UnexpectedUse, match="was left"):
        transport.cut_off(ROOM)
    with pytest.raises(SendFailed):
        await transport.send(Outgoing(ROOM, Reply("hi"), "t1"))


POLL = NativePoll("Lunch?", (("a", "Pizza"), ("b", "Soup")), 1, True, "Lunch?\n1. Pizza\n2. Soup")


async def test_native_polls_are_recorded_once_per_transaction_id() -> None:
    transport = MemoryTransport()
    first = await transport.start_poll(ROOM, POLL, "p1")
    assert await transport.start_poll(ROOM, POLL, "p1") == first  # a resend: no second poll
    other = await transport.start_poll(ROOM, POLL, "p2")
    assert other != first
    assert [(p.room_id, p.poll, p.event_id) for p in transport.polls] == [
        (ROOM, POLL, first),
        (ROOM, POLL, other),
    ]
    end = await transport.end_poll(ROOM, first, "Pizza won", "e1")
    assert await transport.end_poll(ROOM, first, "Pizza won", "e1") == end
    assert [(e.poll_event, e.text, e.event_id) for e in transport.ended_polls] == [
        (first, "Pizza won", end)
    ]
    assert len({first, other, end}) == 3 and transport.sent == []


async def test_a_poll_no_client_could_show_or_no_room_takes_is_refused() -> None:
    transport = MemoryTransport()
    with pytest.raises(UnexpectedUse, match="21 answers"):
        many = tuple((str(n), str(n)) for n in range(21))
        await transport.start_poll(ROOM, NativePoll("Q", many, 1, True, "Q"), "p1")
    with pytest.raises(UnexpectedUse, match="transaction id"):
        await transport.start_poll(ROOM, POLL, "")
    transport.leave(ROOM)
    with pytest.raises(SendFailed):
        await transport.start_poll(ROOM, POLL, "p1")
    with pytest.raises(SendFailed):
        await transport.end_poll(ROOM, EventId("$x"), "closed", "e1")
    assert transport.polls == [] and transport.ended_polls == []

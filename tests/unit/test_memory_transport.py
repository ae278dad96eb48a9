"""The in-memory transport refuses what no homeserver would do, and rooms nobody set up."""

from __future__ import annotations

import pytest

from natm_bot.core.messages import Outgoing, Reply, RoomId, UserId
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

"""The room state, joins and upgrades of the in-memory transport."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from natm_bot.core.messages import EventId, Outgoing, RoomId
from natm_bot.transport import moved_to

_ids = itertools.count(1)


class MemoryRooms:
    """Room state kept as set (room, type, state key) → content, rooms joined (with the
    servers asked), and rooms followed to their upgrade."""

    def __init__(self) -> None:
        self.state: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.state_writes: list[tuple[str, str, str, dict[str, Any]]] = []  # every put_state
        self.joins: list[tuple[RoomId, tuple[str, ...]]] = []  # each join asked, with its via
        self.unjoinable: set[RoomId] = set()  # rooms that refuse the bot
        self.moved: dict[RoomId, RoomId] = {}

    async def put_state(
        self, room_id: RoomId, event_type: str, state_key: str, content: dict[str, Any]
    ) -> EventId:
        """Set a state event (and record the write); its event id."""
        self.state[(room_id, event_type, state_key)] = dict(content)
        self.state_writes.append((room_id, event_type, state_key, dict(content)))
        return EventId(f"$state-{next(_ids)}")

    async def get_state(
        self, room_id: RoomId, event_type: str, state_key: str = ""
    ) -> dict[str, Any] | None:
        """The content set in `state`, or None (also when it was emptied, as a homeserver
        reads an emptied state event)."""
        found = self.state.get((room_id, event_type, state_key))
        return dict(found) if found else None

    def asked_to_join(self, room_id: RoomId, via: Sequence[str]) -> bool:
        """Record a join asked for; whether the room lets the bot in."""
        self.joins.append((room_id, tuple(via)))
        return room_id not in self.unjoinable

    def follow(self, old: RoomId, new: RoomId) -> None:
        """Whatever names the old room reaches the new one from now on."""
        self.moved[old] = new

    def followed(self, room: RoomId) -> RoomId:
        """Where a room went, following its upgrades."""
        return moved_to(self.moved, room)

    def redirected(self, out: Outgoing) -> Outgoing:
        """The message sent to the room its destination moved to."""
        room = self.followed(out.room_id)
        return out if room == out.room_id else replace(out, room_id=room)

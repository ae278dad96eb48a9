"""Room state kept in memory for the in-memory transport: what `put_state` set."""

from __future__ import annotations

import itertools
from typing import Any

from natm_bot.core.messages import EventId, RoomId

_ids = itertools.count(1)


class MemoryState:
    """Room state as (room, type, state key) → content; every write is recorded."""

    def __init__(self) -> None:
        self.state: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.state_writes: list[tuple[str, str, str, dict[str, Any]]] = []

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
        """A state event's content, or None when none was set."""
        found = self.state.get((room_id, event_type, state_key))
        return dict(found) if found is not None else None

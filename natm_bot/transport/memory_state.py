"""Room state in the in-memory transport: state events set and read, rooms made and left."""

from __future__ import annotations

import hashlib
from typing import Any

from natm_bot.core.messages import EventId, RoomId, RoomSpec, UserId
from natm_bot.transport import SendFailed


class MemoryRoomState:
    """The state of each room as (room, type, state key) → content, the rooms the bot made
    (`made`, with the spec each was made from) and the rooms it left (`left`)."""

    bot_user: UserId
    refused: dict[RoomId, str]
    known_rooms: set[RoomId]
    power_levels: dict[tuple[RoomId, UserId], int]
    invites: list[tuple[RoomId, UserId]]

    def __init__(self) -> None:
        self.state: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.made: list[tuple[RoomId, RoomSpec]] = []
        self.left: list[RoomId] = []
        self.state_writes = 0  # how many state events the bot has sent

    async def put_state(
        self, room_id: RoomId, event_type: str, state_key: str, content: dict[str, Any]
    ) -> EventId:
        """Keep the content as the room's state; SendFailed in a room that refuses the bot."""
        code = self.refused.get(room_id)
        if code is not None:
            raise SendFailed(f"{room_id}: {code}", code)
        self.state[(room_id, event_type, state_key)] = dict(content)
        self.state_writes += 1
        key = f"{room_id}|{event_type}|{state_key}|{self.state_writes}"
        return EventId(f"$state-{hashlib.sha256(key.encode()).hexdigest()[:12]}")

    async def get_state(
        self, room_id: RoomId, event_type: str, state_key: str = ""
    ) -> dict[str, Any] | None:
        """The content set, None when there is none or the room refuses the bot."""
        if room_id in self.refused:
            return None
        found = self.state.get((room_id, event_type, state_key))
        return dict(found) if found is not None else None

    async def create_room(self, spec: RoomSpec) -> RoomId:
        """A room `!made-N:localhost` with the spec's state, the bot in it at level 100."""
        room_id = RoomId(f"!made-{len(self.made) + 1}:localhost")
        self.made.append((room_id, spec))
        for (event_type, key), content in initial_state(spec, self.bot_user).items():
            self.state[(room_id, event_type, key)] = content
        self.known_rooms.add(room_id)
        self.invites.extend((room_id, user) for user in spec.invite)
        for user, level in (*spec.power, (self.bot_user, 100)):
            self.power_levels[(room_id, user)] = level
        return room_id

    async def leave_room(self, room_id: RoomId) -> None:
        """The bot leaves: every send there is refused from now on."""
        self.left.append(room_id)
        self.refused.setdefault(room_id, "M_FORBIDDEN")


def initial_state(spec: RoomSpec, bot: UserId) -> dict[tuple[str, str], dict[str, Any]]:
    """The state a room made from the spec starts with, as a homeserver would keep it."""
    users = {str(user): level for user, level in spec.power} | {str(bot): 100}
    state: dict[tuple[str, str], dict[str, Any]] = {
        ("m.room.create", ""): {"type": "m.space"} if spec.space else {},
        ("m.room.name", ""): {"name": spec.name},
        ("m.room.history_visibility", ""): {"history_visibility": spec.history_visibility},
        ("m.room.join_rules", ""): {"join_rule": spec.join_rule},
        ("m.room.power_levels", ""): {"users": users},
    }
    if spec.topic:
        state[("m.room.topic", "")] = {"topic": spec.topic}
    if spec.encrypted:
        state[("m.room.encryption", "")] = {"algorithm": "m.megolm.v1.aes-sha2"}
    return state

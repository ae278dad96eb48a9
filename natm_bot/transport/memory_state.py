"""The room state, rooms made, joined and left, and upgrades of the in-memory transport."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from natm_bot.core.messages import EventId, Outgoing, RoomId, RoomSpec, UserId
from natm_bot.transport import SendFailed, moved_to


class MemoryRooms:
    """Room state kept as set (room, type, state key) → content (every write recorded in
    `state_writes`), the rooms the bot made (`made`, with their specs) and left (`left`),
    rooms joined (with the servers asked), and rooms followed to their upgrade."""

    bot_user: UserId
    refused: dict[RoomId, str]
    known_rooms: set[RoomId]
    power_levels: dict[tuple[RoomId, UserId], int]
    invites: list[tuple[RoomId, UserId]]

    def __init__(self) -> None:
        self.state: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.state_writes: list[tuple[str, str, str, dict[str, Any]]] = []  # every put_state
        self.made: list[tuple[RoomId, RoomSpec]] = []
        self.left: list[RoomId] = []
        self.joins: list[tuple[RoomId, tuple[str, ...]]] = []  # each join asked, with its via
        self.unjoinable: set[RoomId] = set()  # rooms that refuse the bot
        self.moved: dict[RoomId, RoomId] = {}

    async def put_state(
        self, room_id: RoomId, event_type: str, state_key: str, content: dict[str, Any]
    ) -> EventId:
        """Keep the content as the room's state (and record the write); SendFailed in a
        room that refuses the bot."""
        code = self.refused.get(room_id)
        if code is not None:
            raise SendFailed(f"{room_id}: {code}", code)
        self.state[(room_id, event_type, state_key)] = dict(content)
        self.state_writes.append((room_id, event_type, state_key, dict(content)))
        key = f"{room_id}|{event_type}|{state_key}|{len(self.state_writes)}"
        return EventId(f"$state-{hashlib.sha256(key.encode()).hexdigest()[:12]}")

    async def get_state(
        self, room_id: RoomId, event_type: str, state_key: str = ""
    ) -> dict[str, Any] | None:
        """The content set, or None: when there is none, when it was emptied (as a
        homeserver reads an emptied state event), or when the room refuses the bot."""
        if room_id in self.refused:
            return None
        found = self.state.get((room_id, event_type, state_key))
        return dict(found) if found else None

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


def initial_state(spec: RoomSpec, bot: UserId) -> dict[tuple[str, str], dict[str, Any]]:
    """The state a room made from the spec starts with, as a homeserver would keep it."""
    users = {str(user): level for user, level in spec.power} | {str(bot): 100}
    state: dict[tuple[str, str], dict[str, Any]] = {
        ("m.room.create", ""): {"room_version": "10"}
        | ({"type": "m.space"} if spec.space else {}),
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

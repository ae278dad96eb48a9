"""A transport that keeps what is sent in memory: for tests, benchmarks and the console."""

from __future__ import annotations

import hashlib

from natm_bot.messages import Outgoing, RoomId, UserId


class MemoryTransport:
    """Records every reply; room state is whatever the caller sets."""

    def __init__(self, bot_user: str = "@natm-bot:localhost") -> None:
        self.bot_user = UserId(bot_user)
        self.sent: list[Outgoing] = []
        self.power_levels: dict[tuple[RoomId, UserId], int] = {}
        self.direct_rooms: dict[UserId, RoomId] = {}
        self.invites: list[tuple[RoomId, UserId]] = []
        self._txn_ids: set[str] = set()

    async def send(self, out: Outgoing) -> None:
        """Keep the reply; a repeated txn id is dropped, as a homeserver would."""
        if out.txn_id in self._txn_ids:
            return
        self._txn_ids.add(out.txn_id)
        self.sent.append(out)

    def power_level(self, room_id: RoomId, user_id: UserId) -> int | None:
        """The level set with `set_power_level`, else 0."""
        return self.power_levels.get((room_id, user_id), 0)

    def set_power_level(self, room_id: RoomId, user_id: UserId, level: int) -> None:
        """Give a user a power level in a room."""
        self.power_levels[(room_id, user_id)] = level

    async def direct_room(self, user_id: UserId) -> RoomId:
        """A stable made-up DM room id per user."""
        if user_id not in self.direct_rooms:
            digest = hashlib.sha256(user_id.encode()).hexdigest()[:12]
            self.direct_rooms[user_id] = RoomId(f"!dm-{digest}:localhost")
        return self.direct_rooms[user_id]

    def is_direct(self, room_id: RoomId) -> bool:
        """Whether the room is one of the DM rooms made here."""
        return room_id in self.direct_rooms.values()

    async def invite(self, room_id: RoomId, user_id: UserId) -> bool:
        """Record the invitation."""
        if (room_id, user_id) not in self.invites:
            self.invites.append((room_id, user_id))
        return True

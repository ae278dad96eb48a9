"""A transport that keeps what is sent in memory: for tests, benchmarks and the console."""

from __future__ import annotations

import asyncio
import hashlib

from natm_bot.core.messages import Outgoing, RoomId, UserId
from natm_bot.transport import SendFailed

REFUSALS = {
    "M_FORBIDDEN": "You are not allowed to send messages in this room",
    "M_NOT_FOUND": "Unknown room",
}


class MemoryTransport:
    """Records every reply; room state is whatever the caller sets.

    Like a homeserver, it can refuse a room for good (the bot was kicked, or the room does not
    exist) and it can lose a room for a while (its server does not answer): sends there wait,
    as the Matrix transport keeps retrying, until the room is reachable again."""

    def __init__(self, bot_user: str = "@natm-bot:localhost") -> None:
        self.bot_user = UserId(bot_user)
        self.sent: list[Outgoing] = []
        self.power_levels: dict[tuple[RoomId, UserId], int] = {}
        self.known_rooms: set[RoomId] = set()  # rooms whose power levels the bot has seen
        self.direct_rooms: dict[UserId, RoomId] = {}
        self.invites: list[tuple[RoomId, UserId]] = []
        self.refused: dict[RoomId, str] = {}  # room → the Matrix error code it answers
        self.unreachable: set[RoomId] = set()
        self._reachable = asyncio.Condition()
        self._txn_ids: set[str] = set()

    async def send(self, out: Outgoing) -> None:
        """Keep the reply; a repeated txn id is dropped, as a homeserver would."""
        code = self.refused.get(out.room_id)
        if code is not None:
            raise SendFailed(f"{out.room_id}: {code} {REFUSALS.get(code, '')}".strip(), code)
        if out.room_id in self.unreachable:
            async with self._reachable:
                await self._reachable.wait_for(lambda: out.room_id not in self.unreachable)
        if out.txn_id in self._txn_ids:
            return
        self._txn_ids.add(out.txn_id)
        self.sent.append(out)

    def leave(self, room_id: RoomId, code: str = "M_FORBIDDEN") -> None:
        """The bot is no longer in the room (kicked, banned) or it never existed
        (code M_NOT_FOUND): every send there is refused for good from now on."""
        self.refused[room_id] = code

    def cut_off(self, room_id: RoomId) -> None:
        """The room stops answering: sends there wait until `reconnect`."""
        self.unreachable.add(room_id)

    async def reconnect(self, room_id: RoomId) -> None:
        """The room answers again: waiting sends go through."""
        self.unreachable.discard(room_id)
        async with self._reachable:
            self._reachable.notify_all()

    def power_level(self, room_id: RoomId, user_id: UserId) -> int | None:
        """The level set with `set_power_level`, else 0; None in a room where no level was
        ever set, which stands for a room whose state the bot does not know."""
        if (room_id, user_id) in self.power_levels:
            return self.power_levels[(room_id, user_id)]
        return 0 if room_id in self.known_rooms else None

    def set_power_level(self, room_id: RoomId, user_id: UserId, level: int) -> None:
        """Give a user a power level in a room."""
        self.power_levels[(room_id, user_id)] = level
        self.known_rooms.add(room_id)

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

"""Following a room's upgrade: the bot joins the replacement, every link to the old room
(group rooms, meeting rooms, the room's language) moves at once, and whatever still names the
old room (the config) reaches the new one."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from natm_bot.core.messages import EventId, RoomId, Tombstone, UserId, txn_id
from natm_bot.storage.rooms import RoomMoves
from natm_bot.transport import moved_to

log = logging.getLogger(__name__)

TOMBSTONE = "m.room.tombstone"

Moved = Callable[[RoomId, RoomId], Awaitable[None]]


class RoomsTransport(Protocol):
    """What following an upgrade needs of the transport."""

    async def join_room(self, room_id: RoomId, via: Sequence[str] = ()) -> bool:
        """Join the room (asking the servers `via`); True when joined."""

    async def get_state(
        self, room_id: RoomId, event_type: str, state_key: str = ""
    ) -> dict[str, Any] | None:
        """The content of a state event of the room; None when absent or not allowed."""

    def follow(self, old: RoomId, new: RoomId) -> None:
        """Whatever names the old room reaches the new one from now on."""


@dataclass(frozen=True)
class Move:
    """A room followed to its upgrade: how many links moved with it."""

    old: RoomId
    new: RoomId
    links: int


def server_of(matrix_id: str) -> str | None:
    """The server part of a room or user id (`!abc:example.org` → `example.org`), if any
    (rooms of version 12 name none)."""
    _, colon, server = matrix_id.partition(":")
    return server if colon and server and len(server) <= 255 else None


def replacement_in(content: dict[str, Any] | None) -> RoomId | None:
    """The room a tombstone's content points to, or None."""
    room = content.get("replacement_room") if content else None
    return RoomId(room) if isinstance(room, str) and room.startswith("!") else None


@dataclass
class RoomUpgrades:
    """Rooms that moved, followed once each."""

    store: RoomMoves
    transport: RoomsTransport
    on_moved: list[Moved] = field(default_factory=list)  # told old → new after each move
    _moves: dict[RoomId, RoomId] = field(default_factory=dict)

    async def load(self) -> None:
        """Read the rooms moved before, so what names them reaches the new ones."""
        self._moves = await self.store.all()
        for old, new in self._moves.items():
            self.transport.follow(old, new)

    def resolve(self, room: str) -> str:
        """The room to use for one named in the config or the database (its upgrade
        followed); an address (#name:server) is left to the transport."""
        return moved_to(self._moves, RoomId(room))

    async def follow(self, item: Tombstone) -> Move | None:
        """Join the replacement and move every link to it; None when the move was made
        before, names the room itself, or the replacement cannot be joined."""
        old, new = item.room_id, item.replacement
        if old == new or old in self._moves:
            return None
        via = [s for s in (server_of(old), server_of(item.sender)) if s]
        if not await self.transport.join_room(new, via=via):
            log.warning("room %s was upgraded to %s, which I could not join", old, new)
            return None
        links = await self.store.move(old, new)
        if links is None:
            return None
        self._moves[old] = new
        self.transport.follow(old, new)
        log.info("room %s was upgraded: followed to %s (%d links moved)", old, new, links)
        for hook in self.on_moved:
            try:
                await hook(old, new)
            except Exception:  # one listener failing keeps the move and the others
                log.exception("telling of the move of %s to %s failed", old, new)
        return Move(old, new, links)

    async def missed(self, rooms: Iterable[str], now: datetime) -> list[Tombstone]:
        """Of the rooms given (ids), the tombstones not followed yet (rooms upgraded while
        the bot was away), as if they came in `now`."""
        found = []
        for room in dict.fromkeys(r for r in rooms if r.startswith("!")):
            if RoomId(room) in self._moves:
                continue
            try:
                new = replacement_in(await self.transport.get_state(RoomId(room), TOMBSTONE))
            except Exception:  # followed when its tombstone is seen next
                log.exception("could not read whether %s was upgraded", room)
                continue
            if new is not None and new != room:
                event = EventId(txn_id("natm-moved-", room, new))
                found.append(Tombstone(RoomId(room), UserId(""), event, now, new, ""))
        return found

"""The coalition Space kept by the bot: a child entry for every open group's room and every
public room, and the Space as their parent; the bot's own entries that no longer belong are
taken out, and a child a person added is never touched."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from natm_bot.core.messages import RoomId
from natm_bot.storage.spaces import SpaceChild, SpaceStore
from natm_bot.transport import SendFailed, Transport

log = logging.getLogger(__name__)

CHILD = "m.space.child"
PARENT = "m.space.parent"


@dataclass(frozen=True)
class Wanted:
    """A room that belongs in the Space (by id or address), and whether it is suggested."""

    room: str
    suggested: bool


# The rooms that belong in the Space now (open groups' rooms, public rooms).
WantedRooms = Callable[[], Awaitable[Sequence[Wanted]]]


def server_of(room_id: str, home: str) -> str:
    """The server part of a room id (`!abc:example.org` → `example.org`); the bot's own
    server for an id of room version 12, which has none."""
    return room_id.partition(":")[2] or home


def child_content(child: SpaceChild) -> dict[str, Any]:
    """The `m.space.child` content of a child the bot keeps."""
    return {"via": list(child.via), "suggested": child.suggested}


def parent_content(space_id: str, home: str) -> dict[str, Any]:
    """The `m.space.parent` content the bot puts in a child."""
    return {"via": [server_of(space_id, home)], "canonical": True}


@dataclass
class SweepOutcome:
    """What a sweep did: children added or rewritten, taken out, and writes made."""

    added: list[str]
    removed: list[str]
    writes: int = 0


class SpaceKeeper:
    """Adds what is missing to the Space, removes the bot's children no longer wanted."""

    def __init__(
        self,
        transport: Transport,
        store: SpaceStore,
        space: str | None,
        wanted: WantedRooms,
        home: str,
    ) -> None:
        self._home = home  # the bot's server: the `via` of rooms whose id names none
        self._transport = transport
        self._store = store
        self._space = space
        self._wanted = wanted

    async def space_id(self) -> RoomId | None:
        """The configured Space's room id; None when there is none (or it does not resolve)."""
        if not self._space:
            return None
        try:
            return await self._transport.room_id(RoomId(self._space))
        except (SendFailed, OSError) as exc:
            log.warning("the coalition Space %s does not resolve: %s", self._space, exc)
            return None

    async def wanted_children(self, space: RoomId) -> dict[str, SpaceChild]:
        """The children the Space should have, by room id (addresses resolved)."""
        children: dict[str, SpaceChild] = {}
        for wanted in await self._wanted():
            try:
                room = await self._transport.room_id(RoomId(wanted.room))
            except (SendFailed, OSError) as exc:
                log.warning("the room %s does not resolve: %s", wanted.room, exc)
                continue
            if room == space:
                continue
            via = (server_of(room, self._home),)
            old = children.get(room)
            suggested = wanted.suggested or (old is not None and old.suggested)
            children[room] = SpaceChild(space, room, via, suggested)
        return children

    async def sweep(self) -> SweepOutcome:
        """Bring the Space in line with the groups and public rooms; write only what differs."""
        outcome = SweepOutcome([], [])
        space = await self.space_id()
        if space is None:
            return outcome
        wanted = await self.wanted_children(space)
        kept = await self._store.children(space)
        for child in wanted.values():
            await self._keep(space, child, outcome)
        for child_id in sorted(set(kept) - set(wanted)):
            await self._take_out(space, child_id, outcome)
        if outcome.writes:
            log.info(
                "the Space %s: %d children added or set, %d taken out",
                space, len(outcome.added), len(outcome.removed),
            )  # fmt: skip
        return outcome

    async def _keep(self, space: RoomId, child: SpaceChild, outcome: SweepOutcome) -> None:
        """The child entry in the Space and the parent entry in the child, as they should be."""
        content = child_content(child)
        if await self._transport.get_state(space, CHILD, child.child_id) != content:
            try:
                await self._transport.put_state(space, CHILD, child.child_id, content)
            except SendFailed as exc:
                log.warning("adding %s to the Space %s failed: %s", child.child_id, space, exc)
                return
            outcome.added.append(child.child_id)
            outcome.writes += 1
        await self._store.add(child)
        await self._set_parent(
            RoomId(child.child_id), space, parent_content(space, self._home), outcome
        )

    async def _take_out(self, space: RoomId, child_id: str, outcome: SweepOutcome) -> None:
        """Remove a child the bot added (empty content), and its parent entry where it may."""
        current = await self._transport.get_state(space, CHILD, child_id)
        if current:
            try:
                await self._transport.put_state(space, CHILD, child_id, {})
            except SendFailed as exc:
                log.warning("taking %s out of the Space %s failed: %s", child_id, space, exc)
                return
            outcome.writes += 1
        outcome.removed.append(child_id)
        await self._store.remove(space, child_id)
        await self._set_parent(RoomId(child_id), space, {}, outcome)

    async def _set_parent(
        self, room: RoomId, space: RoomId, content: dict[str, Any], outcome: SweepOutcome
    ) -> None:
        """The `m.space.parent` entry in a child, where the bot may set it."""
        current = await self._transport.get_state(room, PARENT, space)
        if (current or {}) == content:
            return
        try:
            await self._transport.put_state(room, PARENT, space, content)
        except SendFailed as exc:
            log.info("the parent entry of %s is not set: %s", room, exc)
            return
        outcome.writes += 1

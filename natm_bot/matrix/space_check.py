"""The coalition Space as `natm-bot doctor` sees it: whether the bot may add children, and
which group rooms are missing as children or lack the Space as their parent."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nio import AsyncClient, RoomGetStateResponse, RoomResolveAliasResponse

from natm_bot.core.messages import RoomId
from natm_bot.matrix.diagnose import REQUEST_TIMEOUT_S, joined_rooms, room_access
from natm_bot.matrix.roomstate import get_state

PARENT = "m.space.parent"


@dataclass(frozen=True)
class SpaceCheck:
    """What is wrong with the Space, if anything (each tuple: rooms as configured)."""

    space: str
    problem: str | None = None  # why the Space could not be looked at
    level: int = 0
    child_needed: int = 50
    not_children: tuple[str, ...] = ()
    no_parent: tuple[str, ...] = ()

    @property
    def can_add(self) -> bool:
        """The bot's level reaches that of `m.space.child`."""
        return self.level >= self.child_needed


async def _resolved(client: AsyncClient, room: str) -> str | None:
    if not room.startswith("#"):
        return room
    resolved = await asyncio.wait_for(client.room_resolve_alias(room), REQUEST_TIMEOUT_S)
    return resolved.room_id if isinstance(resolved, RoomResolveAliasResponse) else None


def _children(events: list[dict[str, Any]]) -> set[str]:
    """The Space's children that stand (an entry with no `via` is a removed one)."""
    return {
        str(event.get("state_key"))
        for event in events
        if event.get("type") == "m.space.child" and (event.get("content") or {}).get("via")
    }


def _child_level(events: list[dict[str, Any]]) -> int:
    for event in events:
        if event.get("type") == "m.room.power_levels" and event.get("state_key") == "":
            levels = event.get("content") or {}
            return int(
                levels.get("events", {}).get("m.space.child", levels.get("state_default", 50))
            )
    return 50


async def space_check(client: AsyncClient, space: str, rooms: Sequence[str]) -> SpaceCheck:
    """Look at the Space and at each room that should be its child."""
    access = await room_access(client, space, await joined_rooms(client))
    if access.problem is not None or access.room_id is None:
        return SpaceCheck(space, access.problem or "the address does not resolve")
    if not access.joined:
        return SpaceCheck(space, "the bot is not in it")
    state = await asyncio.wait_for(client.room_get_state(access.room_id), REQUEST_TIMEOUT_S)
    if not isinstance(state, RoomGetStateResponse):
        return SpaceCheck(space, f"its state was refused ({state})")
    children = _children(state.events)
    not_children: list[str] = []
    no_parent: list[str] = []
    for room in rooms:
        room_id = await _resolved(client, room)
        if room_id is None or room_id not in children:
            not_children.append(room)
        parent = await get_state(client, RoomId(room_id or room), PARENT, access.room_id)
        if not (parent or {}).get("via"):
            no_parent.append(room)
    return SpaceCheck(
        space, None, access.level, _child_level(state.events), tuple(not_children),
        tuple(no_parent),
    )  # fmt: skip

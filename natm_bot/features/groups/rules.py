"""A group room's join rule, following the group: without a capacity, members of the Space
join directly and anyone else knocks (`knock_restricted`); with one, everyone knocks
(`knock`), so every join passes through the bot. Rooms too old to knock keep their rule."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from natm_bot.core.messages import EventId, RoomId
from natm_bot.storage.groups import Group

log = logging.getLogger(__name__)

JOIN_RULES = "m.room.join_rules"
# The first room version that knows each rule.
SINCE = {"knock": 7, "knock_restricted": 10}


class RoomState(Protocol):
    """Room state the rule is read from and written to (a transport)."""

    async def put_state(
        self, room_id: RoomId, event_type: str, state_key: str, content: dict[str, Any]
    ) -> EventId: ...

    async def get_state(
        self, room_id: RoomId, event_type: str, state_key: str = ""
    ) -> dict[str, Any] | None: ...


def wanted(group: Group, space: RoomId | None) -> dict[str, Any]:
    """The join rule content the group's room should have."""
    if group.capacity is not None or space is None:
        return {"join_rule": "knock"}
    allow = [{"type": "m.room_membership", "room_id": space}]
    return {"join_rule": "knock_restricted", "allow": allow}


def supports(version: str, rule: str) -> bool:
    """Whether a room version knows the join rule (unknown, unstable versions: no)."""
    return version.isdigit() and int(version) >= SINCE.get(rule, 1)


@dataclass
class JoinRules:
    """Keeps group rooms' join rules as their groups want; says once per room when a room's
    version cannot knock."""

    state: RoomState
    room_id: Callable[[RoomId], Awaitable[RoomId]]  # a room's id from its id or address
    space: Callable[[], Awaitable[RoomId | None]]  # the Space's id, None without one
    first_fallback: Callable[[str, str], Awaitable[bool]]  # noted: whether for the first time

    async def apply(self, group: Group) -> str:
        """Write the group room's rule where it differs: "set", "same", "old-room" (its
        version cannot knock; left as it is) or "no-room"."""
        if not group.room:
            return "no-room"
        room = await self.room_id(RoomId(group.room))
        rule = wanted(group, await self.space())
        created = await self.state.get_state(room, "m.room.create") or {}
        version = str(created.get("room_version") or "1")
        if not supports(version, rule["join_rule"]):
            if await self.first_fallback(room, version):
                log.warning(
                    "room %s (group %s) has room version %s, which cannot use the join rule "
                    "%s: people join by invitation only; upgrade the room to version %d or "
                    "newer to let them knock",
                    room, group.id, version, rule["join_rule"], SINCE[rule["join_rule"]],
                )  # fmt: skip
            return "old-room"
        if await self.state.get_state(room, JOIN_RULES) == rule:
            return "same"
        await self.state.put_state(room, JOIN_RULES, "", rule)
        return "set"

    async def apply_all(self, groups: list[Group]) -> None:
        """Apply every group room's rule; a room that refuses is logged, the others go on."""
        for group in groups:
            try:
                await self.apply(group)
            except Exception:
                log.exception("could not set the join rule of %s's room", group.id)

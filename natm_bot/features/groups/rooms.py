"""Rooms the bot makes for working groups (`!group create … room=new`), and what becomes of
them when the group closes: left, or archived (invite-only, with a last notice)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from natm_bot.core.messages import RoomId, RoomSpec, UserId
from natm_bot.storage.groups import Group
from natm_bot.storage.spaces import SpaceStore
from natm_bot.transport import SendFailed, Transport

log = logging.getLogger(__name__)

COORDINATOR_LEVEL = 50
ADMIN_LEVEL = 100


def room_spec(group: Group, admins: Sequence[str], language: str) -> RoomSpec:
    """The room of a group: its name, the description in `language` as the topic, encrypted,
    history visible to members, coordinators at 50 and admins at 100, joined by invite."""
    topic = group.description.get(language) or next(iter(group.description.values()), "")
    power = {UserId(user): COORDINATOR_LEVEL for user in group.coordinators}
    power |= {UserId(user): ADMIN_LEVEL for user in admins}
    return RoomSpec(
        name=group.name,
        topic=topic,
        encrypted=True,
        history_visibility="shared",
        join_rule="invite",
        power=tuple(sorted(power.items())),
    )


class GroupRooms:
    """Makes a group's room, and leaves or archives the rooms it made when a group closes."""

    def __init__(self, transport: Transport, store: SpaceStore, admins: Sequence[str]) -> None:
        self._transport = transport
        self._store = store
        self._admins = tuple(admins)

    async def make(self, group: Group, language: str) -> RoomId:
        """Make the group's room; its id. SendFailed when the homeserver refuses."""
        room = await self._transport.create_room(room_spec(group, self._admins, language))
        await self._store.made(room, group.id)
        log.info("made the room %s for the group %s", room, group.id)
        return room

    async def made_room(self, group: Group) -> RoomId | None:
        """The group's room when the bot made it, else None."""
        if group.room and group.room in await self._store.made_for(group.id):
            return RoomId(group.room)
        return None

    async def leave(self, room: RoomId) -> None:
        """Leave a room the bot made, and forget it."""
        await self._transport.leave_room(room)
        await self._store.unmade(room)

    async def archive(self, room: RoomId) -> bool:
        """Make a room the bot made invite-only; whether the homeserver took it."""
        try:
            await self._transport.put_state(room, "m.room.join_rules", "", {"join_rule": "invite"})
        except SendFailed as exc:
            log.warning("archiving %s failed: %s", room, exc)
            return False
        return True

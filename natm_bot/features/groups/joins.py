"""Joining and leaving a group through its room: a knock is a `!join`, a direct join a
sign-up, and leaving the room leaves the group (when the config says so)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from natm_bot.config.settings import Config
from natm_bot.core.i18n import N_, _, speaking
from natm_bot.core.markdown import md_escape
from natm_bot.core.messages import Membership, Reply, RoomId, UserId
from natm_bot.features.groups.notices import (
    Languages,
    NotifyMode,
    Write,
    announce_promotions,
    tell_coordinators,
)
from natm_bot.features.groups.rules import JoinRules, RoomState
from natm_bot.features.groups.service import GroupService
from natm_bot.features.groups.views import bold_name
from natm_bot.storage.groups import Group

log = logging.getLogger(__name__)

LEFT = ("leave", "ban")  # left, was removed, or was banned


def _note(text: str, **values: object) -> Write:
    """A notice written, when it is sent, in the language of whoever reads it."""
    return lambda: _(text).format(**values)


@dataclass
class RoomJoins:
    """What a change of membership of a group's room does to the group."""

    groups: GroupService
    languages: Languages
    mode: NotifyMode  # where coordinators hear of sign-ups
    leave_with_room: bool
    prefix: str  # the command prefix, for the texts
    room_id: Callable[[RoomId], Awaitable[RoomId]]  # a room's id from its id or address

    async def changed(self, item: Membership) -> list[Reply]:
        """The notices a membership change of a group room calls for (none elsewhere)."""
        group = await self.group_of(item.room_id)
        if group is None:
            return []
        if item.membership == "knock":
            return await self._knocked(group, item.user)
        if item.membership == "join" and item.previous != "join":
            return await self._joined(group, item.user)
        if item.membership in LEFT and item.previous == "join" and self.leave_with_room:
            return await self._left(group, item.user)
        return []

    async def group_of(self, room: RoomId) -> Group | None:
        """The group whose room this is, by id or by an address that resolves to it."""
        groups = [g for g in await self.groups.all() if g.room]
        for group in groups:
            if group.room == room:
                return group
        for group in groups:
            if group.room and group.room.startswith("#"):
                try:
                    if await self.room_id(RoomId(group.room)) == room:
                        return group
                except Exception:
                    log.warning("the room %s of group %s does not resolve", group.room, group.id)
        return None

    async def _tell(self, group: Group, write: Write) -> list[Reply]:
        return await tell_coordinators(self.languages, self.mode, group, write)

    async def _knocked(self, group: Group, user: UserId) -> list[Reply]:
        """A knock is a `!join`: let in (invited) within the capacity, else waitlisted."""
        with speaking(await self.languages.for_person(user)):
            if not group.open:
                closed = _("{group} is closed to new members for now.")
                return [Reply(closed.format(group=bold_name(group)), to_user=user)]
        outcome = await self.groups.join(group, user)
        if outcome.status in ("joined", "already-member"):
            await self.groups.invite(group, user)
        if outcome.status == "joined":
            joined = N_("{person} joined {group}.")
            return await self._tell(
                group, _note(joined, person=md_escape(user), group=bold_name(group))
            )
        if outcome.status != "waiting":
            return []
        with speaking(await self.languages.for_person(user)):
            text = _(
                "{group} is full, so you are on its waitlist, number {position}. "
                "I'll tell you as soon as a place frees up. (`{leave}` takes you off the list.)"
            ).format(
                group=bold_name(group),
                position=outcome.position,
                leave=f"{self.prefix}leave {group.id}",
            )
        waiting = N_("{person} joined the waitlist (number {position}).")
        note = _note(waiting, person=md_escape(user), position=outcome.position)
        return [Reply(text, to_user=user), *await self._tell(group, note)]

    async def _joined(self, group: Group, user: UserId) -> list[Reply]:
        """A join into the room (a Space member's, say) is a sign-up; once."""
        outcome = await self.groups.join(group, user)
        if outcome.status == "waiting":
            log.warning("%s joined the room of %s, which is full: on its waitlist", user, group.id)
        if outcome.status != "joined":
            return []
        joined = N_("{person} joined {group}.")
        return await self._tell(
            group, _note(joined, person=md_escape(user), group=bold_name(group))
        )

    async def _left(self, group: Group, user: UserId) -> list[Reply]:
        """Leaving the room leaves the group; the first waiting moves up (and is invited)."""
        outcome = await self.groups.leave(group, user)
        if outcome.was is None:
            return []
        left = N_("{person} left the room of {group}, and so the group.")
        told = await self._tell(group, _note(left, person=md_escape(user), group=bold_name(group)))
        promoted = await announce_promotions(
            self.groups, self.languages, self.mode, group, outcome.promoted
        )
        return [*told, *promoted]


class Rooms(RoomState, Protocol):
    """What joins and join rules need of a transport: room ids and room state."""

    async def room_id(self, room: RoomId) -> RoomId: ...


def build_joins(
    groups: GroupService,
    languages: Languages,
    config: Config,
    transport: Rooms,
    first_fallback: Callable[[str, str], Awaitable[bool]],
) -> tuple[RoomJoins, JoinRules]:
    """The membership changes of group rooms and the join rules of those rooms, wired."""
    section = config.groups
    joins = RoomJoins(
        groups, languages, section.notify_coordinators, section.leave_with_room,
        config.bot.prefix, transport.room_id,
    )  # fmt: skip

    async def space() -> RoomId | None:
        coalition = config.spaces.coalition
        if not coalition:
            return None
        try:
            return await transport.room_id(RoomId(coalition))
        except Exception:
            log.warning("the Space %s does not resolve; group rooms keep knocking", coalition)
            return None

    return joins, JoinRules(transport, transport.room_id, space, first_fallback)

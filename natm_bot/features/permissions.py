"""Who may do what: judged by MXID and room state, never by display name.

Organiser actions are judged by what they reach, not by the room a command is typed in. A
meeting reaches the rooms it is announced in: a person may plan, change or cancel it when
every one of those rooms is theirs, before and after the change (a room where they are a
moderator, or the room of the meeting's group when they coordinate that group). Putting a
meeting into a group needs a coordinator of that group. A group's room is where its
coordinators may announce and where `!join` invites people, so a coordinator may set it only
to a room they moderate. Admins may do everything. The README's permission table says the
same, and a test tries each of its cells.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, Protocol

from natm_bot.core.i18n import _
from natm_bot.core.markdown import md_escape
from natm_bot.core.messages import Message, RoomId, UserId
from natm_bot.engine.gate import ALLOWED, REFUSED, Verdict
from natm_bot.engine.registry import Perm
from natm_bot.features.groups.service import GroupChange
from natm_bot.features.meetings.changes import MeetingChange
from natm_bot.storage.groups import Group
from natm_bot.storage.meetings import Meeting

__all__ = ["ALLOWED", "REFUSED", "GroupDirectory", "Permissions", "PowerLevel", "Verdict"]

# A person's power level in a room, or None when the room's levels are unknown.
PowerLevel = Callable[[RoomId, UserId], int | None]


class GroupDirectory(Protocol):
    """The working groups, as far as permissions need them."""

    async def all(self) -> list[Group]:
        """Every group."""

    async def is_coordinator(self, user_id: str) -> bool:
        """Coordinates any group."""


class Permissions:
    """Answers whether the sender of a message may do what they asked."""

    def __init__(
        self,
        admins: Collection[str],
        moderator_level: int,
        power_level: PowerLevel,
        groups: GroupDirectory,
    ) -> None:
        self._admins = admins
        self._moderator_level = moderator_level
        self._power_level = power_level
        self._directory = groups

    def is_admin(self, user: UserId) -> bool:
        """Listed under bot.admins in the config."""
        return user in self._admins

    def is_moderator(self, message: Message) -> bool:
        """A moderator of the room the message was typed in."""
        return self.moderates(message.sender, message.room_id)

    def moderates(self, user: str, room: str) -> bool:
        """Power level at or above the configured one in the room.

        A room whose power levels are unknown (the bot is not in it, or has not synced it
        yet) is nobody's: fail closed."""
        level = self._power_level(RoomId(room), UserId(user))
        return level is not None and level >= self._moderator_level

    async def allows(
        self, perm: Perm, message: Message, args: Mapping[str, Any] | None = None
    ) -> bool:
        """Whether the sender may run a command declared with `perm` on these arguments."""
        return (await self.judge(perm, message, args)).allowed

    async def judge(
        self, perm: Perm, message: Message, args: Mapping[str, Any] | None = None
    ) -> Verdict:
        """Whether the sender may run a command declared with `perm` on these arguments.

        Organiser and group levels look at the meetings and groups among the bound
        arguments; with none bound yet (listing help) the level in general is judged."""
        user = message.sender
        if perm is Perm.USER or self.is_admin(user):
            return ALLOWED
        if perm is Perm.MODERATOR:
            return Verdict(self.is_moderator(message))
        if perm is Perm.ADMIN:
            return REFUSED
        if args is None:
            coordinates = await self._directory.is_coordinator(user)
            moderates = perm is Perm.ORGANISER and self.is_moderator(message)
            return Verdict(coordinates or moderates)
        if perm is Perm.ORGANISER:
            return await self._meetings(message, args)
        return await self._groups(perm, user, args)

    async def _meetings(self, message: Message, args: Mapping[str, Any]) -> Verdict:
        """Every meeting the command reaches, before and after, must be the sender's."""
        changes = [v for v in args.values() if isinstance(v, MeetingChange)]
        changes += [MeetingChange(v, v) for v in args.values() if isinstance(v, Meeting)]
        if not changes:  # nothing bound to judge by: the room typed in is what it reaches
            return Verdict(self.is_moderator(message))
        groups = {g.id: g for g in await self._directory.all()}
        for change in changes:
            why = self._meeting_refusal(message.sender, change, groups)
            if why:
                return Verdict(False, why)
        return ALLOWED

    def _meeting_refusal(
        self, user: str, change: MeetingChange, groups: Mapping[str, Group]
    ) -> str | None:
        before, after = change.before, change.after
        joins = before is None or after.group_id != before.group_id
        group = groups.get(after.group_id) if after.group_id else None
        if joins and group is not None and user not in group.coordinators:
            only = _(
                "Sorry, only coordinators of {group} (and bot admins) can put a meeting into "
                "that group."
            )
            return only.format(group=f"**{md_escape(group.name)}**")
        states = [(before, True), (after, False)] if before != after else [(after, True)]
        for state, now in states:
            if state is None:
                continue
            own = groups.get(state.group_id) if state.group_id else None
            foreign = [r for r in state.rooms if not self._yours(user, r, own)]
            if foreign or not state.rooms:
                return _not_yours(state, now, foreign, self._moderator_level)
        return None

    def _yours(self, user: str, room: str, group: Group | None) -> bool:
        """A room the user moderates, or the room of the meeting's group if they coordinate
        that group."""
        coordinated = group is not None and group.room == room and user in group.coordinators
        return coordinated or self.moderates(user, room)

    async def _groups(self, perm: Perm, user: str, args: Mapping[str, Any]) -> Verdict:
        """Coordinators of every group bound; a group's new room must be one they moderate."""
        groups = [v for v in args.values() if isinstance(v, Group)]
        if perm is Perm.GROUP_VIEWER and groups and all(g.public for g in groups):
            return ALLOWED
        if not groups:
            return Verdict(await self._directory.is_coordinator(user))
        if not all(user in g.coordinators for g in groups):
            return REFUSED
        for change in (v for v in args.values() if isinstance(v, GroupChange)):
            room = change.after.room
            if room and room != change.before.room and not self.moderates(user, room):
                return Verdict(
                    False,
                    _(
                        "Sorry, you may set the room of a group only to a room where you are a "
                        "moderator, and you are not one in {room} (or I cannot see its power "
                        "levels). A bot admin can set it."
                    ).format(room=md_escape(room)),
                )
        return ALLOWED


def _not_yours(meeting: Meeting, now: bool, foreign: list[str], level: int) -> str:
    """Why a meeting is out of reach (as it is `now`, or as the change would leave it): the
    rooms that are not the sender's."""
    what = _("meeting #{number}").format(number=meeting.id) if meeting.id else _("this meeting")
    if not meeting.rooms:
        nowhere = (
            _("Sorry, {meeting} is announced in no room; only bot admins can change it.")
            if now
            else _(
                "Sorry, {meeting} would be announced in no room; only bot admins can change it."
            )
        )
        return nowhere.format(meeting=what)
    rooms = ", ".join(md_escape(r) for r in foreign)
    where = (
        _(
            "Sorry, {meeting} is announced in {rooms}, where as far as I can see you are not "
            "a moderator."
        )
        if now
        else _(
            "Sorry, {meeting} would be announced in {rooms}, where as far as I can see you are "
            "not a moderator."
        )
    )
    rule = _(
        "You can plan and change meetings announced only in rooms where you have power level "
        "{level} or more and, for a group you coordinate, in the group's room."
    )
    return where.format(meeting=what, rooms=rooms) + " " + rule.format(level=level)

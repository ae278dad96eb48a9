"""Who may do what: judged by MXID and room state, never by display name.

A command's level is judged first by the command words alone: someone who holds it nowhere
(for organiser actions: not an admin, a moderator of no room the bot knows, a coordinator of
no group) is refused before any argument is read. Then organiser actions are judged by what
they reach, not by the room a command is typed in. A meeting reaches the rooms it is
announced in: a person may plan, change or cancel it when every one of those rooms is theirs,
before and after the change (a room where they are a moderator, or the room of the meeting's
group when they coordinate that group). A meeting or group that is not theirs, or that does
not exist, is refused with the command's one refusal, so that neither tells anything apart;
what the change they typed would do is refused with the reason. Putting a meeting into a
group needs a coordinator of that group. A group's room is where its
coordinators may announce and where `!join` invites people, so a coordinator may set it only
to a room they moderate. Admins may do everything. The README's permission table says the
same, and a test tries each of its cells.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from typing import Any, Protocol

from natm_bot.core.i18n import _
from natm_bot.core.markdown import md_escape
from natm_bot.core.messages import Message, RoomId, UserId
from natm_bot.engine.gate import ALLOWED, REFUSED, Unknown, Verdict
from natm_bot.engine.registry import Perm
from natm_bot.features.groups.service import GroupChange
from natm_bot.features.meetings.changes import MeetingChange
from natm_bot.storage.groups import Group
from natm_bot.storage.meetings import Meeting
from natm_bot.storage.polls import Poll

__all__ = ["ALLOWED", "REFUSED", "GroupDirectory", "Permissions", "PowerLevel", "Verdict"]

# A person's power level in a room, or None when the room's levels are unknown.
PowerLevel = Callable[[RoomId, UserId], int | None]
# The rooms whose power levels the bot knows.
KnownRooms = Callable[[], Iterable[RoomId]]
# Whether a person is the delegate of a member organisation.
IsDelegate = Callable[[str], Awaitable[bool]]


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
        *,
        rooms: KnownRooms,
        delegate: IsDelegate | None = None,
    ) -> None:
        self._admins = admins
        self._delegate = delegate
        self._moderator_level = moderator_level
        self._power_level = power_level
        self._directory = groups
        self._rooms = rooms

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

    def moderates_somewhere(self, message: Message) -> bool:
        """A moderator of the room typed in or of any room whose levels the bot knows."""
        user = message.sender
        return self.is_moderator(message) or any(self.moderates(user, r) for r in self._rooms())

    async def allows(
        self, perm: Perm, message: Message, args: Mapping[str, Any] | None = None
    ) -> bool:
        """Whether the sender may run a command declared with `perm` on these arguments."""
        return (await self.judge(perm, message, args)).allowed

    async def judge(
        self, perm: Perm, message: Message, args: Mapping[str, Any] | None = None
    ) -> Verdict:
        """Whether the sender may run a command declared with `perm` on these arguments.

        With `args` None, whether they hold the level anywhere: what the dispatcher asks
        before reading any argument (and help, to list what a person may use)."""
        user = message.sender
        if perm is Perm.DELEGATE:  # an organisation speaks through its delegates only
            return Verdict(self._delegate is not None and await self._delegate(user))
        if perm is Perm.USER or self.is_admin(user):
            return ALLOWED
        if perm is Perm.MODERATOR:
            return Verdict(self.is_moderator(message))
        if perm is Perm.ADMIN:
            return REFUSED
        if args is None:
            return Verdict(await self._holds(perm, message))
        if any(isinstance(v, Unknown) for v in args.values()):
            return REFUSED
        if perm is Perm.ROOM_ORGANISER:
            return Verdict(await self._organises_room(message, args))
        if perm is Perm.ORGANISER:
            return await self._meetings(message, args)
        return await self._groups(perm, user, args)

    async def _holds(self, perm: Perm, message: Message) -> bool:
        """Whether the sender holds a group-judged level anywhere at all."""
        if perm is Perm.GROUP_VIEWER:
            return True  # anyone may see a public member list: the group decides
        if await self._directory.is_coordinator(message.sender):
            return True
        organiser = perm in (Perm.ORGANISER, Perm.ROOM_ORGANISER)
        return organiser and self.moderates_somewhere(message)

    async def _organises_room(self, message: Message, args: Mapping[str, Any]) -> bool:
        """For a poll bound: its opener, or an organiser of its room; else an organiser of
        the room typed in. An organiser of a room moderates it, or coordinates the group
        whose room it is."""
        poll = next((v for v in args.values() if isinstance(v, Poll)), None)
        if poll is not None and poll.creator == message.sender:
            return True
        room = poll.room_id if poll is not None else message.room_id
        if self.moderates(message.sender, room):
            return True
        groups = await self._directory.all()
        return any(g.room == room and message.sender in g.coordinators for g in groups)

    async def _meetings(self, message: Message, args: Mapping[str, Any]) -> Verdict:
        """Every meeting the command reaches, before and after, must be the sender's."""
        changes = [v for v in args.values() if isinstance(v, MeetingChange)]
        changes += [MeetingChange(v, v) for v in args.values() if isinstance(v, Meeting)]
        if not changes:  # nothing bound to judge by: the room typed in is what it reaches
            return Verdict(self.is_moderator(message))
        groups = {g.id: g for g in await self._directory.all()}
        for change in changes:
            verdict = self._meeting_verdict(message.sender, change, groups)
            if not verdict.allowed:
                return verdict
        return ALLOWED

    def _meeting_verdict(
        self, user: str, change: MeetingChange, groups: Mapping[str, Group]
    ) -> Verdict:
        """A meeting that is not the sender's as it is gets the plain refusal (as one that
        does not exist would); what their change would make of it gets the reason."""
        before, after = change.before, change.after
        if before is not None and self._foreign(user, before, groups) is not None:
            return REFUSED
        joins = before is None or after.group_id != before.group_id
        group = groups.get(after.group_id) if after.group_id else None
        if joins and group is not None and user not in group.coordinators:
            only = _(
                "Sorry, only coordinators of {group} (and bot admins) can put a meeting into "
                "that group."
            )
            return Verdict(False, only.format(group=f"**{md_escape(group.name)}**"))
        foreign = self._foreign(user, after, groups)
        if foreign is not None:
            return Verdict(False, _not_yours(after, foreign, self._moderator_level))
        return ALLOWED

    def _foreign(
        self, user: str, meeting: Meeting, groups: Mapping[str, Group]
    ) -> list[str] | None:
        """The rooms of the meeting that are not the user's; None when it is all theirs."""
        own = groups.get(meeting.group_id) if meeting.group_id else None
        foreign = [r for r in meeting.rooms if not self._yours(user, r, own)]
        return foreign if foreign or not meeting.rooms else None

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


def _not_yours(meeting: Meeting, foreign: list[str], level: int) -> str:
    """Why the change typed would put a meeting out of the sender's reach: the rooms that
    would not be theirs."""
    what = _("meeting #{number}").format(number=meeting.id) if meeting.id else _("this meeting")
    if not meeting.rooms:
        nowhere = _(
            "Sorry, {meeting} would be announced in no room; only bot admins can change it."
        )
        return nowhere.format(meeting=what)
    rooms = ", ".join(md_escape(r) for r in foreign)
    where = _(
        "Sorry, {meeting} would be announced in {rooms}, where as far as I can see you are "
        "not a moderator."
    )
    rule = _(
        "You can plan and change meetings announced only in rooms where you have power level "
        "{level} or more and, for a group you coordinate, in the group's room."
    )
    return where.format(meeting=what, rooms=rooms) + " " + rule.format(level=level)

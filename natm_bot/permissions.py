"""Who may do what: judged by MXID and room state, never by display name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from natm_bot.messages import Message, UserId
from natm_bot.registry import Perm
from natm_bot.storage.groups import Group
from natm_bot.storage.meetings import Meeting

if TYPE_CHECKING:
    from natm_bot.app import App


class Permissions:
    """Answers whether the sender of a message holds a permission level."""

    def __init__(self, app: App) -> None:
        self._app = app

    def is_admin(self, user: UserId) -> bool:
        """Listed under bot.admins in the config."""
        return user in self._app.config.bot.admins

    def is_moderator(self, message: Message) -> bool:
        """Power level at or above the configured one in the room of the message.

        An unknown power level (room state not loaded yet) counts as 0: fail closed.
        """
        level = self._app.transport.power_level(message.room_id, message.sender)
        return level is not None and level >= self._app.config.bot.moderator_power_level

    async def allows(
        self, perm: Perm, message: Message, args: Mapping[str, Any] | None = None
    ) -> bool:
        """Whether the sender may run a command declared with `perm` on these arguments.

        For group-scoped levels the group is the Group among the bound arguments; with no
        arguments bound yet (listing help), coordinating any group is enough.
        """
        if perm is Perm.USER or self.is_admin(message.sender):
            return True
        if perm is Perm.MODERATOR:
            return self.is_moderator(message)
        if perm is Perm.ORGANISER and self.is_moderator(message):
            return True
        groups = await self._groups_in(args or {})
        if perm is Perm.GROUP_VIEWER and groups and all(g.public for g in groups):
            return True
        if perm in (Perm.COORDINATOR, Perm.GROUP_VIEWER, Perm.ORGANISER):
            service = self._app.groups
            if not groups:
                return await service.is_coordinator(message.sender)
            return all([await service.is_coordinator(message.sender, g) for g in groups])
        return False

    async def _groups_in(self, args: Mapping[str, Any]) -> list[Group]:
        """The groups an action is about: bound groups, and the groups of bound meetings."""
        groups = [v for v in args.values() if isinstance(v, Group)]
        for value in args.values():
            if isinstance(value, Meeting) and value.group_id:
                groups += [g for g in await self._app.groups.all() if g.id == value.group_id]
        return groups

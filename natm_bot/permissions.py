"""Who may do what: judged by MXID and room state, never by display name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from natm_bot.messages import Message, UserId
from natm_bot.registry import Perm

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

    def is_coordinator(self, user: UserId) -> bool:
        """Coordinates at least one working group."""
        return any(user in group.coordinators for group in self._app.content.groups)

    def allows(self, perm: Perm, message: Message) -> bool:
        """Whether the message's sender may run a command declared with `perm`."""
        if perm is Perm.USER or self.is_admin(message.sender):
            return True
        if perm is Perm.MODERATOR:
            return self.is_moderator(message)
        if perm is Perm.COORDINATOR:
            return self.is_coordinator(message.sender)
        return False

"""Answering invitations: join when the inviter is on `matrix.invites`, else decline."""

from __future__ import annotations

import logging
from typing import Any

from nio import AsyncClient, InviteMemberEvent, JoinResponse

from natm_bot.config.settings import InvitesSection
from natm_bot.core.messages import RoomId
from natm_bot.matrix.retry import TRANSIENT

log = logging.getLogger(__name__)


class Invites:
    """Answers each invitation of the bot once, even when several syncs repeat it."""

    def __init__(self, client: AsyncClient, allowed: InvitesSection) -> None:
        self.client = client
        self.allowed = allowed
        self._in_flight: set[str] = set()

    def allows(self, inviter: str) -> bool:
        """Whether the inviter, or their server, is on the allow-list."""
        server = inviter.partition(":")[2]
        return inviter in self.allowed.allowed_users or server in self.allowed.allowed_servers

    def _inviter(self, state: list[Any]) -> str | None:
        """Who invited the bot, from the invite state of a room."""
        for event in state:
            if (
                isinstance(event, InviteMemberEvent)
                and event.state_key == self.client.user_id
                and event.membership == "invite"
            ):
                return str(event.sender)
        return None

    async def answer(self, room_id: RoomId, state: list[Any]) -> None:
        """Join or decline; a failure to reach the server is retried at the next sync."""
        if room_id in self._in_flight:
            return
        inviter = self._inviter(state)
        if inviter is None:
            return
        self._in_flight.add(room_id)
        try:
            await self._join_or_leave(room_id, inviter)
        except TRANSIENT as exc:
            log.warning("answering the invite to %s failed (%s); will retry", room_id, exc)
        finally:
            self._in_flight.discard(room_id)

    async def _join_or_leave(self, room_id: RoomId, inviter: str) -> None:
        if self.allows(inviter):
            response = await self.client.join(room_id)
            outcome = "joined" if isinstance(response, JoinResponse) else "could not join"
            log.info("%s %s, invited by %s", outcome, room_id, inviter)
        else:
            await self.client.room_leave(room_id)
            log.warning("rejected invite to %s from %s: not on the allow-list", room_id, inviter)

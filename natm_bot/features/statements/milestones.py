"""Milestones of statements (numbers of endorsing organisations) announced once each in the
configured rooms, across restarts: reached is recorded first, each room marked after its
message was sent, with a transaction id of statement, milestone and room, so a crash in
between sends the same transaction again, which the homeserver de-duplicates. The
`statements` job finishes what a crash left."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from natm_bot.core.i18n import _, speaking
from natm_bot.core.markdown import md_escape
from natm_bot.core.messages import Outgoing, Reply, RoomId, txn_id
from natm_bot.core.supervision import drills
from natm_bot.storage.statements import StatementStore

log = logging.getLogger(__name__)


class Sender(Protocol):
    """What announcing needs of the transport."""

    async def send(self, out: Outgoing) -> object:
        """Send one message."""


def milestone_txn(statement: str, milestone: int, room: str) -> str:
    """The transaction id of a milestone's announcement in a room."""
    return txn_id("natm-s-", statement, milestone, room)


class Milestones:
    """Records the milestones a statement reaches and announces each once per room."""

    def __init__(
        self,
        store: StatementStore,
        transport: Sender,
        *,
        rooms: Sequence[str],
        milestones: Sequence[int],
        language: str,
        prefix: str,
    ) -> None:
        self._store = store
        self._transport = transport
        self._rooms = tuple(rooms)
        self._milestones = tuple(milestones)
        self._language = language
        self._prefix = prefix
        self._kill_after_send = "kill-after-milestone" in drills()

    async def check(self, statement: str, organisations: int) -> None:
        """Record each milestone `organisations` reaches (once), then announce what is due."""
        for milestone in self._milestones:
            if milestone <= organisations:
                await self._store.reach(statement, milestone)
        await self.announce(statement)

    async def announce(self, statement: str) -> None:
        """Send every reached milestone of a statement to each room that has not had it."""
        found = await self._store.get(statement)
        if found is None:
            return
        for reached in await self._store.milestones(statement):
            done = await self._store.announced_in(statement, reached.milestone)
            for room in self._rooms:
                if room not in done:
                    await self._send(statement, found.title, reached.milestone, room)

    async def _send(self, statement: str, title: str, milestone: int, room: str) -> None:
        """One announcement, marked once sent; a failure is left for the next sweep."""
        with speaking(self._language):
            text = _(
                "🎉 **{count}** member organisations now endorse the statement **{title}**. "
                "Read it and support it: `{command}`"
            ).format(
                count=milestone,
                title=md_escape(title),
                command=f"{self._prefix}statement {statement}",
            )
        out = Outgoing(RoomId(room), Reply(text), milestone_txn(statement, milestone, room))
        try:
            await self._transport.send(out)
        except Exception:
            log.warning("milestone %d of %s not announced in %s yet", milestone, statement, room)
            return
        if self._kill_after_send:  # fault drill: die between "sent" and "marked"
            os.kill(os.getpid(), signal.SIGKILL)
        await self._store.mark_announced(statement, milestone, room)

    async def sweep(self) -> None:
        """Announce whatever was reached but not yet sent everywhere (after a crash)."""
        for statement in {m.statement for m in await self._store.milestones()}:
            await self.announce(statement)

    def next_due(self) -> datetime | None:
        """Nothing is due at a set time: the sweep runs at start and every safety sweep."""
        return None

"""Received commands and poll answers on their way to the inbox, also while the database
cannot save.

Normally each synced batch is saved with its sync token in one transaction (at-least-once
intake, exactly-once answers). When the database is full, read-only or locked by another
program, the batch is held in memory instead and answered anyway: commands that only read
still work, commands that would save get a plain "can't save right now", and the replies'
transaction ids (derived from the event) keep a later repeat from showing twice. The saved
sync token does not move meanwhile, so even a crash loses nothing: the homeserver sends the
batch again. Once a save works, everything held is saved (answered ones as done) at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from natm_bot.core.messages import EventId, Incoming
from natm_bot.storage import StorageUnavailable
from natm_bot.storage.events import EventLedger
from natm_bot.storage.sealed import Sealed

log = logging.getLogger(__name__)

# While the database cannot save, try again at most this often: a locked database makes
# each try wait for its busy timeout, and every read waits behind it.
RETRY_SAVE_S = 5.0


class Intake:
    """The ledger of received commands and poll answers, with a memory for what could not be
    saved yet."""

    def __init__(self, ledger: EventLedger) -> None:
        self.ledger = ledger
        self.fault: str | None = None  # what is wrong with the database, while it is
        self._held: dict[EventId, Incoming] = {}  # received, not saved
        self._answered: dict[EventId, Incoming] = {}  # answered, not recorded as done
        self._kept: dict[EventId, Sealed] = {}  # not decrypted yet, not saved
        self._opened: set[EventId] = set()  # decrypted at last, not saved
        self._next_try = 0.0

    @property
    def holding(self) -> int:
        """How many commands are only in memory now."""
        return len(self._held) + len(self._answered)

    async def accept(
        self,
        messages: Sequence[Incoming],
        token: str | None,
        kept: Sequence[Sealed] = (),
        opened: Sequence[EventId] = (),
    ) -> list[Incoming]:
        """The commands of a batch to answer now: saved with the token (and the encrypted
        events `kept` until their key comes, and those `opened` at last) when the database
        can save, else held in memory."""
        self._kept.update((k.event_id, k) for k in kept)
        self._opened.update(opened)
        if self.fault is not None and time.monotonic() < self._next_try:
            return self._hold(messages)
        held, answered = list(self._held.values()), list(self._answered.values())
        sealed = [k for k in self._kept.values() if k.event_id not in self._opened]
        try:
            fresh = await self.ledger.accept(
                [*held, *messages], token, answered, sealed, list(self._opened)
            )
        except StorageUnavailable as fault:
            self._failed(fault)
            return self._hold(messages)
        self._kept.clear()
        self._opened.clear()
        self._saved(held, answered)
        enqueued = {h.event_id for h in held}  # answered, or waiting for a worker, already
        return [m for m in fresh if m.event_id not in enqueued]

    async def done(self, message: Incoming) -> None:
        """Record a command as answered; held in memory while the database cannot save."""
        try:
            await self.ledger.finish(message)
        except StorageUnavailable as fault:
            self._failed(fault)
            self._held.pop(message.event_id, None)
            self._answered[message.event_id] = message
            return
        self._held.pop(message.event_id, None)

    def _hold(self, messages: Sequence[Incoming]) -> list[Incoming]:
        new = [
            m
            for m in messages
            if m.event_id not in self._held and m.event_id not in self._answered
        ]
        self._held.update((m.event_id, m) for m in new)
        return new

    def _failed(self, fault: StorageUnavailable) -> None:
        self._next_try = time.monotonic() + RETRY_SAVE_S
        if self.fault != fault.state:
            log.error(
                "cannot save to the database (%s); answering commands that need no saving and "
                "holding new ones in memory until it works again",
                fault,
            )
            self.fault = fault.state

    def _saved(self, held: list[Incoming], answered: list[Incoming]) -> None:
        for message in held:
            self._held.pop(message.event_id, None)
        for message in answered:
            self._answered.pop(message.event_id, None)
        if self.fault is not None:
            log.info(
                "the database can save again; saved %d commands held in memory",
                len(held) + len(answered),
            )
            self.fault = None

"""Sending one announcement to every room at once, and recording each outcome in the ledger.

Each room is sent to on its own, so a room that fails never holds up another: a refusal for
good (the bot was kicked, the room does not exist) is recorded as failed at once; a room whose
homeserver keeps failing is retried by the transport, with the same txn id, until the grace
window ends, and then recorded as failed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from natm_bot.core.clock import Clock
from natm_bot.core.messages import EventId, Outgoing, Reply, RoomId, UserId, txn_id
from natm_bot.core.observer import SILENT, Observer
from natm_bot.features.meetings.announcement_texts import offset_text, what
from natm_bot.features.meetings.failures import ERROR, REFUSED, TIMED_OUT, describe_failure
from natm_bot.features.meetings.streams import Due
from natm_bot.storage.announcements import (
    AnnouncementLedger,
    LedgerKey,
    Progress,
    RoomOutcome,
    RoomStatus,
    Status,
)
from natm_bot.transport import SendFailed, Transport

log = logging.getLogger(__name__)

SHORTEST_TRY = 1.0  # seconds a room is given even when the grace window is nearly over


@dataclass(frozen=True)
class Plan:
    """What one announcement says to whom: rooms, or people for direct messages, each in
    their own language."""

    replies: Mapping[str, Reply]
    threads: Mapping[str, EventId] = field(default_factory=dict)  # room → its thread's root

    @property
    def targets(self) -> tuple[str, ...]:
        """The rooms (or people) it goes to."""
        return tuple(self.replies)


def txn_id_for(key: LedgerKey, target: str) -> str:
    """A transaction id per announcement and room, so a resend after a crash is a no-op."""
    parts = (key.source.format(), key.occurrence, key.offset_minutes, key.channel, target)
    return txn_id("natm-a-", *parts, sep="|")


class Delivery:
    """Sends announcements through the transport and settles them in the ledger."""

    def __init__(
        self,
        transport: Transport,
        ledger: AnnouncementLedger,
        clock: Clock,
        grace: timedelta,
        observer: Observer = SILENT,
    ) -> None:
        self._transport = transport
        self._ledger = ledger
        self._clock = clock
        self._grace = grace
        self._observer = observer

    async def deliver(self, due: Due, plan: Plan, status: RoomStatus, progress: Progress) -> None:
        """Send to every room not settled yet, recording each outcome as it comes and the
        whole announcement with the last. Raises when recording fails."""
        deadline = due.at + self._grace
        outcomes = [RoomOutcome(room, done) for room, done in progress.rooms.items()]
        pending = {
            asyncio.create_task(self._send(due, plan, target, status, deadline))
            for target in plan.targets
            if target not in progress.rooms
        }
        batch: list[RoomOutcome] = []
        try:
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                batch = [task.result() for task in done]
                outcomes += batch
                if pending:
                    await self.record(due, batch)
            failed = any(o.status == "failed" for o in outcomes)
            await self.record(due, batch, "failed" if failed else status)
            self._observer.announced("failed" if failed else status)
        finally:
            for task in pending:
                task.cancel()

    async def record(
        self, due: Due, outcomes: list[RoomOutcome], status: Status | None = None
    ) -> None:
        """Settle some rooms and, when given, the whole announcement."""
        # Direct-message reminders are not recorded per person: that would keep who asked.
        rooms = outcomes if due.channel == "rooms" else []
        await self._ledger.settle(due.key, rooms, status)

    async def _send(
        self, due: Due, plan: Plan, target: str, status: RoomStatus, deadline: datetime
    ) -> RoomOutcome:
        """Send to one room (or person) until it lands, is refused, or the window ends; in
        a room, into the thread of the occurrence when the plan has one there."""
        window = max(SHORTEST_TRY, (deadline - self._clock.now()).total_seconds())
        room = target if due.channel == "rooms" else None
        try:
            async with asyncio.timeout(window):
                if room is None:
                    room = await self._transport.direct_room(UserId(target))
                txn = txn_id_for(due.key, target)
                thread = plan.threads.get(target) if due.channel == "rooms" else None
                out = Outgoing(RoomId(room), plan.replies[target], txn, thread=thread)
                event = await self._transport.send(out)
            return RoomOutcome(target, status, event_id=event if due.channel == "rooms" else None)
        except SendFailed as exc:
            reason = exc.code or REFUSED  # never the server's own words: they reach a room
        except TimeoutError:
            reason = TIMED_OUT
        except Exception:
            log.exception("sending %s to %s failed", what(due), room or "a direct chat")
            reason = ERROR
        log.warning(
            "announcement of %s for %s (%s) failed in %s: %s",
            what(due),
            due.occurrence.isoformat(),
            offset_text(due.offset),
            room or "a direct chat",
            describe_failure(reason),
        )
        return RoomOutcome(target, "failed", reason)

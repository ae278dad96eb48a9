"""Polls close on time, exactly once: the outcome is counted and kept in the database at
the closing time, then posted (the native poll's end and one outcome message, each with a
transaction id derived from the poll, so a resend after a crash is a no-op), then marked
posted. Reminders before the close say how many voted, never who has not.

A poll is counted only once every vote sent before its close has been read: the app says
when the inbox has caught up past a moment (`Settled`); until then the close waits a little.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from natm_bot.core.clock import Clock
from natm_bot.core.i18n import speaking
from natm_bot.core.messages import EventId, NativePoll, Outgoing, Reply, RoomId, txn_id
from natm_bot.engine.rendering import render
from natm_bot.features.polls.counting import Kind, Outcome
from natm_bot.features.polls.service import PollService
from natm_bot.features.polls.views import outcome_text, reminder
from natm_bot.storage.polls import Poll, PollStore
from natm_bot.transport import SendFailed

log = logging.getLogger(__name__)

Settled = Callable[[datetime], Awaitable[bool]]
RETRY = timedelta(seconds=2)


class PollTransport(Protocol):
    """What closing needs of the transport."""

    async def send(self, out: Outgoing) -> EventId:
        """Send a message; its event id."""

    async def start_poll(self, room_id: RoomId, poll: NativePoll, txn_id: str) -> EventId:
        """Start a native poll."""

    async def end_poll(
        self, room_id: RoomId, poll_event: EventId, text: str, txn_id: str
    ) -> EventId:
        """End a native poll with the outcome as text."""


class RoomLanguage(Protocol):
    """The language a room reads the bot in."""

    async def for_room(self, room: str) -> str:
        """The room's language."""


def poll_txn(poll: Poll, *parts: object) -> str:
    """The transaction id of something the bot posts about a poll."""
    return txn_id("natm-p-", poll.id, *parts)


class PollCloser:
    """The `polls` job: closes what is due, posts outcomes, sends reminders."""

    def __init__(
        self,
        service: PollService,
        store: PollStore,
        transport: PollTransport,
        clock: Clock,
        *,
        languages: RoomLanguage,
        reminders: Sequence[int],
        prefix: str,
        settled: Settled,
    ) -> None:
        self.service = service
        self.store = store
        self.transport = transport
        self.clock = clock
        self.languages = languages
        self.reminders = tuple(sorted(set(reminders), reverse=True))
        self.prefix = prefix
        self.settled = settled
        self._next: datetime | None = clock.now()
        self.rearm: Callable[[], None] = lambda: None

    def next_due(self) -> datetime | None:
        """When the job should run next (None: nothing open)."""
        return self._next

    def changed(self) -> None:
        """A poll opened, moved or was cancelled: look again now."""
        self._next = self.clock.now()
        self.rearm()

    async def sweep(self) -> None:
        """Close what is due, post what is closed, remind what is near."""
        now = self.clock.now()
        waiting = False
        for poll in await self.store.open_polls():
            if poll.closes_at <= now:
                waiting |= not await self._close(poll)
            else:
                await self._remind(poll, now)
        for poll in await self.store.unposted():
            await self._post(poll)
        await self._plan(now, waiting)

    async def _plan(self, now: datetime, waiting: bool) -> None:
        moments = [now + RETRY] if waiting else []
        for poll in await self.store.open_polls():
            moments.append(poll.closes_at)
            done = await self.store.reminded(poll.id)
            moments += [
                poll.closes_at - timedelta(seconds=s)
                for s in self.reminders
                if s not in done and poll.closes_at - timedelta(seconds=s) > now
            ]
        self._next = min(moments) if moments else None
        self.rearm()

    async def _close(self, poll: Poll) -> bool:
        """Count and keep the outcome; False while votes sent before the close may still
        be on their way in."""
        if not await self.settled(poll.closes_at):
            return False
        result = await self.service.outcome(poll)
        if await self.store.close(poll.id, result.to_json(), poll.closes_at):
            log.info("poll %d closed: %d of %d voted", poll.id, result.voted, result.electorate)
        return True

    async def outcome_message(self, poll: Poll, result: Outcome) -> str:
        """The outcome as posted in the poll's room."""
        slots = await self.service.slots(poll) if poll.kind == Kind.TIME else ()
        return outcome_text(poll, result, tz_name=poll.timezone, slots=slots)

    async def _post(self, poll: Poll) -> None:
        """Post the outcome once: the native poll's end, then the message."""
        assert poll.outcome is not None
        result = Outcome.from_json(poll.outcome)
        room = RoomId(poll.room_id)
        with speaking(await self.languages.for_room(poll.room_id)):
            text = await self.outcome_message(poll, result)
        try:
            if poll.poll_event:
                plain = render(text).body  # the end's text is shown as it is
                await self.transport.end_poll(
                    room, EventId(poll.poll_event), plain, poll_txn(poll, "end")
                )
            await self.transport.send(Outgoing(room, Reply(text), poll_txn(poll, "outcome")))
        except SendFailed as refused:
            log.warning("could not post the outcome of poll %d: %s", poll.id, refused)
        await self.store.posted(poll.id)

    async def _remind(self, poll: Poll, now: datetime) -> None:
        done = await self.store.reminded(poll.id)
        due = [
            before
            for before in self.reminders
            if before not in done
            and poll.opened_at <= poll.closes_at - timedelta(seconds=before) <= now
        ]
        if due:  # only the nearest: the earlier ones are past
            for before in due[:-1]:
                await self.store.remind(poll.id, before)
            before = due[-1]
            result = await self.service.outcome(poll)
            with speaking(await self.languages.for_room(poll.room_id)):
                text = reminder(poll, result, poll.timezone, self.prefix)
            out = Outgoing(RoomId(poll.room_id), Reply(text), poll_txn(poll, "remind", before))
            try:
                await self.transport.send(out)
            except SendFailed as refused:
                log.warning("could not remind of poll %d: %s", poll.id, refused)
            await self.store.remind(poll.id, before)

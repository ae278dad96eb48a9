"""The sync loop: fetch each batch, queue what came in (commands, poll answers) with the
token, keep the rooms known."""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import time
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any

from nio import AsyncClient, SyncError, SyncResponse

from natm_bot.core.messages import EventId, Incoming, Message, RoomId
from natm_bot.core.observer import SILENT, Observer
from natm_bot.core.supervision import Job
from natm_bot.core.trace import TRACE
from natm_bot.matrix.crypto import Crypto
from natm_bot.matrix.events import CommandReader
from natm_bot.matrix.intake import Intake
from natm_bot.matrix.invites import Invites
from natm_bot.matrix.retry import TRANSIENT, Backoff
from natm_bot.matrix.sealed import Notify, SealedEvents
from natm_bot.matrix.sending import MatrixTransport
from natm_bot.matrix.session import FatalError
from natm_bot.storage.sealed import Sealed

log = logging.getLogger(__name__)

Answered = Callable[[Sequence[str], float], Coroutine[Any, Any, None]]
SYNC_TIMEOUT_MS = 30_000
FIRST_SYNC_TIMEOUT_S = 120
# Synapse keeps each /sync answer for two minutes, keyed by the request (device, since,
# timeout, filter, full_state), and hands it to an identical request. A bot restarted on
# the same device repeats its previous run's requests (the same first sync; the same
# long-poll when nothing happened in between) and would be given that run's stale answers:
# rooms it joined long ago offered again as invitations, a "now" minutes old. A timeout of
# this process's own makes its requests its own; the first sync (full_state) is answered
# at once whatever its timeout.
REQUEST_SPREAD_MS = 10_000
# A batch of a few commands (a person waiting on each) is answered before the next sync
# request goes out: the homeserver then takes each reply without the bot's own next request
# beside it (the reply reaches the person 3–4 ms sooner, bench/latency.py). A bigger batch
# (a storm, catching up after a restart) syncs on beside its answers, and no batch holds
# the next request back for longer than ANSWER_WAIT_S.
SMALL_BATCH = 4
ANSWER_WAIT_S = 0.25
# A generous timeline per room, so a burst of commands while the bot was away is not cut off.
SYNC_FILTER: dict[str, Any] = {"room": {"timeline": {"limit": 100}}}


class SyncLoop:
    """Syncs until cancelled; hands each new command or poll answer to `on_command`, once it
    is saved."""

    def __init__(
        self,
        transport: MatrixTransport,
        crypto: Crypto,
        reader: CommandReader,
        invites: Invites,
        intake: Intake,
        sealed: SealedEvents,
        observer: Observer = SILENT,
    ) -> None:
        self.client: AsyncClient = transport.client
        self.observer = observer
        self.transport = transport
        self.crypto = crypto
        self.reader = reader
        self.invites = invites
        self.intake = intake
        self.sealed = sealed
        self.unreadable: Notify | None = None  # tells a sender their message was unreadable
        self.token: str | None = None
        self._handled_at = 0.0  # when nio had handled the last sync response
        self._fresh: list[str] = []  # the event ids the last batch brought
        self.batch_at: datetime | None = None  # when the last batch was taken in
        # Since when the loop has been waiting on a long-poll that has brought nothing yet
        # (the homeserver answers one as soon as anything happens); None while it works.
        self.idle_since: datetime | None = None
        self._online: bool | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.crypto_job = Job("crypto-keys")
        self.rooms_job = Job("room-state")
        self.sync_job = Job("sync")
        self._own_ms = 1 + secrets.randbelow(REQUEST_SPREAD_MS)  # see REQUEST_SPREAD_MS

    def _set_online(self, online: bool, why: str = "") -> None:
        if online != self._online:
            if online:
                log.info("connected to %s", self.client.homeserver)
            else:
                log.warning("homeserver unreachable (%s); retrying with backoff", why)
            self._online = online

    async def run(
        self,
        on_command: Callable[[Incoming], None],
        on_first_sync: Callable[[], Coroutine[Any, Any, None]],
        answered: Answered | None = None,
    ) -> None:
        """Sync forever; after the first batch is in, `on_first_sync` runs in the background;
        `answered(event_ids, timeout)` waits for a small batch's answers (SMALL_BATCH)."""
        await self.crypto.check_device()
        backoff = Backoff()
        first = True
        while True:
            self.idle_since = None if first else datetime.now(UTC)
            response = await self._fetch(first)
            self.idle_since = None
            if response is None:
                self.observer.sync_failed()
                await backoff.wait()
                continue
            batch = functools.partial(self._take, response, on_command)
            if not await self.sync_job.run(batch):
                await backoff.wait()  # nothing of the batch was saved: fetched again later
                continue
            backoff.reset()
            self.batch_at = datetime.now(UTC)
            self.observer.synced(len(self.client.rooms))
            if first:
                self.spawn(on_first_sync())  # rooms are known: announcements can go
            first = False
            await self.rooms_job.run(self.transport.notify_rooms_changed)
            if answered is not None and 0 < len(self._fresh) <= SMALL_BATCH:
                await answered(self._fresh, ANSWER_WAIT_S)
            self._give_up()
            await self.crypto_job.run(self.crypto.housekeeping)

    async def _fetch(self, first: bool) -> SyncResponse | None:
        """One sync from the saved token; None when it failed (and should be tried again)."""
        try:
            response = await asyncio.wait_for(
                self.client.sync(
                    timeout=self._own_ms if first else SYNC_TIMEOUT_MS + self._own_ms,
                    since=self.token,
                    full_state=first,
                    sync_filter=SYNC_FILTER,
                ),
                timeout=FIRST_SYNC_TIMEOUT_S if first else SYNC_TIMEOUT_MS / 1000 + 30,
            )
        except TRANSIENT as exc:
            self._set_online(False, type(exc).__name__)
            return None
        except Exception as exc:  # nio's own store failing (disk full…), or a bug
            self.sync_job.failed(exc)
            return None
        if isinstance(response, SyncError):
            self._refused(response)
            return None
        self._set_online(True)
        self._handled_at = time.time()  # nio has parsed, decrypted and stored the batch
        return response

    def _refused(self, response: SyncError) -> None:
        """A sync the homeserver answered with an error: fatal for a revoked token."""
        if response.status_code == "M_UNKNOWN_TOKEN":
            raise FatalError(
                "the homeserver rejected the access token (M_UNKNOWN_TOKEN): the "
                "device was logged out; run `natm-bot login` again"
            )
        status = getattr(response.transport_response, "status", None)
        why = response.status_code or (f"HTTP {status}" if status else "error")
        self._set_online(False, f"{why}: {response.message}")

    async def _take(self, response: SyncResponse, on_command: Callable[[Incoming], None]) -> bool:
        """Queue every new command and poll answer of the batch and save the token, in one
        transaction."""
        for room_id, info in response.rooms.invite.items():
            self.spawn(self.invites.answer(RoomId(room_id), info.invite_state))
        for room_id, info in response.rooms.join.items():
            self.transport.note_state(room_id, [*info.state, *info.timeline.events])
        items, opened = self._opened()
        kept: list[Sealed] = []
        if self.token is not None:  # the very first sync only learns where "now" is
            items += await self._incoming(response, kept)
        for item in items:
            TRACE.begin(item.event_id, self._read_at(), self._handled_at)
        fresh = await self.intake.accept(items, response.next_batch, kept, opened)
        self._fresh = [item.event_id for item in fresh]
        for item in fresh:
            TRACE.mark(item.event_id, "inbox")
        if fresh:
            log.debug("queued %d new commands and poll answers", len(fresh))
        self.token = response.next_batch
        for item in fresh:
            on_command(item)
        return True

    def _read_at(self) -> float:
        """When the last sync response's body was read (before nio handled it)."""
        return float(getattr(self.client, "sync_read_at", 0.0)) or self._handled_at

    def _opened(self) -> tuple[list[Incoming], list[EventId]]:
        """The commands and poll answers among the kept encrypted events whose room key has
        come."""
        items: list[Incoming] = []
        found, opened = self.sealed.opened()
        for room_id, event in found:
            room = self.client.rooms.get(room_id)
            item = self.reader.incoming(room, event) if room is not None else None
            if item is not None:
                items.append(item)
        return items, opened

    def _give_up(self) -> None:
        """Forget the encrypted events whose key never came; tell their senders."""
        notices, given_up = self.sealed.expired()
        if given_up:
            self.spawn(self._tell(notices, given_up))

    async def _tell(self, notices: list[Message], given_up: list[EventId]) -> None:
        for notice in notices:
            if self.unreadable is not None:
                try:
                    await self.unreadable(notice)
                except Exception:  # a refused send must not keep the event forever
                    log.exception("could not tell %s about %s", notice.sender, notice.event_id)
        await self.intake.ledger.forget_sealed(given_up)

    async def _incoming(self, response: SyncResponse, kept: list[Sealed]) -> list[Incoming]:
        """The commands and poll answers in the joined rooms' timelines, with what a limited
        sync left out; the encrypted events not readable yet go to `kept`."""
        messages: list[Incoming] = []
        for room_id, info in response.rooms.join.items():
            room = self.client.rooms.get(room_id)
            if room is None:
                continue
            events = list(info.timeline.events)
            if info.timeline.limited:  # more happened than one sync carries
                gap = info.timeline.prev_batch
                earlier = await self.reader.earlier(self.client, room_id, gap, self.token)
                events = earlier + events
            messages.extend(self.reader.incoming_in(room, events))
            kept.extend(self.sealed.keep(room_id, self.reader.sealed_in(events)))
        return messages

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run a coroutine in the background, cancelled with `cancel`."""
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel(self) -> None:
        """Cancel what runs in the background."""
        for task in self._tasks:
            task.cancel()

"""`natm-bot run`: the sync loop, the inbox of commands, the answering workers, shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
from datetime import UTC, datetime, timedelta
from typing import Any

from nio import (
    AsyncClient,
    InviteMemberEvent,
    JoinResponse,
    MatrixRoom,
    MegolmEvent,
    RoomMemberEvent,
    RoomMessagesResponse,
    RoomMessageText,
    SyncError,
    SyncResponse,
)
from nio.api import Api

from natm_bot.app import App
from natm_bot.config.settings import Config, MatrixSection
from natm_bot.core.messages import EventId, Message, RoomId, UserId
from natm_bot.core.supervision import Job, drills
from natm_bot.matrix.intake import Intake
from natm_bot.matrix.sending import TRANSIENT, Backoff, MatrixTransport
from natm_bot.matrix.session import Credentials, SessionError, restore
from natm_bot.storage.events import EventLedger
from natm_bot.transport import SendFailed

log = logging.getLogger(__name__)

WORKERS = 4
SYNC_TIMEOUT_MS = 30_000
FIRST_SYNC_TIMEOUT_S = 120
SHUTDOWN_GRACE_S = 5
BACKFILL_PAGES = 20
# A generous timeline per room, so a burst of commands while the bot was away is not cut off.
SYNC_FILTER: dict[str, Any] = {"room": {"timeline": {"limit": 100}}}


class FatalError(Exception):
    """The bot cannot go on (its access token was revoked…); exit non-zero."""


def _matrix(config: Config) -> MatrixSection:
    if config.matrix is None:
        raise SessionError("the config has no `matrix:` section; see bot.example.yaml")
    return config.matrix


def _relation(event: RoomMessageText) -> dict[str, Any]:
    content = event.source.get("content", {})
    relation = content.get("m.relates_to")
    return relation if isinstance(relation, dict) else {}


class BotRunner:
    """One bot process on Matrix: owns the client, the app and the tasks between them."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.matrix = _matrix(config)
        self.client: AsyncClient
        self.credentials: Credentials
        self.client, self.credentials = restore(config)
        self.transport = MatrixTransport(self.client, encryption=self.matrix.encryption)
        self.app = App(config, self.transport)
        self.ledger = EventLedger(self.app.db)
        self.intake = Intake(self.ledger)
        self.queues: list[asyncio.Queue[Message]] = [asyncio.Queue() for _ in range(WORKERS)]
        self.stopping = asyncio.Event()
        self._token: str | None = None
        self._invites_in_flight: set[str] = set()
        self._online: bool | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.crypto_job = Job("crypto-keys")
        self.rooms_job = Job("room-state")
        self.sync_job = Job("sync")
        self._kill_after_send = "kill-after-send" in drills()

    # ----- start and stop -------------------------------------------------------------------

    async def run(self) -> int:
        """Serve until SIGTERM/SIGINT (exit 0) or a fatal error (exit 3)."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stopping.set)
        await self.app.start()
        try:
            self._token = await self.ledger.sync_token()
            for message in await self.ledger.pending():
                self._enqueue(message)
            workers = [asyncio.create_task(self._worker(q)) for q in self.queues]
            sync = asyncio.create_task(self._sync_loop())
            stop = asyncio.create_task(self.stopping.wait())
            await asyncio.wait({sync, stop}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            failure = sync.exception() if sync.done() and not sync.cancelled() else None
            if failure is not None:
                log.error("%s", failure)
            log.info("shutting down")
            sync.cancel()
            await self._drain(workers)
            if failure is not None:
                raise failure
            return 0
        except FatalError:
            return 3
        finally:
            for task in self._tasks:
                task.cancel()
            await self.transport.close()
            await self.app.close()

    async def _drain(self, workers: list[asyncio.Task[None]]) -> None:
        """Let workers finish what they hold, briefly; unanswered commands stay in the inbox."""
        for queue in self.queues:
            while not queue.empty():
                queue.get_nowait()
                queue.task_done()
        # Workers loop forever; wait only for the commands they are answering right now.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(queue.join() for queue in self.queues)), SHUTDOWN_GRACE_S
            )
        for task in workers:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*workers, return_exceptions=True)

    async def _check_device(self) -> None:
        """Refuse to run when the server's view of this device differs from the local store."""
        olm = self.client.olm
        if olm is None:
            return
        backoff = Backoff()
        while True:
            try:
                method, path, data = Api.keys_query(
                    self.client.access_token, {self.client.user_id}
                )
                response = await asyncio.wait_for(
                    self.client.send(
                        method, path, data, {"Authorization": f"Bearer {self.client.access_token}"}
                    ),
                    timeout=30,
                )
                body = await response.json()
                break
            except TRANSIENT as exc:
                log.warning("homeserver not reachable yet (%s); retrying", type(exc).__name__)
                await backoff.wait()
        if body.get("errcode") == "M_UNKNOWN_TOKEN":
            raise FatalError("the homeserver rejected the access token: log in again")
        devices = body.get("device_keys", {}).get(self.client.user_id, {})
        device = devices.get(self.client.device_id)
        if device is None:
            return  # keys not uploaded yet: the first sync uploads them
        server_key = device.get("keys", {}).get(f"ed25519:{self.client.device_id}")
        if server_key != olm.account.identity_keys["ed25519"]:
            raise FatalError(
                f"the encryption store does not match device {self.client.device_id} on the "
                "homeserver; restore the store folder from a backup or log in again"
            )

    # ----- syncing ---------------------------------------------------------------------------

    def _set_online(self, online: bool, why: str = "") -> None:
        if online != self._online:
            if online:
                log.info("connected to %s", self.matrix.homeserver)
            else:
                log.warning("homeserver unreachable (%s); retrying with backoff", why)
            self._online = online

    async def _sync_loop(self) -> None:
        await self._check_device()
        backoff = Backoff()
        first = True
        while True:
            timeout_ms = 0 if first else SYNC_TIMEOUT_MS
            try:
                response = await asyncio.wait_for(
                    self.client.sync(
                        timeout=timeout_ms,
                        since=self._token,
                        full_state=first,
                        sync_filter=SYNC_FILTER,
                    ),
                    timeout=FIRST_SYNC_TIMEOUT_S if first else SYNC_TIMEOUT_MS / 1000 + 20,
                )
            except TRANSIENT as exc:
                self._set_online(False, type(exc).__name__)
                await backoff.wait()
                continue
            except Exception as exc:  # nio's own store failing (disk full…), or a bug
                self.sync_job.failed(exc)
                await backoff.wait()
                continue
            if isinstance(response, SyncError):
                if response.status_code == "M_UNKNOWN_TOKEN":
                    raise FatalError(
                        "the homeserver rejected the access token (M_UNKNOWN_TOKEN): the "
                        "device was logged out; run `natm-bot login` again"
                    )
                status = getattr(response.transport_response, "status", None)
                why = response.status_code or (f"HTTP {status}" if status else "error")
                self._set_online(False, f"{why}: {response.message}")
                await backoff.wait()
                continue
            self._set_online(True)
            if not await self.sync_job.run(functools.partial(self._intake, response)):
                await backoff.wait()  # nothing of the batch was saved: fetched again later
                continue
            backoff.reset()
            if first:
                self._spawn(self.app.start_scheduler())  # rooms are known: announcements can go
            first = False
            await self.rooms_job.run(self.transport.notify_rooms_changed)
            await self.crypto_job.run(self._crypto_housekeeping)

    async def _crypto_housekeeping(self) -> None:
        """What nio's sync_forever would do: upload, query and claim keys, flush to-device."""
        client = self.client
        if client.olm is None:
            return
        try:
            async with self.transport._crypto_lock:
                if client.should_upload_keys:
                    await client.keys_upload()
                if client.should_query_keys:
                    await client.keys_query()
                if client.should_claim_keys:
                    await client.keys_claim(client.get_users_for_key_claiming())
            await client.send_to_device_messages()
        except TRANSIENT as exc:
            log.warning("key housekeeping failed (%s); will retry", type(exc).__name__)

    async def _intake(self, response: SyncResponse) -> bool:
        """Queue every new command of the batch and save the token, in one transaction."""
        for room_id, info in response.rooms.invite.items():
            self._spawn(self._answer_invite(RoomId(room_id), info.invite_state))
        for room_id, info in response.rooms.join.items():
            self.transport.note_state(room_id, [*info.state, *info.timeline.events])
        messages: list[Message] = []
        if self._token is not None:  # the very first sync only learns where "now" is
            for room_id, info in response.rooms.join.items():
                room = self.client.rooms.get(room_id)
                if room is None:
                    continue
                events = list(info.timeline.events)
                if info.timeline.limited:  # more happened than one sync carries
                    events = await self._earlier(room_id, info.timeline.prev_batch) + events
                messages.extend(self._commands_in(room, events))
        fresh = await self.intake.accept(messages, response.next_batch)
        if fresh:
            log.debug("queued %d new commands", len(fresh))
        self._token = response.next_batch
        for message in fresh:
            self._enqueue(message)
        return True

    async def _earlier(self, room_id: str, token: str | None) -> list[Any]:
        """Events a limited sync left out, back to max_command_age (older ones would be
        skipped anyway), oldest first; at most BACKFILL_PAGES pages."""
        oldest = datetime.now(UTC) - timedelta(seconds=self.matrix.max_command_age)
        found: list[Any] = []
        for _ in range(BACKFILL_PAGES):
            if token is None:
                break
            page = await self.client.room_messages(room_id, start=token, limit=100)
            if not isinstance(page, RoomMessagesResponse) or not page.chunk:
                break
            found = list(reversed(page.chunk)) + found
            stamps = [getattr(e, "server_timestamp", 0) for e in page.chunk]
            if min(stamps) / 1000 < oldest.timestamp() or page.end == token:
                break
            token = page.end
        else:
            log.warning("room %s: more than %d pages of missed events", room_id, BACKFILL_PAGES)
        return found

    def _commands_in(self, room: MatrixRoom, events: list[Any]) -> list[Message]:
        start = 0
        for index, event in enumerate(events):
            if (
                isinstance(event, RoomMemberEvent)
                and event.state_key == self.client.user_id
                and event.membership == "join"
                and (event.prev_membership or "leave") != "join"
            ):
                start = index + 1  # only what was said after the bot joined
        found = []
        for event in events[start:]:
            message = self._message(room, event)
            if message is None or self.app.dispatcher.parse(message.body) is None:
                continue
            age = datetime.now(UTC) - message.timestamp
            if age > timedelta(seconds=self.matrix.max_command_age):
                log.info(
                    "skipped command %s in %s: sent %d s ago, older than max_command_age",
                    message.event_id,
                    room.room_id,
                    age.total_seconds(),
                )
                continue
            found.append(message)
        return found

    def _message(self, room: MatrixRoom, event: Any) -> Message | None:
        if getattr(event, "sender", None) == self.client.user_id:
            return None
        if isinstance(event, MegolmEvent):
            log.warning("could not decrypt event %s in %s", event.event_id, room.room_id)
            return None
        if not isinstance(event, RoomMessageText):
            return None  # notices (other bots), emotes, files, state…
        relation = _relation(event)
        body, edit_of = event.body, None
        if relation.get("rel_type") == "m.replace":
            new = event.source.get("content", {}).get("m.new_content") or {}
            if new.get("msgtype") != "m.text" or not isinstance(new.get("body"), str):
                return None
            body, edit_of = new["body"], EventId(str(relation.get("event_id")))
        thread = relation.get("event_id") if relation.get("rel_type") == "m.thread" else None
        return Message(
            room_id=RoomId(room.room_id),
            sender=UserId(event.sender),
            body=body,
            event_id=EventId(event.event_id),
            thread_id=EventId(str(thread)) if thread else None,
            is_direct=room.member_count <= 2,
            timestamp=datetime.fromtimestamp(event.server_timestamp / 1000, UTC),
            edit_of=edit_of,
        )

    # ----- invites ---------------------------------------------------------------------------

    def _invite_allowed(self, inviter: str) -> bool:
        allowed = self.matrix.invites
        server = inviter.partition(":")[2]
        return inviter in allowed.allowed_users or server in allowed.allowed_servers

    async def _answer_invite(self, room_id: RoomId, state: list[Any]) -> None:
        if room_id in self._invites_in_flight:
            return
        invite = next(
            (
                e
                for e in state
                if isinstance(e, InviteMemberEvent)
                and e.state_key == self.client.user_id
                and e.membership == "invite"
            ),
            None,
        )
        if invite is None:
            return
        self._invites_in_flight.add(room_id)
        try:
            if self._invite_allowed(invite.sender):
                response = await self.client.join(room_id)
                ok = isinstance(response, JoinResponse)
                outcome = "joined" if ok else "could not join"
                log.info("%s %s, invited by %s", outcome, room_id, invite.sender)
            else:
                await self.client.room_leave(room_id)
                log.warning(
                    "rejected invite to %s from %s: not on the allow-list", room_id, invite.sender
                )
        except TRANSIENT as exc:
            log.warning("answering the invite to %s failed (%s); will retry", room_id, exc)
        finally:
            self._invites_in_flight.discard(room_id)

    # ----- answering -------------------------------------------------------------------------

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _enqueue(self, message: Message) -> None:
        """Commands of one room go to one worker, so they are answered in order."""
        self.queues[hash(message.room_id) % len(self.queues)].put_nowait(message)

    async def _worker(self, queue: asyncio.Queue[Message]) -> None:
        while True:
            message = await queue.get()
            try:
                await self._answer(message)
            except asyncio.CancelledError:
                raise
            except SendFailed as exc:
                log.warning("could not answer %s: %s", message.event_id, exc)
                await self.intake.done(message)
            except Exception:
                log.exception("answering %s failed; kept for the next start", message.event_id)
            finally:
                queue.task_done()

    async def _answer(self, message: Message) -> None:
        outgoing = await self.app.handle(message)
        for out in outgoing:
            await self.transport.send(out)
        log.debug(
            "answered %s in %s with %d messages", message.event_id, message.room_id, len(outgoing)
        )
        if self._kill_after_send:
            # Fault drill: die between "sent" and "recorded", as a power cut would.
            os.kill(os.getpid(), signal.SIGKILL)
        await self.intake.done(message)
        # Someone was forgotten: purge the WAL now (else the next housekeeping does).
        if self.app.privacy.checkpoint_due and self.intake.fault is None:
            self.app.privacy.checkpoint_due = False
            await self.app.db.checkpoint()

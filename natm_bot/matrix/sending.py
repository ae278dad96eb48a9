"""Sending into Matrix rooms: notices with HTML, reply relations, no pings, native polls,
exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

from nio import (
    AsyncClient,
    ErrorResponse,
    LocalProtocolError,
    RoomCreateEvent,
    RoomCreateResponse,
    RoomInviteResponse,
    RoomMemberEvent,
    RoomPreset,
    RoomSendResponse,
    UploadResponse,
)

from natm_bot.core.messages import EventId, NativePoll, Outgoing, RoomId, UserId
from natm_bot.core.trace import TRACE
from natm_bot.matrix import roomstate
from natm_bot.matrix.content import mention_names, message_content, relate
from natm_bot.matrix.crypto import Crypto
from natm_bot.matrix.polls import POLL_END, POLL_START, end_content, start_content
from natm_bot.matrix.retry import TRANSIENT, Backoff
from natm_bot.transport import SendFailed, moved_to

log = logging.getLogger(__name__)
T = TypeVar("T")

PERMANENT_ERRORS = frozenset(
    {"M_FORBIDDEN", "M_TOO_LARGE", "M_NOT_FOUND", "M_BAD_JSON", "M_UNKNOWN"}
)
PRE_V12_VERSIONS = frozenset(str(n) for n in range(1, 12))
CREATOR_LEVEL = 1_000_000  # "infinite": above anything a power-levels event can grant


# Our own code for a room the bot does not know after syncing: it is not (or no longer) in it.
NOT_JOINED = "NOT_JOINED"
ROOM_WAIT_S = 35.0  # one long-poll sync (30 s) and then some, for a room joined just now


class MatrixTransport(roomstate.RoomState):
    """The Transport protocol over a logged-in nio client whose rooms the sync loop keeps."""

    def __init__(self, client: AsyncClient, crypto: Crypto, *, encryption: bool) -> None:
        self.client = client
        self.crypto = crypto
        self.encryption = encryption
        self._dm_lock = asyncio.Lock()
        self._room_seen = asyncio.Condition()
        self._creators: dict[RoomId, frozenset[str]] = {}
        self._names: dict[RoomId, frozenset[str] | None] = {}  # see content.mention_names
        self._aliases: dict[RoomId, RoomId] = {}
        self._moved: dict[RoomId, RoomId] = {}  # a room upgraded → its replacement
        self._synced = False  # until the first sync, nio knows no room at all

    async def notify_rooms_changed(self) -> None:
        """Called by the sync loop after each batch, to wake senders waiting for a room."""
        self._synced = True
        async with self._room_seen:
            self._room_seen.notify_all()

    async def wait_for_room(
        self, room_id: RoomId, timeout: float = 30, *, member: UserId | None = None
    ) -> bool:
        """Until a sync brought the room (and `member`, joined or invited); False on timeout."""

        def seen() -> bool:
            room = self.client.rooms.get(room_id)
            return room is not None and (member is None or member in room.users)

        async with self._room_seen:
            try:
                await asyncio.wait_for(self._room_seen.wait_for(seen), timeout)
            except TimeoutError:
                return False
        return True

    def note_state(self, room_id: str, events: list[Any]) -> None:
        """Remember who created a room: in room version 12 creators outrank every power
        level, but nio reads them as level 0. Forget its members' names when they change."""
        for event in events:
            if isinstance(event, RoomMemberEvent):
                self._names.pop(RoomId(room_id), None)  # someone came, left or was renamed
            if isinstance(event, RoomCreateEvent):
                content = event.source.get("content", {})
                extra = content.get("additional_creators") or []
                creators = {event.sender, *(u for u in extra if isinstance(u, str))}
                self._creators[RoomId(room_id)] = frozenset(creators)

    def power_level(self, room_id: RoomId, user_id: UserId) -> int | None:
        """From the room state the client holds; None when the room is not known yet."""
        room = self.client.rooms.get(room_id)
        if room is None:
            return None
        creators = self._creators.get(room_id, frozenset())
        if user_id in creators and room.room_version not in PRE_V12_VERSIONS:
            return CREATOR_LEVEL
        return int(room.power_levels.get_user_level(user_id))

    def members(self, room_id: RoomId) -> list[UserId]:
        """The room's joined members other than the bot, from the state the client holds."""
        room = self.client.rooms.get(room_id)
        if room is None:
            return []
        return sorted(UserId(u) for u in room.users if u != self.client.user_id)

    def rooms(self) -> list[RoomId]:
        """The rooms a sync has brought the state of."""
        return [RoomId(room) for room in self.client.rooms]

    def is_direct(self, room_id: RoomId) -> bool:
        """A room with just the bot and one other person."""
        room = self.client.rooms.get(room_id)
        return room is not None and room.member_count <= 2

    async def direct_room(self, user_id: UserId) -> RoomId:
        """An existing two-person room with the user, or a new (encrypted) one. Before the
        first sync nio knows no room (a message handled again right after a restart): wait
        for it, or a second direct chat would be opened."""
        if not self._synced:
            async with self._room_seen:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._room_seen.wait_for(lambda: self._synced), 120)
        async with self._dm_lock:
            for room in self.client.rooms.values():
                if set(room.users) == {self.client.user_id, user_id}:
                    return RoomId(room.room_id)
            initial_state = []
            if self.encryption:
                initial_state.append(
                    {
                        "type": "m.room.encryption",
                        "state_key": "",
                        "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                    }
                )
            response = await self.client.room_create(
                is_direct=True,
                preset=RoomPreset.trusted_private_chat,
                invite=[user_id],
                initial_state=initial_state,
            )
            if not isinstance(response, RoomCreateResponse):
                raise SendFailed(f"could not open a direct chat: {response}")
            room_id = RoomId(response.room_id)
            # Encrypted before the invite is synced, the room key would reach the bot alone.
            if not await self.wait_for_room(room_id, member=user_id):
                log.warning("the invite into direct chat %s has not come back yet", room_id)
            log.info("opened a direct chat room %s", room_id)
            return room_id

    def follow(self, old: RoomId, new: RoomId) -> None:
        """Whatever names the old room reaches the new one from now on."""
        self._moved[old] = new

    async def room_id(self, room: RoomId) -> RoomId:
        """The id of a room given by id or by alias (#name:server), followed to its upgrade."""
        return moved_to(self._moved, await self._room_id(room))

    async def _room_id(self, room: RoomId) -> RoomId:
        if not room.startswith("#"):
            return room
        if room not in self._aliases:
            self._aliases[room] = await roomstate.resolve_alias(self.client, room)
        return self._aliases[room]

    async def invite(self, room_id: RoomId, user_id: UserId) -> bool:
        """Invite into a room (id or alias); already being there counts as success."""
        try:
            target = await self.room_id(room_id)
        except (SendFailed, *TRANSIENT) as exc:
            log.warning("%s", exc)
            return False
        response = await self.client.room_invite(target, user_id)
        if isinstance(response, RoomInviteResponse):
            return True
        message = str(getattr(response, "message", ""))
        if "already in the room" in message or "already joined" in message:
            return True
        log.warning("could not invite %s into %s: %s", user_id, target, message)
        return False

    async def send(self, out: Outgoing) -> EventId:
        """Send one reply, retrying transient failures with the same txn id until it lands;
        its event id. SendFailed when refused for good. A caller that cannot wait forever
        cancels it."""
        return await self._retrying(
            out.room_id, lambda room: self._send_once(replace(out, room_id=room))
        )

    async def react(self, room_id: RoomId, event_id: EventId, key: str, txn_id: str) -> EventId:
        """React to an event (`m.reaction`, an `m.annotation`; its relation stays readable in
        an encrypted room), retried as `send` is; the reaction's id."""
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        return await self._retrying(
            room_id, lambda room: self._event(room, "m.reaction", content, txn_id)
        )

    def display_name(self, room_id: RoomId, user_id: UserId) -> str:
        """The user's display name in the room as the sync keeps it (never disambiguated
        with their user id), else their local part."""
        room = self.client.rooms.get(room_id)
        user = room.users.get(user_id) if room is not None else None
        name = user.display_name if user is not None else None
        return name or user_id.split(":")[0].lstrip("@")

    async def start_poll(self, room_id: RoomId, poll: NativePoll, txn_id: str) -> EventId:
        """Post a native poll as Element does (`org.matrix.msc3381.poll.start`), retried as
        `send` is; its event id."""
        content = start_content(poll)
        return await self._retrying(
            room_id, lambda room: self._event(room, POLL_START, content, txn_id)
        )

    async def end_poll(
        self, room_id: RoomId, poll_event: EventId, text: str, txn_id: str
    ) -> EventId:
        """Close a native poll (`org.matrix.msc3381.poll.end`) with `text`, retried as
        `send` is; the end event's id."""
        content = end_content(poll_event, text)
        return await self._retrying(
            room_id, lambda room: self._event(room, POLL_END, content, txn_id)
        )

    async def _retrying(self, room_id: RoomId, attempt: Callable[[RoomId], Awaitable[T]]) -> T:
        """Run `attempt` in the room (an alias resolved) until it lands, retrying transient
        failures; SendFailed when refused for good."""
        backoff = Backoff()
        room = room_id
        try:
            while True:
                try:
                    room = await self.room_id(room_id)
                    return await attempt(room)
                except LocalProtocolError as exc:
                    await self._unknown_room(room, exc, backoff)
                except TRANSIENT as exc:
                    self.crypto.forget_outbound_session(room)
                    await self._pause(room, type(exc).__name__, backoff)
        except asyncio.CancelledError:
            # Cancelled half-way, the room key may be marked shared with devices that never
            # got it: the next message starts a new one.
            self.crypto.forget_outbound_session(room)
            raise

    async def _event(
        self,
        room_id: RoomId,
        event_type: str,
        content: dict[str, Any],
        txn_id: str,
        traced: str = "",
    ) -> EventId:
        """One event of any type, keys shared first in an encrypted room; its id. `traced`:
        the command it answers, whose trace gets the stages."""
        await self._prepare_encryption(room_id)
        TRACE.mark(traced, "keys")
        response = await self.client.room_send(
            room_id, event_type, content, tx_id=txn_id, ignore_unverified_devices=True
        )
        TRACE.mark(traced, "send")
        self._check(response, room_id)
        assert isinstance(response, RoomSendResponse)
        return EventId(response.event_id)

    async def _pause(self, room_id: RoomId, why: str, backoff: Backoff) -> None:
        delay = backoff.next_delay()
        log.warning("send to %s failed (%s); retry in %.1fs", room_id, why, delay)
        await asyncio.sleep(delay)

    async def _unknown_room(self, room_id: RoomId, exc: Exception, backoff: Backoff) -> None:
        """Before the first sync nio knows no room: wait for it. After, a room still unknown
        once the next sync had time to bring it is one the bot is not in: refused for good."""
        if room_id in self.client.rooms:  # some other local refusal: not a missing room
            await self._pause(room_id, str(exc), backoff)
        elif not self._synced:
            if not await self.wait_for_room(room_id, timeout=backoff.next_delay() * 5):
                log.warning("room %s still unknown (%s); retrying", room_id, exc)
        elif not await self.wait_for_room(room_id, timeout=ROOM_WAIT_S):
            raise SendFailed(f"{room_id}: the bot is not in this room", NOT_JOINED)

    async def _send_once(self, out: Outgoing) -> EventId:
        content = relate(message_content(out.reply, self._mention_names(out.room_id)), out)
        traced = out.in_reply_to.event_id if out.in_reply_to is not None else ""
        TRACE.mark(traced, "render")
        if out.reply.attachment is not None:
            await self._send_file(out)
        return await self._event(out.room_id, "m.room.message", content, out.txn_id, traced)

    def _mention_names(self, room_id: RoomId) -> frozenset[str] | None:
        """The names legacy mention rules look for in the room (kept until its members
        change); None while the room is unknown."""
        if room_id not in self._names:
            room = self.client.rooms.get(room_id)
            if room is None:
                return None
            self._names[room_id] = mention_names(room.users, self.client.user_id)
        return self._names[room_id]

    def _check(self, response: object, room_id: RoomId) -> None:
        if isinstance(response, RoomSendResponse | UploadResponse):
            return
        if isinstance(response, ErrorResponse):
            code = str(response.status_code or "")
            # Synapse answers an internal error with 500 M_UNKNOWN: that one may pass.
            status = int(getattr(response.transport_response, "status", 0) or 0)
            if code in PERMANENT_ERRORS and status < 500:
                raise SendFailed(f"{room_id}: {code} {response.message}", code)
            raise OSError(f"{status or ''} {code} {response.message}".strip())
        raise OSError(f"unexpected response {type(response).__name__}")

    async def _prepare_encryption(self, room_id: RoomId) -> None:
        """Make the room's keys ready; LocalProtocolError for a room nio does not know."""
        if room_id not in self.client.rooms:
            raise LocalProtocolError(f"No such room {room_id}")
        # Refused for good when the bot is no longer in the room (kicked, banned).
        failure = await self.crypto.prepare(room_id)
        if failure is not None:
            self._check(failure, room_id)

    async def _send_file(self, out: Outgoing) -> None:
        attachment = out.reply.attachment
        assert attachment is not None
        room = self.client.rooms.get(out.room_id)
        encrypted = bool(room and room.encrypted and self.client.olm is not None)
        response, keys = await self.client.upload(
            io.BytesIO(attachment.data),
            content_type=attachment.mimetype,
            filename=attachment.filename,
            encrypt=encrypted,
            filesize=len(attachment.data),
        )
        self._check(response, out.room_id)
        assert isinstance(response, UploadResponse)
        content: dict[str, Any] = {
            "msgtype": "m.file",
            "body": attachment.filename,
            "filename": attachment.filename,
            "info": {"mimetype": attachment.mimetype, "size": len(attachment.data)},
            "m.mentions": {},
        }
        if encrypted and keys:
            content["file"] = {**keys, "url": response.content_uri}
        else:
            content["url"] = response.content_uri
        await self._prepare_encryption(out.room_id)
        file_response = await self.client.room_send(
            out.room_id,
            "m.room.message",
            relate(content, out),
            tx_id=f"{out.txn_id}-file",
            ignore_unverified_devices=True,
        )
        self._check(file_response, out.room_id)

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.client.close()

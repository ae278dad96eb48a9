"""Encrypted events that could not be read when they came, because their room key had not
reached the bot's device yet (a person's client shares a new room key just before the first
message; the homeserver may deliver the key in a later sync than the message).

Each is kept in the database with the sync token that moved past it, so neither a restart
nor a crash loses it. After every sync in which a room key came (and once at start, as the
crypto store may hold keys that came in the last moments before a crash), the waiting
events are decrypted again and go the way of any other event. nio itself asks the sender's
device for the key when its Olm session with the bot is new. An event still unreadable after
`max_command_age` is given up: a WARNING, and its sender is told to send it again."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from nio import (
    AsyncClient,
    EncryptionError,
    Event,
    ForwardedRoomKeyEvent,
    MegolmEvent,
    RoomKeyEvent,
)

from natm_bot.core.clock import Clock
from natm_bot.core.messages import EventId, Message, RoomId, UserId
from natm_bot.storage.sealed import Sealed

log = logging.getLogger(__name__)

Notify = Callable[[Message], Awaitable[None]]


def _sent_at(event: MegolmEvent) -> datetime:
    return datetime.fromtimestamp(event.server_timestamp / 1000, UTC)


class SealedEvents:
    """The encrypted events waiting for their room keys, in memory beside the database."""

    def __init__(self, client: AsyncClient, clock: Clock, max_age: timedelta) -> None:
        self.client = client
        self.clock = clock
        self.max_age = max_age
        self._waiting: dict[EventId, MegolmEvent] = {}
        self._key_came = True  # at start: keys may have come just before a crash
        self._told: set[tuple[str, str, str]] = set()  # (room, sender, session) told
        client.add_to_device_callback(self._on_key, (RoomKeyEvent, ForwardedRoomKeyEvent))

    def _on_key(self, event: Any) -> None:
        self._key_came = True

    def restore(self, kept: Sequence[Sealed]) -> None:
        """Take up the events kept by an earlier run."""
        for row in kept:
            event = Event.parse_event(json.loads(row.source))
            if isinstance(event, MegolmEvent):
                event.room_id = row.room_id
                self._waiting[row.event_id] = event
        if self._waiting:
            log.info("%d encrypted events still wait for their room keys", len(self._waiting))

    def keep(self, room_id: str, events: Sequence[MegolmEvent]) -> list[Sealed]:
        """Keep the events not kept yet; the rows to save with the sync token."""
        rows = []
        for event in events:
            event_id = EventId(event.event_id)
            if event_id in self._waiting:
                continue
            event.room_id = room_id
            self._waiting[event_id] = event
            log.warning(
                "could not decrypt event %s in %s from %s yet (its room key has not come): "
                "kept until it comes",
                event_id,
                room_id,
                event.sender,
            )
            source = json.dumps(event.source, ensure_ascii=False)
            rows.append(Sealed(event_id, RoomId(room_id), source, event.server_timestamp))
        return rows

    def opened(self) -> tuple[list[tuple[str, Any]], list[EventId]]:
        """The waiting events a room key has come for, decrypted, with their rooms (oldest
        first); and the ids of all of them."""
        if not self._key_came or not self._waiting:
            return [], []
        self._key_came = False
        found: list[tuple[str, Any]] = []
        for event_id, event in list(self._waiting.items()):
            try:
                decrypted = self.client.decrypt_event(event)
            except EncryptionError:
                continue  # its key has not come yet
            del self._waiting[event_id]
            log.info("decrypted event %s in %s: its room key came", event_id, event.room_id)
            found.append((str(event.room_id), decrypted))
        return found, [EventId(e.event_id) for _, e in found]

    def expired(self) -> tuple[list[Message], list[EventId]]:
        """The events given up on now (older than `max_command_age`), forgotten here: one
        per sender and room key, to tell its sender; and the ids of all of them."""
        oldest = self.clock.now() - self.max_age
        told: dict[tuple[str, str, str], Message] = {}
        given_up: list[EventId] = []
        for event_id, event in list(self._waiting.items()):
            if _sent_at(event) >= oldest:
                continue
            del self._waiting[event_id]
            given_up.append(event_id)
            log.warning(
                "gave up on encrypted event %s in %s from %s: its room key never came "
                "within max_command_age; asking the sender to send it again",
                event_id,
                event.room_id,
                event.sender,
            )
            room = self.client.rooms.get(str(event.room_id))
            key = (str(event.room_id), event.sender, str(event.session_id))
            if key in self._told:
                continue  # one notice per sender and room key is enough
            told.setdefault(
                key,
                Message(
                    room_id=RoomId(str(event.room_id)),
                    sender=UserId(event.sender),
                    body="",
                    event_id=event_id,
                    timestamp=_sent_at(event),
                    is_direct=room is not None and room.member_count <= 2,
                ),
            )
        self._told.update(told)
        return list(told.values()), given_up

"""Matrix timeline events as what the bot takes in: `Message`s (edits, threads, direct rooms,
mentions, age), `PollAnswer`s (taps on native polls), `Reaction`s and `Retraction`s (a
redaction: a reaction or a message taken back)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from nio import (
    AsyncClient,
    BadEvent,
    MatrixRoom,
    MegolmEvent,
    ReactionEvent,
    RedactionEvent,
    RoomMemberEvent,
    RoomMessagesResponse,
    RoomMessageText,
    RoomUpgradeEvent,
    UnknownEvent,
)

from natm_bot.core.clock import Clock
from natm_bot.core.messages import (
    EventId,
    Incoming,
    Membership,
    Message,
    PollAnswer,
    Reaction,
    Retraction,
    RoomId,
    Tombstone,
    UserId,
)
from natm_bot.matrix.polls import read_response

log = logging.getLogger(__name__)

BACKFILL_PAGES = 20
PAGE_SIZE = 100


def relation(event: RoomMessageText) -> dict[str, Any]:
    """The event's `m.relates_to`, or an empty dict."""
    content = event.source.get("content", {})
    related = content.get("m.relates_to")
    return related if isinstance(related, dict) else {}


def _text(event: RoomMessageText, related: dict[str, Any]) -> tuple[str, EventId | None] | None:
    """The text to read and, for an edit, the event it replaces; None for a non-text edit."""
    if related.get("rel_type") != "m.replace":
        return event.body, None
    new = event.source.get("content", {}).get("m.new_content") or {}
    if new.get("msgtype") != "m.text" or not isinstance(new.get("body"), str):
        return None
    return new["body"], EventId(str(related.get("event_id")))


def _mentions(event: RoomMessageText) -> tuple[UserId, ...]:
    """The user ids the message mentions (`m.mentions`, as a pill sends), at most ten."""
    mentions = event.source.get("content", {}).get("m.mentions")
    users = mentions.get("user_ids") if isinstance(mentions, dict) else None
    if not isinstance(users, list):
        return ()
    return tuple(UserId(u) for u in users if isinstance(u, str) and u.startswith("@"))[:10]


def _when(event: Any) -> datetime:
    return datetime.fromtimestamp(event.server_timestamp / 1000, UTC)


def _head(room: MatrixRoom, event: Any) -> tuple[RoomId, UserId, EventId, datetime]:
    """What every item read from a timeline begins with: its room, its sender, its event
    and the homeserver's time of it."""
    return RoomId(room.room_id), UserId(event.sender), EventId(event.event_id), _when(event)


def _unchecked(event: Any, event_type: str) -> dict[str, Any] | None:
    """The content of an event of `event_type` that nio did not parse into its own class
    (a type it does not know, or one its schema refused); None for any other event."""
    if not isinstance(event, UnknownEvent | BadEvent) or event.type != event_type:
        return None
    content = event.source.get("content") if isinstance(event.source, dict) else None
    return content if isinstance(content, dict) else {}


def to_message(room: MatrixRoom, event: Any, bot_user: str) -> Message | None:
    """The text someone typed, as a Message; None for anything else (the bot's own
    messages, notices of other bots, emotes, files, state, events not decrypted)."""
    if getattr(event, "sender", None) == bot_user:
        return None
    if not isinstance(event, RoomMessageText):
        return None
    related = relation(event)
    text = _text(event, related)
    if text is None:
        return None
    body, edit_of = text
    thread = related.get("event_id") if related.get("rel_type") == "m.thread" else None
    return Message(
        room_id=RoomId(room.room_id),
        sender=UserId(event.sender),
        body=body,
        event_id=EventId(event.event_id),
        thread_id=EventId(str(thread)) if thread else None,
        is_direct=room.member_count <= 2,
        timestamp=_when(event),
        edit_of=edit_of,
        mentions=_mentions(event),
    )


def to_poll_answer(room: MatrixRoom, event: Any, bot_user: str) -> PollAnswer | None:
    """A tap on a native poll (a poll response, stable or unstable, as nio gives an event
    type it does not know, decrypted or not), as a PollAnswer; None for anything else (the
    bot's own events, responses that name no poll)."""
    if not isinstance(event, UnknownEvent) or event.sender == bot_user:
        return None
    source = event.source if isinstance(event.source, dict) else {}
    read = read_response(event.type, source.get("content"))
    if read is None:
        return None
    poll_event, answers = read
    return PollAnswer(
        *_head(room, event),
        poll_event=EventId(poll_event),
        answers=answers,
    )


MAX_KEY = 64  # an emoji sequence is short; a longer key is nothing the bot reads


def to_reaction(room: MatrixRoom, event: Any, bot_user: str) -> Reaction | None:
    """A reaction (`m.reaction`, decrypted or in the clear) as a Reaction; None for anything
    else (the bot's own, keys too long to be an emoji)."""
    if not isinstance(event, ReactionEvent) or event.sender == bot_user:
        return None
    if not isinstance(event.key, str) or not 0 < len(event.key) <= MAX_KEY:
        return None
    return Reaction(
        *_head(room, event),
        target=EventId(str(event.reacts_to)),
        key=event.key,
    )


def to_retraction(room: MatrixRoom, event: Any, bot_user: str) -> Retraction | None:
    """A redaction as a Retraction: the event it takes back is named at the top level (room
    versions up to 10) or only in its content (version 11, which nio's schema refuses as a
    bad event); None for anything else."""
    content = _unchecked(event, "m.room.redaction")
    if isinstance(event, RedactionEvent):
        redacts: object = event.redacts
    elif content is not None:
        redacts = content.get("redacts")
    else:
        return None
    if event.sender == bot_user or not isinstance(redacts, str) or not redacts:
        return None
    return Retraction(
        *_head(room, event),
        redacts=EventId(redacts),
    )


MAX_REASON = 300  # a reason is shown to nobody; a longer one is cut


def to_membership(room: MatrixRoom, event: Any, bot_user: str) -> Membership | None:
    """A change of someone's membership (`m.room.member`, never encrypted) as a Membership;
    None for anything else and for the bot's own."""
    if not isinstance(event, RoomMemberEvent) or event.state_key == bot_user:
        return None
    if not isinstance(event.state_key, str) or not event.state_key.startswith("@"):
        return None
    reason = event.content.get("reason") if isinstance(event.content, dict) else None
    return Membership(
        *_head(room, event),
        user=UserId(event.state_key),
        membership=str(event.membership),
        previous=event.prev_membership,
        reason=reason[:MAX_REASON] if isinstance(reason, str) else "",
    )


def since_join(events: list[Any], bot_user: str) -> list[Any]:
    """The events after the bot's last join: only what was said while it was there."""
    start = 0
    for index, event in enumerate(events):
        if (
            isinstance(event, RoomMemberEvent)
            and event.state_key == bot_user
            and event.membership == "join"
            and (event.prev_membership or "leave") != "join"
        ):
            start = index + 1
    return events[start:]


def to_tombstone(room: MatrixRoom, event: Any, bot_user: str) -> Tombstone | None:
    """A room's upgrade (`m.room.tombstone`, as nio reads it or as an event it could not
    check) as a Tombstone; None for anything else or one naming no room."""
    content = _unchecked(event, "m.room.tombstone")
    if isinstance(event, RoomUpgradeEvent):
        replacement: object = event.replacement_room
        body: object = event.body
    elif content is not None:
        replacement, body = content.get("replacement_room"), content.get("body", "")
    else:
        return None
    if not isinstance(replacement, str) or not replacement.startswith("!"):
        return None
    if replacement == room.room_id or len(replacement) > 255:
        return None
    return Tombstone(
        *_head(room, event),
        replacement=RoomId(replacement),
        body=body[:500] if isinstance(body, str) else "",
    )


@dataclass(frozen=True)
class CommandReader:
    """Picks the commands, lines of minutes, poll answers, reactions, retractions and
    membership changes out of a room's timeline, skipping commands too old to answer."""

    bot_user: str
    is_command: Callable[[str], bool]
    clock: Clock
    max_age: timedelta
    is_note: Callable[[str], bool] = lambda body: False  # a line of minutes (`#info …`)
    # a newcomer's reply to their welcome (`2`, `1 3`, `stop` in a direct message)
    is_answer: Callable[[Message], bool] = lambda message: False

    def incoming_in(self, room: MatrixRoom, events: list[Any]) -> list[Incoming]:
        """The commands and poll answers among the events since the bot joined, oldest
        first."""
        found = []
        for event in since_join(events, self.bot_user):
            item = self.incoming(room, event)
            if item is not None:
                found.append(item)
        return found

    def incoming(self, room: MatrixRoom, event: Any) -> Incoming | None:
        """The event as a command to answer, a line of minutes, a tap to count, a reaction
        or a retraction; None for anything else. Only commands have an age limit: a vote
        cast, a reaction made or a line of minutes said while the bot was away still counts
        (what it is for judges it by its timestamp)."""
        for read in (to_poll_answer, to_reaction, to_retraction, to_membership, to_tombstone):
            item = read(room, event, self.bot_user)
            if item is not None:
                return item
        note = to_message(room, event, self.bot_user)
        spoken = note is not None and not self.is_command(note.body)
        if note is not None and spoken and (self.is_note(note.body) or self.is_answer(note)):
            return note
        return self.command(room, event)

    def command(self, room: MatrixRoom, event: Any) -> Message | None:
        """The event as a command to answer; None when it is none or too old."""
        message = to_message(room, event, self.bot_user)
        if message is None or not self.is_command(message.body):
            return None
        age = self.clock.now() - message.timestamp
        if age > self.max_age:
            log.info(
                "skipped command %s in %s: sent %d s ago, older than max_command_age",
                message.event_id,
                room.room_id,
                age.total_seconds(),
            )
            return None
        return message

    def sealed_in(self, events: list[Any]) -> list[MegolmEvent]:
        """The events that could not be decrypted (yet), from others, young enough to
        answer, oldest first."""
        oldest = (self.clock.now() - self.max_age).timestamp() * 1000
        return [
            event
            for event in since_join(events, self.bot_user)
            if isinstance(event, MegolmEvent)
            and event.sender != self.bot_user
            and event.server_timestamp >= oldest
        ]

    async def earlier(
        self, client: AsyncClient, room_id: str, token: str | None, since: str | None
    ) -> list[Any]:
        """Events a limited sync left out, back to where the previous sync ended (`since`):
        taps on polls count whatever their age, so the whole gap is read, not just the
        commands young enough to answer; oldest first, at most BACKFILL_PAGES pages."""
        found: list[Any] = []
        for _ in range(BACKFILL_PAGES):
            if token is None:
                break
            page = await client.room_messages(room_id, start=token, end=since, limit=PAGE_SIZE)
            if not isinstance(page, RoomMessagesResponse) or not page.chunk:
                break
            found = list(reversed(page.chunk)) + found
            if page.end == token:
                break
            token = page.end
        else:
            log.warning("room %s: more than %d pages of missed events", room_id, BACKFILL_PAGES)
        return found

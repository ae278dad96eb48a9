"""What comes in (messages, taps on polls, reactions and their retractions) and what goes out
(replies, native polls)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import NewType

RoomId = NewType("RoomId", str)
UserId = NewType("UserId", str)
EventId = NewType("EventId", str)


def txn_id(prefix: str, *parts: object, sep: str = "\x00") -> str:
    """A transaction id derived from what a message answers or announces, so that sending
    it again is a no-op at the homeserver: `prefix` and 32 hex digits of a hash of the parts.

    Replies use the prefix `natm-` and the parts (event id, reply index); announcements
    `natm-a-` and (source, occurrence, offset, channel, target) joined by `|`. These ids
    must stay the same from one version to the next, or a resend would show twice."""
    raw = sep.join(str(part) for part in parts)
    return prefix + hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Message:
    """A text message typed by a person in a room, as every transport delivers it."""

    room_id: RoomId
    sender: UserId
    body: str
    event_id: EventId
    timestamp: datetime  # when it was typed, as the homeserver (or the clock of a test) says
    thread_id: EventId | None = None
    is_direct: bool = False
    edit_of: EventId | None = None
    mentions: tuple[UserId, ...] = ()  # the people it mentions (m.mentions, as pills send)

    @property
    def reply_target(self) -> EventId:
        """The event a reply should point at: the original message when this is an edit."""
        return self.edit_of or self.event_id


@dataclass(frozen=True)
class Attachment:
    """A file sent with a reply (a CSV export, an .ics calendar)."""

    filename: str
    mimetype: str
    data: bytes


@dataclass(frozen=True)
class Card:
    """What a reply offers to do by reaction: join one group (`group`) or one of a list
    (`groups`, in the order shown, numbered from 1), or endorse a statement (`statement`)."""

    group: str | None = None
    groups: tuple[str, ...] = ()
    statement: str | None = None  # a statement's card: a ✍️ reaction endorses it


@dataclass(frozen=True)
class Reply:
    """What a command answers: Markdown source, rendered to plain text and HTML on the way out."""

    markdown: str
    private: bool = False  # to the sender, in a direct chat
    attachment: Attachment | None = None
    mentions: tuple[UserId, ...] = ()
    to_user: UserId | None = None  # to someone else, in a direct chat
    to_room: RoomId | None = None  # into another room, not as a reply
    card: Card | None = None  # a list or card of groups that reactions join (its event kept)


@dataclass(frozen=True)
class RoomSpec:
    """A room (or Space) the bot makes: its name and topic, encryption, who sees the history,
    the join rule, and the power of each person named (the bot itself always at 100)."""

    name: str
    topic: str = ""
    space: bool = False
    encrypted: bool = False
    history_visibility: str = "shared"
    join_rule: str = "invite"
    power: tuple[tuple[UserId, int], ...] = ()
    invite: tuple[UserId, ...] = ()  # invited when the room is made


@dataclass(frozen=True)
class Outgoing:
    """A reply with its destination, ready for a transport."""

    room_id: RoomId
    reply: Reply
    txn_id: str
    in_reply_to: Message | None = None
    thread: EventId | None = None  # posted in this thread (when it answers no message)


@dataclass(frozen=True)
class PollAnswer:
    """A person's tap on a native poll."""

    room_id: RoomId
    sender: UserId
    event_id: EventId
    timestamp: datetime  # the homeserver's
    poll_event: EventId  # the poll start event it answers (m.relates_to m.reference)
    answers: tuple[str, ...]  # the answer ids chosen (empty: a spoiled vote)


@dataclass(frozen=True)
class Reaction:
    """A person's reaction (an emoji) to an event."""

    room_id: RoomId
    sender: UserId
    event_id: EventId
    timestamp: datetime  # the homeserver's
    target: EventId  # the event reacted to (m.relates_to m.annotation)
    key: str  # the emoji, as sent

    def typed(self, body: str) -> Message:
        """The command this reaction stands for, as if its sender had typed `body`; it keeps
        the reaction's event id, so it is answered once."""
        return Message(self.room_id, self.sender, body, self.event_id, self.timestamp)


@dataclass(frozen=True)
class Retraction:
    """A person took an event of theirs back (its redaction): a reaction removed, a message
    deleted."""

    room_id: RoomId
    sender: UserId
    event_id: EventId
    timestamp: datetime  # the homeserver's
    redacts: EventId  # the event taken back


@dataclass(frozen=True)
class Membership:
    """A change of someone's membership of a room (`m.room.member`): a join, a knock, a
    leave (or kick), a ban, an invite."""

    room_id: RoomId
    sender: UserId  # who made the change (the person, or whoever kicked or invited them)
    event_id: EventId
    timestamp: datetime  # the homeserver's
    user: UserId  # whose membership changed (the state key)
    membership: str  # join, leave, knock, ban, invite
    previous: str | None  # the membership before, when known
    reason: str = ""


@dataclass(frozen=True)
class Tombstone:
    """A room was upgraded (`m.room.tombstone`): its conversation goes on in `replacement`."""

    room_id: RoomId
    sender: UserId
    event_id: EventId
    timestamp: datetime  # the homeserver's
    replacement: RoomId
    body: str  # what the server or the person upgrading said


# What comes in from a chat: a typed message, a tap on a native poll, a reaction, a
# retraction of one of these, a change of someone's membership of a room, or a room's
# upgrade.
Incoming = Message | PollAnswer | Reaction | Retraction | Membership | Tombstone


@dataclass(frozen=True)
class NativePoll:
    """A poll as chat clients show it natively: a question and answers to tap."""

    question: str
    answers: tuple[tuple[str, str], ...]  # (answer id, text), at most 20
    max_selections: int
    disclosed: bool  # False: results hidden until the end (undisclosed)
    fallback: str  # the plain text clients without polls show

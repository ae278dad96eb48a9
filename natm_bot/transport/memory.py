"""A transport that keeps what is sent in memory: for tests, benchmarks and the console."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

from natm_bot.core.messages import EventId, NativePoll, Outgoing, Reply, RoomId, UserId
from natm_bot.transport import SendFailed
from natm_bot.transport.memory_state import MemoryRoomState

REFUSALS = {
    "M_FORBIDDEN": "You are not allowed to send messages in this room",
    "M_NOT_FOUND": "Unknown room",
}


class UnexpectedUse(Exception):
    """The in-memory transport was used in a way no homeserver would allow, or about a room
    the caller never set up: the test (or tool) using it must say what it expects."""


@dataclass(frozen=True)
class StartedPoll:
    """A native poll posted: where, what, and the event id made up for it."""

    room_id: RoomId
    poll: NativePoll
    event_id: EventId
    txn_id: str


@dataclass(frozen=True)
class SentReaction:
    """A reaction the bot made: where, to which event, with which key."""

    room_id: RoomId
    target: EventId
    key: str
    event_id: EventId


@dataclass(frozen=True)
class EndedPoll:
    """A native poll closed: where, which, the outcome's text, and the end event's id."""

    room_id: RoomId
    poll_event: EventId
    text: str
    event_id: EventId
    txn_id: str


class MemoryTransport(MemoryRoomState):
    """Records every reply; room state is whatever the caller sets.

    It answers only about rooms it was told about: `join` (the bot is there, everyone at
    level 0), `set_power_level`, or `without_state` (the bot has no state for the room yet,
    so levels there are unknown). Anything else it refuses loudly, with `UnexpectedUse`.

    Like a homeserver, it can refuse a room for good (the bot was kicked, or the room does not
    exist) and it can lose a room for a while (its server does not answer): sends there wait,
    as the Matrix transport keeps retrying, until the room is reachable again."""

    def __init__(self, bot_user: str = "@natm-bot:localhost") -> None:
        super().__init__()
        self.bot_user = UserId(bot_user)
        self.sent: list[Outgoing] = []
        self.power_levels: dict[tuple[RoomId, UserId], int] = {}
        self.known_rooms: set[RoomId] = set()  # rooms whose power levels the bot has seen
        self.stateless_rooms: set[RoomId] = set()  # rooms whose levels are unknown on purpose
        self.direct_rooms: dict[UserId, RoomId] = {}
        self.invites: list[tuple[RoomId, UserId]] = []
        self.joined: dict[RoomId, set[UserId]] = {}  # the members of each room, as set
        self.refused: dict[RoomId, str] = {}  # room → the Matrix error code it answers
        self.unreachable: set[RoomId] = set()
        self._reachable = asyncio.Condition()
        self.polls: list[StartedPoll] = []
        self.ended_polls: list[EndedPoll] = []
        self._events: dict[str, EventId] = {}  # txn id → the event id it became
        self.reactions: list[SentReaction] = []
        self.display_names: dict[UserId, str] = {}  # the names people show, where set
        self.aliases: dict[RoomId, RoomId] = {}  # room address (#name:server) → room id

    async def send(self, out: Outgoing) -> EventId:
        """Keep the reply; a repeated txn id is dropped, as a homeserver would, and gives
        the first send's event id."""
        _check_outgoing(out)
        earlier = await self._deliverable(out.room_id, out.txn_id)
        if earlier is not None:
            return earlier
        self.sent.append(out)
        return self._new_event(out.txn_id, "ev")

    def event_of(self, out: Outgoing) -> EventId:
        """The event id a reply sent here became."""
        return self._events[out.txn_id]

    async def react(self, room_id: RoomId, event_id: EventId, key: str, txn_id: str) -> EventId:
        """Keep the reaction in `reactions`; a repeated txn id gives the first one's id."""
        earlier = await self._deliverable(room_id, txn_id)
        if earlier is not None:
            return earlier
        reaction = SentReaction(room_id, event_id, key, self._new_event(txn_id, "re"))
        self.reactions.append(reaction)
        return reaction.event_id

    def display_name(self, room_id: RoomId, user_id: UserId) -> str:
        """The name set in `display_names`, else the user id's local part."""
        return self.display_names.get(user_id) or user_id.split(":")[0].lstrip("@")

    async def _deliverable(self, room_id: RoomId, txn_id: str) -> EventId | None:
        """Wait while the room is cut off; SendFailed when it refuses; the event id of an
        earlier send with the same txn id, if any."""
        if not txn_id:
            raise UnexpectedUse(f"an event to {room_id} has no transaction id")
        code = self.refused.get(room_id)
        if code is not None:
            raise SendFailed(f"{room_id}: {code} {REFUSALS.get(code, '')}".strip(), code)
        if room_id in self.unreachable:
            async with self._reachable:
                await self._reachable.wait_for(lambda: room_id not in self.unreachable)
        return self._events.get(txn_id)

    def _new_event(self, txn_id: str, kind: str = "poll") -> EventId:
        digest = hashlib.sha256(txn_id.encode()).hexdigest()[:8]
        event_id = EventId(f"${kind}-{len(self._events) + 1}-{digest}")
        self._events[txn_id] = event_id
        return event_id

    async def start_poll(self, room_id: RoomId, poll: NativePoll, txn_id: str) -> EventId:
        """Keep the poll in `polls`; a repeated txn id gives the first start's event id."""
        if not 1 <= len(poll.answers) <= 20 or poll.max_selections < 1:
            raise UnexpectedUse(
                f"no client shows a poll of {len(poll.answers)} answers "
                f"and {poll.max_selections} selections"
            )
        earlier = await self._deliverable(room_id, txn_id)
        if earlier is not None:
            return earlier
        event_id = self._new_event(txn_id)
        self.polls.append(StartedPoll(room_id, poll, event_id, txn_id))
        return event_id

    async def end_poll(
        self, room_id: RoomId, poll_event: EventId, text: str, txn_id: str
    ) -> EventId:
        """Keep the close in `ended_polls`; a repeated txn id gives the first end's id."""
        earlier = await self._deliverable(room_id, txn_id)
        if earlier is not None:
            return earlier
        event_id = self._new_event(txn_id)
        self.ended_polls.append(EndedPoll(room_id, poll_event, text, event_id, txn_id))
        return event_id

    def leave(self, room_id: RoomId, code: str = "M_FORBIDDEN") -> None:
        """The bot is no longer in the room (kicked, banned) or it never existed
        (code M_NOT_FOUND): every send there is refused for good from now on."""
        if code not in REFUSALS:
            raise UnexpectedUse(f"no homeserver refuses a room with {code!r}")
        self.refused[room_id] = code

    def cut_off(self, room_id: RoomId) -> None:
        """The room stops answering: sends there wait until `reconnect`."""
        if room_id in self.refused:
            raise UnexpectedUse(f"{room_id} was left: it cannot be cut off as well")
        self.unreachable.add(room_id)

    async def reconnect(self, room_id: RoomId) -> None:
        """The room answers again: waiting sends go through."""
        if room_id not in self.unreachable:
            raise UnexpectedUse(f"{room_id} was not cut off: nothing to reconnect")
        self.unreachable.discard(room_id)
        async with self._reachable:
            self._reachable.notify_all()

    def power_level(self, room_id: RoomId, user_id: UserId) -> int | None:
        """The level set with `set_power_level`, else 0 in a room the bot is in; None in a
        room marked `without_state`. A room never set up is refused with UnexpectedUse."""
        if (room_id, user_id) in self.power_levels:
            return self.power_levels[(room_id, user_id)]
        if room_id in self.known_rooms:
            return 0
        if room_id in self.stateless_rooms:
            return None
        raise UnexpectedUse(
            f"power levels in {room_id} were asked for, but the room was never set up: "
            "call join, set_power_level or without_state first"
        )

    def members(self, room_id: RoomId) -> list[UserId]:
        """The members set with `add_members`, the bot aside."""
        return sorted(self.joined.get(room_id, set()) - {self.bot_user})

    def add_members(self, room_id: RoomId, *users: str) -> None:
        """People join a room."""
        self.joined.setdefault(room_id, set()).update(UserId(u) for u in users)

    def rooms(self) -> list[RoomId]:
        """The rooms set up with `join` or `set_power_level`."""
        return sorted(self.known_rooms)

    def join(self, room_id: RoomId) -> None:
        """The bot is in the room and knows its state: everyone at level 0 until set."""
        self.known_rooms.add(room_id)
        self.stateless_rooms.discard(room_id)

    def without_state(self, room_id: RoomId) -> None:
        """The bot has no state for the room (not in it, or not synced yet): levels there
        are unknown, as `power_level` answers with None."""
        if room_id in self.known_rooms:
            raise UnexpectedUse(f"{room_id} has known power levels already")
        self.stateless_rooms.add(room_id)

    def set_power_level(self, room_id: RoomId, user_id: UserId, level: int) -> None:
        """Give a user a power level in a room."""
        self.power_levels[(room_id, user_id)] = level
        self.join(room_id)

    async def direct_room(self, user_id: UserId) -> RoomId:
        """A stable made-up DM room id per user."""
        if user_id not in self.direct_rooms:
            digest = hashlib.sha256(user_id.encode()).hexdigest()[:12]
            self.direct_rooms[user_id] = RoomId(f"!dm-{digest}:localhost")
        return self.direct_rooms[user_id]

    async def room_id(self, room: RoomId) -> RoomId:
        """The id of a room given by id or by an address set in `aliases`; SendFailed
        (M_NOT_FOUND) for an address nobody set, as a homeserver answers."""
        if not room.startswith("#"):
            return room
        if room not in self.aliases:
            raise SendFailed(f"the room alias {room} does not resolve", "M_NOT_FOUND")
        return self.aliases[room]

    def is_direct(self, room_id: RoomId) -> bool:
        """Whether the room is one of the DM rooms made here."""
        return room_id in self.direct_rooms.values()

    async def invite(self, room_id: RoomId, user_id: UserId) -> bool:
        """Record the invitation."""
        if (room_id, user_id) not in self.invites:
            self.invites.append((room_id, user_id))
        return True


def _check_outgoing(out: object) -> None:
    """Refuse what is not a well-formed Outgoing: a homeserver could not send it."""
    if not isinstance(out, Outgoing):
        raise UnexpectedUse(f"only Outgoing messages can be sent, not {type(out).__name__}")
    if not isinstance(out.reply, Reply):
        raise UnexpectedUse(f"an Outgoing carries a Reply, not {type(out.reply).__name__}")
    if not out.txn_id:
        raise UnexpectedUse(f"a message to {out.room_id} has no transaction id")
    if not out.room_id.startswith(("!", "#")):
        raise UnexpectedUse(f"{out.room_id!r} is not a room id or alias")

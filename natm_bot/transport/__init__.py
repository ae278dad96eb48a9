"""The small protocol every transport (Matrix, console, in-memory) implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from natm_bot.core.messages import EventId, NativePoll, Outgoing, RoomId, RoomSpec, UserId


class SendFailed(Exception):
    """The homeserver refused a message for good (not allowed, too large…); `code` is the
    Matrix error code (M_FORBIDDEN…) or NOT_JOINED."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


def moved_to(moves: dict[RoomId, RoomId], room: RoomId) -> RoomId:
    """Where a room went, following upgrades of upgrades (a loop ends where it began)."""
    seen = {room}
    while room in moves and moves[room] not in seen:
        room = moves[room]
        seen.add(room)
    return room


class Transport(Protocol):
    """Where replies, reactions and native polls go and where room state comes from."""

    async def send(self, out: Outgoing) -> EventId:
        """Deliver one reply; the event it became. The txn id makes a repeated send a no-op
        at the server (which gives the first send's event id again)."""

    async def react(self, room_id: RoomId, event_id: EventId, key: str, txn_id: str) -> EventId:
        """React to an event with `key` (an emoji); the reaction's event id."""

    def display_name(self, room_id: RoomId, user_id: UserId) -> str:
        """The name the user shows in the room (their user id's local part when unknown)."""

    async def start_poll(self, room_id: RoomId, poll: NativePoll, txn_id: str) -> EventId:
        """Post a native poll; its event id. The txn id makes a repeated start a no-op."""

    async def end_poll(
        self, room_id: RoomId, poll_event: EventId, text: str, txn_id: str
    ) -> EventId:
        """Close a native poll with `text` (the outcome); the end event's id."""

    def power_level(self, room_id: RoomId, user_id: UserId) -> int | None:
        """The user's power level in the room, or None when the room state is unknown."""

    def members(self, room_id: RoomId) -> list[UserId]:
        """The room's joined members other than the bot (none when the room is unknown)."""

    def rooms(self) -> list[RoomId]:
        """The rooms whose state (and so power levels) the bot holds."""

    async def room_id(self, room: RoomId) -> RoomId:
        """The id of a room given by id or by address (#name:server); SendFailed when the
        address does not resolve."""

    async def direct_room(self, user_id: UserId) -> RoomId:
        """A direct-message room with the user, created when there is none."""

    async def invite(self, room_id: RoomId, user_id: UserId) -> bool:
        """Invite a user into a room; True when invited (or already there)."""

    async def put_state(
        self, room_id: RoomId, event_type: str, state_key: str, content: dict[str, Any]
    ) -> EventId:
        """Set a state event in a room; its event id. SendFailed when refused."""

    async def get_state(
        self, room_id: RoomId, event_type: str, state_key: str = ""
    ) -> dict[str, Any] | None:
        """A state event's content; None when absent or not allowed."""

    async def join_room(self, room_id: RoomId, via: Sequence[str] = ()) -> bool:
        """Join the room (asking the servers `via`); True when joined."""

    def follow(self, old: RoomId, new: RoomId) -> None:
        """From now on, whatever names the old room (an id, or an address resolving to it)
        reaches the new one: a room upgraded and followed."""

    async def create_room(self, spec: RoomSpec) -> RoomId:
        """Make a room (or Space) as the spec says, the bot in it; its id."""

    async def leave_room(self, room_id: RoomId) -> None:
        """Leave a room (nothing happens when the bot is not in it)."""

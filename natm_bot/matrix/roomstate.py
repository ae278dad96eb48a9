"""Room state through nio: state events set and read, rooms (and Spaces) made, joined and
left, addresses resolved."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from nio import (
    AsyncClient,
    JoinResponse,
    RoomCreateResponse,
    RoomGetStateEventResponse,
    RoomLeaveResponse,
    RoomPutStateResponse,
    RoomResolveAliasResponse,
    RoomVisibility,
)
from nio.api import Api

from natm_bot.core.messages import EventId, RoomId, RoomSpec
from natm_bot.transport import SendFailed

log = logging.getLogger(__name__)


def _code(response: object) -> str:
    return str(getattr(response, "status_code", "") or "")


async def put_state(
    client: AsyncClient, room_id: RoomId, event_type: str, state_key: str, content: dict[str, Any]
) -> EventId:
    """Set a piece of state; SendFailed with the Matrix error code when refused."""
    response = await client.room_put_state(room_id, event_type, content, state_key=state_key)
    if not isinstance(response, RoomPutStateResponse):
        raise SendFailed(f"{event_type} in {room_id} refused: {response}", _code(response))
    return EventId(response.event_id)


async def get_state(
    client: AsyncClient, room_id: RoomId, event_type: str, state_key: str = ""
) -> dict[str, Any] | None:
    """A piece of state's content; None when absent or not allowed."""
    response = await client.room_get_state_event(room_id, event_type, state_key)
    if not isinstance(response, RoomGetStateEventResponse):
        return None
    content = response.content
    return dict(content) if isinstance(content, dict) and content else None


def initial_state(spec: RoomSpec) -> list[dict[str, Any]]:
    """The state events a room made from the spec starts with (besides name and topic)."""
    state: list[dict[str, Any]] = [
        {
            "type": "m.room.history_visibility",
            "state_key": "",
            "content": {"history_visibility": spec.history_visibility},
        },
        {"type": "m.room.join_rules", "state_key": "", "content": {"join_rule": spec.join_rule}},
    ]
    if spec.encrypted:
        encryption = {"algorithm": "m.megolm.v1.aes-sha2"}
        state.append({"type": "m.room.encryption", "state_key": "", "content": encryption})
    return state


async def create_room(client: AsyncClient, spec: RoomSpec) -> RoomId:
    """Make the room (a Space when the spec says so); its id. The bot, its creator, keeps
    its own level (100 before room version 12, above every level from 12 on)."""
    response = await client.room_create(
        visibility=RoomVisibility.private,
        name=spec.name,
        topic=spec.topic or None,
        space=spec.space,
        invite=[str(user) for user in spec.invite],
        initial_state=initial_state(spec),
    )
    if not isinstance(response, RoomCreateResponse):
        raise SendFailed(f"making the room {spec.name!r} failed: {response}", _code(response))
    room = RoomId(response.room_id)
    await _give_levels(client, room, spec)
    log.info("made the room %s (%s)", room, "a Space" if spec.space else "a room")
    return room


async def _give_levels(client: AsyncClient, room: RoomId, spec: RoomSpec) -> None:
    """The spec's people at their levels, the bot's own entry (if any) left as it is: from
    room version 12 a creator may not be listed at all."""
    wanted = {str(user): level for user, level in spec.power if str(user) != client.user_id}
    if not wanted:
        return
    levels = await get_state(client, room, "m.room.power_levels") or {}
    users = dict(levels.get("users") or {}) | wanted
    await put_state(client, room, "m.room.power_levels", "", {**levels, "users": users})


async def leave_room(client: AsyncClient, room_id: RoomId) -> None:
    """Leave the room; a refusal is logged, not raised (the bot may be gone already)."""
    response = await client.room_leave(room_id)
    if not isinstance(response, RoomLeaveResponse):
        log.warning("leaving %s failed: %s", room_id, response)


JOIN_TRIES = 4  # a join that did not hold is tried again, after 0.5 s, 1 s, 1.5 s


async def join_room(client: AsyncClient, room_id: RoomId, via: Sequence[str] = ()) -> bool:
    """Join the room, asking the servers `via` (a room id names none of its own); True once
    the bot's membership reads "join".

    A join made on the tombstone of an upgrade can reach the replacement while the
    homeserver is still copying the old room's state into it; state resolution may then
    drop the join although it was answered 200. So the membership is read back, and the
    join made again (a few times) until it holds."""
    method, path = Api.join(client.access_token, room_id)
    servers = [server for server in dict.fromkeys(via) if server]
    if servers:
        path += "&" + urlencode([("server_name", server) for server in servers])
    for attempt in range(1, JOIN_TRIES + 1):
        response = await client._send(JoinResponse, method, path, Api.to_json({}))
        if not isinstance(response, JoinResponse):
            log.warning("could not join %s: %s", room_id, response)
            return False
        await asyncio.sleep(0.5 * attempt)
        member = await get_state(client, room_id, "m.room.member", client.user_id) or {}
        if member.get("membership") == "join":
            return True
        log.info("my join of %s did not hold (the room is being set up); joining again", room_id)
    log.warning("could not join %s: the join never held", room_id)
    return False


async def resolve_alias(client: AsyncClient, room: RoomId) -> RoomId:
    """The id of the room an address (#name:server) names; SendFailed when it names none,
    OSError when the homeserver could not say."""
    resolved = await client.room_resolve_alias(room)
    if not isinstance(resolved, RoomResolveAliasResponse):
        code = str(getattr(resolved, "status_code", "") or "")
        if code != "M_NOT_FOUND":
            raise OSError(f"resolving {room} failed: {resolved}")
        raise SendFailed(f"the room alias {room} does not resolve: {resolved}", code)
    return RoomId(resolved.room_id)


class RoomState:
    """The room-state part of the Matrix transport, over its nio client."""

    client: AsyncClient

    async def put_state(
        self, room_id: RoomId, event_type: str, state_key: str, content: dict[str, Any]
    ) -> EventId:
        """Set a piece of room state (`put_state`)."""
        return await put_state(self.client, room_id, event_type, state_key, content)

    async def get_state(
        self, room_id: RoomId, event_type: str, state_key: str = ""
    ) -> dict[str, Any] | None:
        """A piece of room state (`get_state`)."""
        return await get_state(self.client, room_id, event_type, state_key)

    async def create_room(self, spec: RoomSpec) -> RoomId:
        """Make a room or Space (`create_room`)."""
        return await create_room(self.client, spec)

    async def leave_room(self, room_id: RoomId) -> None:
        """Leave a room (`leave_room`)."""
        await leave_room(self.client, room_id)

    async def join_room(self, room_id: RoomId, via: Sequence[str] = ()) -> bool:
        """Join the room (asking the servers `via`); True when joined."""
        return await join_room(self.client, room_id, via)

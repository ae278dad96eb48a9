"""Room state read and written, and rooms joined, through the nio client (the Matrix side
of the transport's `put_state`, `get_state` and `join_room`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from nio import (
    AsyncClient,
    JoinResponse,
    RoomGetStateEventResponse,
    RoomPutStateResponse,
    RoomResolveAliasResponse,
)
from nio.api import Api

from natm_bot.core.messages import EventId, RoomId
from natm_bot.transport import SendFailed

log = logging.getLogger(__name__)


async def put_state(
    client: AsyncClient, room_id: RoomId, event_type: str, state_key: str, content: dict[str, Any]
) -> EventId:
    """Set a state event; its event id. SendFailed when the homeserver refuses it."""
    response = await client.room_put_state(room_id, event_type, content, state_key=state_key)
    if isinstance(response, RoomPutStateResponse):
        return EventId(response.event_id)
    code = str(getattr(response, "status_code", "") or "")
    raise SendFailed(f"setting {event_type} in {room_id} failed: {response}", code)


async def get_state(
    client: AsyncClient, room_id: RoomId, event_type: str, state_key: str = ""
) -> dict[str, Any] | None:
    """The content of a state event of the room; None when absent or not allowed."""
    response = await client.room_get_state_event(room_id, event_type, state_key)
    if not isinstance(response, RoomGetStateEventResponse):
        return None
    content = response.content
    return content if isinstance(content, dict) and content else None


async def join_room(client: AsyncClient, room_id: RoomId, via: Sequence[str] = ()) -> bool:
    """Join the room, asking the servers `via` (a room id names none of its own); True when
    joined."""
    method, path = Api.join(client.access_token, room_id)
    servers = [server for server in dict.fromkeys(via) if server]
    if servers:
        path += "&" + urlencode([("server_name", server) for server in servers])
    response = await client._send(JoinResponse, method, path, Api.to_json({}))
    if isinstance(response, JoinResponse):
        return True
    log.warning("could not join %s: %s", room_id, response)
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
    """The room-state side of `MatrixTransport` (state read and set, rooms joined)."""

    client: AsyncClient

    async def put_state(
        self, room_id: RoomId, event_type: str, state_key: str, content: dict[str, Any]
    ) -> EventId:
        """Set a state event in a room; its event id. SendFailed when refused."""
        return await put_state(self.client, room_id, event_type, state_key, content)

    async def get_state(
        self, room_id: RoomId, event_type: str, state_key: str = ""
    ) -> dict[str, Any] | None:
        """A state event's content; None when absent or not allowed."""
        return await get_state(self.client, room_id, event_type, state_key)

    async def join_room(self, room_id: RoomId, via: Sequence[str] = ()) -> bool:
        """Join the room (asking the servers `via`); True when joined."""
        return await join_room(self.client, room_id, via)

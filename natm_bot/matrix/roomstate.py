"""Room state read and rooms joined through the nio client (the Matrix side of the
transport's `get_state` and `join_room`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from nio import AsyncClient, JoinResponse, RoomGetStateEventResponse, RoomResolveAliasResponse
from nio.api import Api

from natm_bot.core.messages import RoomId
from natm_bot.transport import SendFailed

log = logging.getLogger(__name__)


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

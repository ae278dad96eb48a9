"""Room state read and written through the client API: join rules, the room's creation
(its version), and the like."""

from __future__ import annotations

from typing import Any

from nio import AsyncClient, RoomGetStateEventResponse, RoomPutStateResponse

from natm_bot.core.messages import EventId, RoomId
from natm_bot.transport import SendFailed


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
    """A state event's content; None when it is absent or the bot may not read it."""
    response = await client.room_get_state_event(room_id, event_type, state_key)
    if not isinstance(response, RoomGetStateEventResponse):
        return None
    content = response.content
    return dict(content) if isinstance(content, dict) else None

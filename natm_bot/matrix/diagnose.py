"""What `natm-bot doctor` asks the homeserver: its versions and clock, whether the stored
login still works, whether the encryption store matches the device, and what the bot may do
in each of its rooms."""

from __future__ import annotations

import asyncio
import email.utils
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from nio import (
    AsyncClient,
    JoinedRoomsResponse,
    RoomGetStateResponse,
    RoomResolveAliasResponse,
    WhoamiResponse,
)

from natm_bot.matrix.crypto import Crypto
from natm_bot.matrix.retry import TRANSIENT
from natm_bot.matrix.sending import CREATOR_LEVEL, PRE_V12_VERSIONS
from natm_bot.matrix.session import FatalError

REQUEST_TIMEOUT_S = 10.0
SERVER_VERSION_PATHS = ("/_synapse/admin/v1/server_version", "/_matrix/federation/v1/version")


# The client type the checks take, for callers outside this package.
Client = AsyncClient


class Unreachable(Exception):
    """The homeserver did not answer; the message says how it failed."""


@dataclass(frozen=True)
class ServerInfo:
    """What a homeserver says about itself without a login."""

    versions: tuple[str, ...]  # the Matrix client-server API versions it speaks
    software: str | None  # "Synapse 1.98.0", when it tells
    skew_s: float | None  # its clock minus ours (its Date header has a 1 s resolution)


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _skew(date_header: str | None, sent: datetime, received: datetime) -> float | None:
    """The server's clock minus ours: its Date against the middle of our request."""
    if not date_header:
        return None
    try:
        theirs = email.utils.parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return None
    ours = sent + (received - sent) / 2
    return (theirs - ours).total_seconds()


async def _json(session: aiohttp.ClientSession, url: str) -> dict[str, Any] | None:
    """The JSON body of a GET, or None when there is none to be had."""
    try:
        async with session.get(url) as response:
            if response.status != 200:
                return None
            body = await response.json(content_type=None)
    except (*TRANSIENT, ValueError):
        return None
    return body if isinstance(body, dict) else None


def _software(body: dict[str, Any] | None) -> str | None:
    if body is None:
        return None
    if isinstance(body.get("server_version"), str):  # Synapse's own endpoint
        return f"Synapse {body['server_version']}"
    server = body.get("server")
    if isinstance(server, dict) and server.get("name"):
        return f"{server['name']} {server.get('version', '')}".strip()
    return None


async def server_info(homeserver: str, now: Callable[[], datetime]) -> ServerInfo:
    """The homeserver's client API versions, its software when it says, and its clock skew."""
    base = homeserver.rstrip("/")
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        try:
            sent = now()
            async with session.get(f"{base}/_matrix/client/versions") as response:
                received = now()
                body = await response.json(content_type=None)
                date = response.headers.get("Date")
        except (*TRANSIENT, ValueError) as exc:
            raise Unreachable(_reason(exc)) from None
        software = None
        for path in SERVER_VERSION_PATHS:
            software = software or _software(await _json(session, base + path))
    versions = body.get("versions") if isinstance(body, dict) else None
    if not isinstance(versions, list) or not versions:
        raise Unreachable(f"{base}/_matrix/client/versions is not a Matrix homeserver's answer")
    return ServerInfo(tuple(str(v) for v in versions), software, _skew(date, sent, received))


@dataclass(frozen=True)
class Identity:
    """Who the homeserver says the access token belongs to; `error` when it refused it."""

    user_id: str | None = None
    device_id: str | None = None
    error: str | None = None  # the Matrix error code, M_UNKNOWN_TOKEN for a revoked login


async def whoami(client: AsyncClient) -> Identity:
    """Ask the homeserver whose token the client holds."""
    try:
        response = await asyncio.wait_for(client.whoami(), REQUEST_TIMEOUT_S)
    except TRANSIENT as exc:
        raise Unreachable(_reason(exc)) from None
    if isinstance(response, WhoamiResponse):
        return Identity(response.user_id, response.device_id)
    return Identity(error=str(getattr(response, "status_code", None) or response))


async def crypto_store_problem(client: AsyncClient) -> str | None:
    """Why the encryption store does not fit the device on the homeserver, or None when it
    does (the same check as at every start)."""
    try:
        await asyncio.wait_for(Crypto(client).check_device(), REQUEST_TIMEOUT_S)
    except FatalError as exc:
        return str(exc)
    except TimeoutError:
        raise Unreachable("no answer to the device key query") from None
    return None


@dataclass(frozen=True)
class RoomAccess:
    """What the bot may do in one room, judged by the room's power levels."""

    room: str  # as configured: an id or an alias
    room_id: str | None = None  # None when an alias does not resolve
    joined: bool = False
    level: int = 0  # the bot's power level there
    send_needed: int = 0
    invite_needed: int = 0
    problem: str | None = None  # why the room could not be looked at
    version: str | None = None  # the room version, when the bot could read the room

    @property
    def can_send(self) -> bool:
        """The bot's level reaches that of the messages it sends there."""
        return self.level >= self.send_needed

    @property
    def can_invite(self) -> bool:
        """The bot's level reaches the room's invite level."""
        return self.level >= self.invite_needed


async def joined_rooms(client: AsyncClient) -> set[str]:
    """The rooms the bot has joined, as the homeserver lists them."""
    response = await asyncio.wait_for(client.joined_rooms(), REQUEST_TIMEOUT_S)
    if not isinstance(response, JoinedRoomsResponse):
        raise Unreachable(f"the list of joined rooms was refused: {response}")
    return set(response.rooms)


async def room_access(client: AsyncClient, room: str, joined: set[str]) -> RoomAccess:
    """The bot's membership and powers in one room (given by id or alias)."""
    room_id = room
    if room.startswith("#"):
        resolved = await asyncio.wait_for(client.room_resolve_alias(room), REQUEST_TIMEOUT_S)
        if not isinstance(resolved, RoomResolveAliasResponse):
            return RoomAccess(room, problem=f"the alias does not resolve ({resolved})")
        room_id = resolved.room_id
    if room_id not in joined:
        return RoomAccess(room, room_id)
    state = await asyncio.wait_for(client.room_get_state(room_id), REQUEST_TIMEOUT_S)
    if not isinstance(state, RoomGetStateResponse):
        return RoomAccess(room, room_id, True, problem=f"its state was refused ({state})")
    return _powers(room, room_id, str(client.user_id), state.events)


def _state(events: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    for event in events:
        if event.get("type") == kind and event.get("state_key") == "":
            return event
    return None


def _powers(room: str, room_id: str, user_id: str, events: list[dict[str, Any]]) -> RoomAccess:
    """Levels as the homeserver applies them; in room version 12 and later the room's
    creators outrank every power level."""
    levels = (_state(events, "m.room.power_levels") or {}).get("content", {})
    create = _state(events, "m.room.create") or {}
    creators = {create.get("sender"), *create.get("content", {}).get("additional_creators", [])}
    version = str(create.get("content", {}).get("room_version", "1"))
    if user_id in creators and version not in PRE_V12_VERSIONS:
        level = CREATOR_LEVEL
    else:
        level = int(levels.get("users", {}).get(user_id, levels.get("users_default", 0)))
    kind = "m.room.encrypted" if _state(events, "m.room.encryption") else "m.room.message"
    send = int(levels.get("events", {}).get(kind, levels.get("events_default", 0)))
    invite = int(levels.get("invite", 0))
    return RoomAccess(room, room_id, True, level, send, invite, version=version)

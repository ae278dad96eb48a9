"""End-to-end encryption chores: the device check, key uploads, queries and claims.

nio's key requests must not overlap, so every one of them runs under `Crypto.lock`, whether
the sync loop or a sender asks."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from nio import AsyncClient, ErrorResponse
from nio.api import Api

from natm_bot.core.messages import RoomId
from natm_bot.matrix.retry import TRANSIENT, Backoff
from natm_bot.matrix.session import FatalError

log = logging.getLogger(__name__)

KEYS_QUERY_TIMEOUT_S = 30


class Crypto:
    """The encryption state of one logged-in client, and the lock around its key requests."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.lock = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        """Whether the client holds an encryption store."""
        return self.client.olm is not None

    async def check_device(self) -> None:
        """Refuse to run when the server's view of this device differs from the local store."""
        olm = self.client.olm
        if olm is None:
            return
        body = await self._own_device_keys()
        if body.get("errcode") == "M_UNKNOWN_TOKEN":
            raise FatalError("the homeserver rejected the access token: log in again")
        device_id = self.client.device_id
        devices = body.get("device_keys", {}).get(self.client.user_id, {})
        device = devices.get(device_id)
        if device is None:
            return  # keys not uploaded yet: the first sync uploads them
        server_key = device.get("keys", {}).get(f"ed25519:{device_id}")
        if server_key != olm.account.identity_keys["ed25519"]:
            raise FatalError(
                f"the encryption store does not match device {device_id} on the "
                "homeserver; restore the store folder from a backup or log in again"
            )

    async def _own_device_keys(self) -> dict[str, Any]:
        """The homeserver's answer to a key query for the bot itself, retried until it comes."""
        client = self.client
        backoff = Backoff()
        while True:
            try:
                method, path, data = Api.keys_query(client.access_token, {client.user_id})
                headers = {"Authorization": f"Bearer {client.access_token}"}
                response = await asyncio.wait_for(
                    client.send(method, path, data, headers), timeout=KEYS_QUERY_TIMEOUT_S
                )
                body: dict[str, Any] = await response.json()
                return body
            except TRANSIENT as exc:
                log.warning("homeserver not reachable yet (%s); retrying", type(exc).__name__)
                await backoff.wait()

    async def housekeeping(self) -> None:
        """What nio's sync_forever would do: upload, query and claim keys, flush to-device."""
        client = self.client
        if client.olm is None:
            return
        try:
            async with self.lock:
                if client.should_upload_keys:
                    await client.keys_upload()
                if client.should_query_keys:
                    await client.keys_query()
                if client.should_claim_keys:
                    await client.keys_claim(client.get_users_for_key_claiming())
            await client.send_to_device_messages()
        except TRANSIENT as exc:
            log.warning("key housekeeping failed (%s); will retry", type(exc).__name__)

    async def prepare(self, room_id: RoomId) -> ErrorResponse | None:
        """Query member devices and claim one-time keys before encrypting (nio may lag).
        The error when the room's members cannot be read (the bot left or was banned)."""
        client = self.client
        room = client.rooms.get(room_id)
        if room is None or not room.encrypted or client.olm is None:
            return None
        async with self.lock:
            if not room.members_synced:
                members = await client.joined_members(room_id)
                if isinstance(members, ErrorResponse):
                    return members
            if client.should_query_keys:
                await client.keys_query()
            missing = client.get_missing_sessions(room_id)
            if missing:
                await client.keys_claim(missing)
        return None

    def forget_outbound_session(self, room_id: RoomId) -> None:
        """After a failed send, start a new room key: nio may have marked the old one shared
        even though some devices never received it."""
        olm = self.client.olm
        if olm is not None:
            olm.outbound_group_sessions.pop(room_id, None)

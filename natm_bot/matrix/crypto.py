"""End-to-end encryption chores: the device check, key uploads, queries and claims.

nio's key requests must not overlap, so every one of them runs under `Crypto.lock`, whether
the sync loop or a sender asks."""

from __future__ import annotations

import asyncio
import logging

from nio import AsyncClient, ErrorResponse, KeysQueryError, KeysQueryResponse

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
        response = await self._own_device_keys()
        if isinstance(response, KeysQueryError):
            if response.status_code == "M_UNKNOWN_TOKEN":
                raise FatalError("the homeserver rejected the access token: log in again")
            log.warning("could not check this device's keys on the homeserver: %s", response)
            return
        device_id = self.client.device_id
        device = response.device_keys.get(self.client.user_id, {}).get(device_id)
        if device is None:
            return  # keys not uploaded yet: the first sync uploads them
        server_key = device.get("keys", {}).get(f"ed25519:{device_id}")
        if server_key != olm.account.identity_keys["ed25519"]:
            raise FatalError(
                f"the encryption store does not match device {device_id} on the "
                "homeserver; restore the store folder from a backup or log in again"
            )

    async def _own_device_keys(self) -> KeysQueryResponse | KeysQueryError:
        """The homeserver's answer to a key query for the bot itself, retried until it comes.
        nio's `keys_query` asks for the users on the machine's `users_for_key_query`; the bot
        puts itself there (tests/unit/test_dependencies.py holds nio to that)."""
        client = self.client
        olm = client.olm
        assert olm is not None
        backoff = Backoff()
        while True:
            try:
                async with self.lock:
                    olm.users_for_key_query.add(client.user_id)
                    response = await asyncio.wait_for(
                        client.keys_query(), timeout=KEYS_QUERY_TIMEOUT_S
                    )
                if isinstance(response, KeysQueryResponse) or _definite(response):
                    return response
                raise OSError(f"key query failed: {response}")
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


def _definite(response: object) -> bool:
    """A refusal the homeserver itself gave (not a proxy's 502 while it starts)."""
    if not isinstance(response, KeysQueryError):
        return False
    status = int(getattr(response.transport_response, "status", 0) or 0)
    return bool(response.status_code) and 0 < status < 500

"""The throwaway Synapse launcher works against the real server, with real Matrix clients."""

from __future__ import annotations

import asyncio
import socket
import urllib.parse
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinResponse,
    LoginResponse,
    RoomCreateResponse,
    RoomInviteResponse,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
)

from natm_bot.testing.devserver import LocalSynapse, MatrixRequestError

NewUser = Callable[[str], tuple[str, str]]

#: Upper bound for anything we wait for over the network.
WAIT = 30.0

MEGOLM = {"algorithm": "m.megolm.v1.aes-sha2"}


def localpart(mxid: str) -> str:
    return mxid[1:].split(":", 1)[0]


@asynccontextmanager
async def logged_in(hs: LocalSynapse, mxid: str, password: str, store: Path) -> AsyncIterator[Any]:
    """Log ``mxid`` in with an E2E-capable nio client, upload its keys, close it afterwards."""
    await asyncio.to_thread(store.mkdir, parents=True, exist_ok=True)
    config = AsyncClientConfig(store_sync_tokens=True, encryption_enabled=True)
    client = AsyncClient(hs.url, mxid, store_path=str(store), config=config)
    try:
        response = await client.login(password, device_name="devserver test")
        assert isinstance(response, LoginResponse), response
        assert client.user_id == mxid
        if client.should_upload_keys:
            await client.keys_upload()
        yield client
    finally:
        await client.close()


async def sync_until(client: Any, condition: Callable[[], bool], what: str) -> None:
    """Long-poll /sync until ``condition()`` holds; fail after ``WAIT`` seconds."""

    async def loop() -> None:
        while not condition():
            response = await client.sync(timeout=1000)
            assert isinstance(response, SyncResponse), response
            if client.should_upload_keys:
                await client.keys_upload()

    try:
        await asyncio.wait_for(loop(), WAIT)
    except TimeoutError:
        pytest.fail(f"{client.user_id} did not see {what} within {WAIT} seconds")


async def invite_and_join(a: Any, b: Any, **create: Any) -> str:
    """A creates a room, invites B, B sees the invite and joins, A sees B joined."""
    created = await a.room_create(name="devserver test", **create)
    assert isinstance(created, RoomCreateResponse), created
    room_id: str = created.room_id
    invited = await a.room_invite(room_id, b.user_id)
    assert isinstance(invited, RoomInviteResponse), invited

    await sync_until(b, lambda: room_id in b.invited_rooms, "the invite")
    joined = await b.join(room_id)
    assert isinstance(joined, JoinResponse), joined
    assert joined.room_id == room_id

    await sync_until(
        a, lambda: room_id in a.rooms and b.user_id in a.rooms[room_id].users, "B join"
    )
    await sync_until(b, lambda: room_id in b.rooms, "the joined room")
    return room_id


def collect_texts(client: Any) -> list[Any]:
    """Record every text message the client receives through its syncs."""
    received: list[Any] = []

    async def on_text(room: Any, event: Any) -> None:
        received.append((room.room_id, event))

    client.add_event_callback(on_text, RoomMessageText)
    return received


@pytest.mark.asyncio
async def test_two_users_exchange_a_message(
    synapse: LocalSynapse, new_user: NewUser, tmp_path: Path
) -> None:
    a_id, a_password = new_user("alice")
    b_id, b_password = new_user("bob")
    assert a_id.endswith(":localhost") and b_id.endswith(":localhost")

    async with (
        logged_in(synapse, a_id, a_password, tmp_path / "a") as a,
        logged_in(synapse, b_id, b_password, tmp_path / "b") as b,
    ):
        received = collect_texts(b)
        room_id = await invite_and_join(a, b)

        sent = await a.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": "hello from alice"}
        )
        assert isinstance(sent, RoomSendResponse), sent

        await sync_until(
            b, lambda: any(e.event_id == sent.event_id for _, e in received), "the message"
        )
        [(in_room, event)] = [(r, e) for r, e in received if e.event_id == sent.event_id]
        assert in_room == room_id
        assert event.sender == a_id
        assert event.body == "hello from alice"
        assert not event.decrypted
        # store_sync_tokens: the token is persisted, a restarted client resumes from it.
        assert b.next_batch and b.store.load_sync_token() == b.next_batch


@pytest.mark.asyncio
async def test_encrypted_message_is_decrypted_by_the_recipient(
    synapse: LocalSynapse, tmp_path: Path
) -> None:
    a_id = await synapse.aregister_user("carol-e2e", "carol-password")
    b_id = await synapse.aregister_user("dave-e2e", "dave-password")

    async with (
        logged_in(synapse, a_id, "carol-password", tmp_path / "a") as a,
        logged_in(synapse, b_id, "dave-password", tmp_path / "b") as b,
    ):
        received = collect_texts(b)
        room_id = await invite_and_join(
            a, b, initial_state=[{"type": "m.room.encryption", "state_key": "", "content": MEGOLM}]
        )
        assert a.rooms[room_id].encrypted and b.rooms[room_id].encrypted

        sent = await a.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": "a secret"},
            ignore_unverified_devices=True,
        )
        assert isinstance(sent, RoomSendResponse), sent

        await sync_until(
            b, lambda: any(e.event_id == sent.event_id for _, e in received), "the message"
        )
        [event] = [e for _, e in received if e.event_id == sent.event_id]
        assert event.decrypted
        assert event.body == "a secret"
        assert event.sender == a_id

        # The server itself only ever saw ciphertext.
        raw = await synapse.aadmin_request(
            "GET",
            f"/_matrix/client/v3/rooms/{urllib.parse.quote(room_id)}/event/"
            f"{urllib.parse.quote(sent.event_id)}",
            b.access_token,
        )
        assert raw["type"] == "m.room.encrypted"
        assert "a secret" not in str(raw["content"])


def test_admin_api_and_lifted_rate_limits(synapse: LocalSynapse, new_user: NewUser) -> None:
    mxid, password = new_user("erin")
    user = localpart(mxid)
    admin = synapse.admin_token()
    assert synapse.admin_token() == admin
    quoted = urllib.parse.quote(mxid)
    devices_path = f"/_synapse/admin/v2/users/{quoted}/devices"
    assert synapse.admin_request("GET", devices_path, admin)["devices"] == [], "no stray device"

    # Default rc_login limits allow 5 logins (then HTTP 429); lifted limits allow many.
    devices = {synapse.login_token(user, password)[1] for _ in range(12)}
    assert len(devices) == 12
    # Failed logins are limited separately (default burst: 3): still 403, never 429.
    for _ in range(6):
        with pytest.raises(MatrixRequestError) as wrong:
            synapse.login_token(user, "wrong password")
        assert (wrong.value.status, wrong.value.errcode) == (403, "M_FORBIDDEN")

    listed = synapse.admin_request("GET", devices_path, admin)
    assert {device["device_id"] for device in listed["devices"]} == devices
    assert listed["total"] == 12

    path = f"/_synapse/admin/v1/users/{quoted}/override_ratelimit"
    assert synapse.admin_request("GET", path, admin) == {}
    body = {"messages_per_second": 0, "burst_count": 0}
    assert synapse.admin_request("POST", path, admin, body) == body
    assert synapse.admin_request("GET", path, admin) == body

    # Admin APIs refuse non-admins.
    token, _ = synapse.login_token(user, password)
    with pytest.raises(MatrixRequestError) as refused:
        synapse.admin_request("GET", path, token)
    assert (refused.value.status, refused.value.errcode) == (403, "M_FORBIDDEN")

    # Registering the same localpart twice is reported as such.
    with pytest.raises(MatrixRequestError) as taken:
        synapse.register_user(user, "another password")
    assert taken.value.errcode == "M_USER_IN_USE"


def test_registered_admin_is_an_admin(synapse: LocalSynapse) -> None:
    mxid = synapse.register_user("frank-admin", "frank-password", admin=True)
    assert mxid == synapse.user_id("frank-admin") == "@frank-admin:localhost"
    token, device_id = synapse.login_token("frank-admin", "frank-password", device_id="FRANKDEV")
    assert device_id == "FRANKDEV"
    quoted = urllib.parse.quote(mxid)
    user = synapse.admin_request("GET", f"/_synapse/admin/v2/users/{quoted}", token)
    assert user["admin"] is True
    assert synapse.admin_request("GET", "/_matrix/client/v3/account/whoami", token) == {
        "user_id": mxid,
        "device_id": "FRANKDEV",
        "is_guest": False,
    }


@pytest.mark.asyncio
async def test_restart_keeps_users_port_and_config(tmp_path: Path) -> None:
    base = tmp_path / "hs"
    hs = LocalSynapse(base)
    await asyncio.to_thread(hs.start)
    try:
        assert hs.running
        url, first_pid = hs.url, hs.pid
        config = hs.config_path.read_bytes()
        b_id = await hs.aregister_user("bob", "bob-password")

        async with logged_in(hs, b_id, "bob-password", tmp_path / "b1") as b:
            old_token = b.access_token

        await asyncio.to_thread(hs.restart)
        assert hs.running and hs.url == url and hs.pid != first_pid
        assert hs.config_path.read_bytes() == config, "the config is written only once"

        async with logged_in(hs, b_id, "bob-password", tmp_path / "b2") as b:
            assert b.homeserver == url
            assert b.access_token != old_token
        whoami = await hs.aadmin_request("GET", "/_matrix/client/v3/account/whoami", old_token)
        assert whoami["user_id"] == b_id

        # start() after stop() restarts on the same port with the same database ...
        await asyncio.to_thread(hs.stop)
        assert not hs.running and hs.pid is None
        await asyncio.to_thread(hs.start)
        assert hs.url == url
        assert (await hs.alogin_token("bob", "bob-password"))[0]
        await asyncio.to_thread(hs.start)  # ... and start() while running does nothing.
        assert hs.running
    finally:
        await asyncio.to_thread(hs.stop)
    assert not hs.running

    # A new launcher on the same directory picks up the same port, secret and users.
    with LocalSynapse(base) as again:
        assert again.url == url
        assert again.login_token("bob", "bob-password")[0]
        assert again.register_user("carol", "carol-password") == "@carol:localhost"
    assert not again.running


def test_default_rate_limits_can_be_kept(tmp_path: Path) -> None:
    with LocalSynapse(tmp_path / "hs", rate_limits=True, server_name="natm.test") as hs:
        assert "rc_login" not in hs.config_path.read_text()
        mxid = hs.register_user("grace", "grace-password")
        assert mxid == "@grace:natm.test"
        statuses: list[int] = []
        for _ in range(8):
            try:
                hs.login_token("grace", "grace-password")
                statuses.append(200)
            except MatrixRequestError as error:
                assert error.errcode == "M_LIMIT_EXCEEDED"
                statuses.append(error.status)
        assert statuses[0] == 200
        assert 429 in statuses, "Synapse's default login rate limit applies"


def test_start_fails_clearly_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        hs = LocalSynapse(tmp_path / "hs", port=port)
        assert hs.url == f"http://127.0.0.1:{port}"
        with pytest.raises(RuntimeError, match="already in use"):
            hs.start()
        assert not hs.running


def test_start_failure_reports_the_log_tail(tmp_path: Path) -> None:
    hs = LocalSynapse(tmp_path / "hs", extra_config={"database": {"name": "no-such-engine"}})
    with pytest.raises(RuntimeError) as failed:
        hs.start(timeout=30)
    message = str(failed.value)
    assert "exited with status" in message
    assert "no-such-engine" in message
    assert not hs.running

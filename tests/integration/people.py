"""Real Matrix clients for the integration tests: people who type, and the bot as a process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import urllib.parse
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml
from nio import (
    AsyncClient,
    AsyncClientConfig,
    Event,
    LoginResponse,
    MatrixRoom,
    RoomCreateResponse,
    RoomSendResponse,
    SyncResponse,
    ToDeviceMessage,
    ToDeviceResponse,
)

from natm_bot.testing.devserver import LocalSynapse

WAIT = 30.0
MEGOLM = {"algorithm": "m.megolm.v1.aes-sha2"}


class Person:
    """Someone in Element, in effect: an E2EE nio client that syncs in the background."""

    def __init__(self, hs: LocalSynapse, mxid: str, password: str, store: Path) -> None:
        store.mkdir(parents=True, exist_ok=True)
        config = AsyncClientConfig(store_sync_tokens=True, encryption_enabled=True)
        self.client = AsyncClient(hs.url, mxid, store_path=str(store), config=config)
        self.mxid = mxid
        self.password = password
        self.events: dict[str, list[Event]] = defaultdict(list)
        self.invites: set[str] = set()
        self._changed = asyncio.Condition()
        self._sync: asyncio.Task[None] | None = None

    async def start(self) -> Person:
        """Log in and start syncing."""
        response = await self.client.login(self.password, device_name="test person")
        assert isinstance(response, LoginResponse), response
        self.client.add_event_callback(self._on_event, Event)
        self.client.add_response_callback(self._on_sync, SyncResponse)
        # A long timeline per room: after a homeserver restart, a short one (10 events by
        # default) would skip replies that the test then waits for in vain.
        wide = {"room": {"timeline": {"limit": 500}}}
        self._sync = asyncio.create_task(
            self.client.sync_forever(timeout=1000, full_state=True, sync_filter=wide)
        )
        await self.client.synced.wait()
        return self

    async def _on_event(self, room: MatrixRoom, event: Event) -> None:
        self.events[room.room_id].append(event)
        async with self._changed:
            self._changed.notify_all()

    async def _on_sync(self, response: SyncResponse) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def stop(self) -> None:
        """Stop syncing and close the connection."""
        if self._sync:
            self._sync.cancel()
            await asyncio.gather(self._sync, return_exceptions=True)
        await self.client.close()

    async def wait_for(
        self, condition: Callable[[], Any], what: str, timeout: float = WAIT
    ) -> Any:
        """Wait until `condition()` is truthy (re-checked at every synced event)."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(condition), timeout)
            except TimeoutError:
                raise AssertionError(
                    f"timed out after {timeout:.0f}s waiting for {what}"
                ) from None
        return condition()

    async def create_room(
        self,
        invite: list[str],
        *,
        encrypted: bool = False,
        direct: bool = False,
        name: str = "room",
        power: dict[str, int] | None = None,
    ) -> str:
        """A new room with the given people invited (and power levels, by Matrix id); waits
        until this client knows it."""
        state = (
            [{"type": "m.room.encryption", "state_key": "", "content": MEGOLM}]
            if encrypted
            else []
        )
        override = {"users": power} if power else None  # the creator is above any level
        response = await self.client.room_create(
            name=name,
            invite=invite,
            initial_state=state,
            is_direct=direct,
            power_level_override=override,
        )
        assert isinstance(response, RoomCreateResponse), response
        await self.wait_for(lambda: response.room_id in self.client.rooms, "the new room")
        return str(response.room_id)

    async def wait_joined(self, room_id: str, user_id: str) -> None:
        """Until `user_id` is a joined member of the room."""
        await self.wait_for(
            lambda: (
                room_id in self.client.rooms
                and user_id in self.client.rooms[room_id].users
                and user_id not in self.client.rooms[room_id].invited_users
            ),
            f"{user_id} to join {room_id}",
        )

    async def say(self, room_id: str, body: str, *, extra: dict[str, Any] | None = None) -> str:
        """Send a text message; its event id."""
        content = {"msgtype": "m.text", "body": body, **(extra or {})}
        response = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    def replies_to(self, room_id: str, event_id: str, sender: str) -> list[Event]:
        """Events from `sender` in the room that reply to `event_id`."""
        found = []
        for event in self.events[room_id]:
            content = event.source.get("content", {})
            relation = content.get("m.relates_to") or {}
            target = (relation.get("m.in_reply_to") or {}).get("event_id")
            if event.sender == sender and target == event_id:
                found.append(event)
        return found

    async def reply(self, room_id: str, event_id: str, sender: str) -> Event:
        """Wait for the first reply from `sender` to `event_id`."""
        replies = await self.wait_for(
            lambda: self.replies_to(room_id, event_id, sender), f"a reply to {event_id}"
        )
        return replies[0]

    async def ask(self, room_id: str, body: str, bot: str) -> Event:
        """Say something and wait for the bot's reply to it."""
        return await self.reply(room_id, await self.say(room_id, body), bot)


class BotProcess:
    """`natm-bot run` in a subprocess, as an operator would start it."""

    def __init__(
        self,
        folder: Path,
        hs: LocalSynapse,
        bot_user: str,
        admins: tuple[str, ...] = (),
        log_level: str = "INFO",
        sections: dict[str, Any] | None = None,
        **matrix: Any,
    ) -> None:
        self.folder = folder
        self.config = folder / "bot.yaml"
        self.log = folder / "bot.log"
        self.user_id = bot_user
        settings = {
            "bot": {"admins": list(admins), "log_level": log_level},
            "paths": {"database": "bot.sqlite3"},
            "matrix": {"homeserver": hs.url, "user_id": bot_user, "store_dir": "store", **matrix},
            **(sections or {}),
        }
        folder.mkdir(parents=True, exist_ok=True)
        self.config.write_text(yaml.safe_dump(settings), encoding="utf-8")
        self.process: subprocess.Popen[bytes] | None = None

    def cli(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run another natm-bot command on this bot's config."""
        return subprocess.run(
            [sys.executable, "-m", "natm_bot", *args, "-c", str(self.config)],
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            timeout=120,
            check=False,
        )

    def login(self, password: str) -> None:
        """`natm-bot login` with the password in the environment."""
        result = self.cli("login", env={"NATM_BOT_PASSWORD": password})
        assert result.returncode == 0, result.stderr

    def log_text(self) -> str:
        """Everything the bot logged so far."""
        return self.log.read_text(encoding="utf-8") if self.log.exists() else ""

    def spawn(self, env: dict[str, str] | None = None) -> None:
        """Start `natm-bot run` without waiting for it."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "natm_bot", "run", "-c", str(self.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
            )

    async def start(self, env: dict[str, str] | None = None) -> None:
        """Start the bot and wait until it has synced with the homeserver."""
        offset = len(self.log_text())
        self.spawn(env)
        await self.wait_log("connected to", offset)

    async def wait_log(self, text: str, offset: int = 0, timeout: float = WAIT) -> None:
        """Wait until the bot's log shows `text` (after `offset`)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while text not in self.log_text()[offset:]:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"the bot exited early:\n{self.log_text()[-3000:]}")
            if loop.time() > deadline:
                raise AssertionError(f"bot log never showed {text!r}:\n{self.log_text()[-3000:]}")
            await asyncio.sleep(0.1)  # polling a file the bot appends to

    async def wait_exit(self, timeout: float = WAIT) -> int:
        """The exit code, once the process has ended."""
        assert self.process is not None
        return await asyncio.wait_for(asyncio.to_thread(self.process.wait), timeout)

    async def stop(self) -> int:
        """SIGTERM, as systemd would; the exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return await self.wait_exit()

    def kill(self) -> None:
        """SIGKILL, as a power cut would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def devices_of(hs: LocalSynapse, user_id: str) -> list[dict[str, Any]]:
    """The user's devices, from the admin API."""
    path = f"/_synapse/admin/v2/users/{urllib.parse.quote(user_id)}/devices"
    devices: list[dict[str, Any]] = hs.admin_request("GET", path, hs.admin_token())["devices"]
    return devices


async def without_key(
    person: Person, room: str, bot: str, send: Callable[[], Awaitable[str]]
) -> tuple[str, Any]:
    """Run `send` (an encrypted event into `room`) with a new room key that the bot's device
    is not given; the event id and the key's to-device message for the bot, held back for
    `deliver_key`."""
    client = person.client
    olm = client.olm
    assert olm is not None
    if client.should_query_keys:
        await client.keys_query()
    missing = client.get_missing_sessions(room)
    if missing:
        await client.keys_claim(missing)
    olm.outbound_group_sessions.pop(room, None)  # a new megolm session, as in a new room
    shares = list(olm.share_group_session_parallel(room, [bot], ignore_unverified_devices=True))
    held = [
        (user, device, payload)
        for _, batch in shares
        for user, devices in batch["messages"].items()
        for device, payload in devices.items()
    ]
    assert [user for user, _, _ in held] == [bot], held
    olm.outbound_group_sessions[room].shared = True  # nobody else to share it with
    return await send(), held[0]


async def deliver_key(person: Person, held: Any) -> None:
    """Give the bot's device the room key `without_key` held back."""
    user, device, payload = held
    response = await person.client.to_device(
        ToDeviceMessage("m.room.encrypted", user, device, payload)
    )
    assert isinstance(response, ToDeviceResponse), response


def members_file(folder: Path, count: int) -> Path:
    """A members file of `count` organisations, numbered 1 to `count` as they are listed
    (for `natm-bot import members`)."""
    entries = [
        {
            "name": f"Community Network {n}",
            "category": "civil-society",
            "country": "KE",
            "website": f"https://network{n}.example.org",
            "description": "A community network.",
            "joined": "2024-05-01",
        }
        for n in range(1, count + 1)
    ]
    path = folder / "organisations.yaml"
    path.write_text(yaml.safe_dump({"members": entries}), encoding="utf-8")
    return path

"""Fault drills: kill the bot and restart the homeserver in the middle of a storm of commands.

Every command must be answered exactly once and every sign-up must be there once. The short
form runs in CI; `NATM_DRILL=long` runs ten times as many commands by hand.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from nio import AsyncClient, AsyncClientConfig, LoginResponse, RoomSendResponse

from natm_bot.testing.devserver import LocalSynapse
from tests.integration.people import BotProcess, Person

People = Callable[[str], Awaitable[Person]]
SCALE = 10 if os.environ.get("NATM_DRILL") == "long" else 1
SENDERS = 12
COMMANDS_EACH = 4 * SCALE  # plus one !join each
WAIT = 90.0


@dataclass
class Sender:
    """A person who only types (no sync): plain rooms need no keys."""

    client: AsyncClient
    mxid: str
    sent: list[str] = field(default_factory=list)

    async def say(self, room: str, body: str, txn: str) -> str:
        """Send until the homeserver takes it; a retry reuses the txn id (no duplicates)."""
        response: object = None
        for _ in range(120):
            try:
                response = await self.client.room_send(
                    room, "m.room.message", {"msgtype": "m.text", "body": body}, tx_id=txn
                )
                if isinstance(response, RoomSendResponse):
                    self.sent.append(response.event_id)
                    return str(response.event_id)
            except (TimeoutError, OSError) as exc:
                response = exc
            await asyncio.sleep(0.5)  # the homeserver is restarting: try again shortly
        raise AssertionError(f"{self.mxid} could not send {body!r}: {response}")


async def _senders(hs: LocalSynapse, host: Person, room: str, count: int) -> list[Sender]:
    senders = []
    for n in range(count):
        localpart, password = f"storm{n}-{secrets.token_hex(3)}", secrets.token_urlsafe(9)
        mxid = await hs.aregister_user(localpart, password)
        config = AsyncClientConfig(encryption_enabled=False, max_timeouts=0)
        client = AsyncClient(hs.url, mxid, config=config)
        assert isinstance(await client.login(password), LoginResponse)
        await host.client.room_invite(room, mxid)
        joined = await client.join(room)
        assert getattr(joined, "room_id", None) == room, joined
        senders.append(Sender(client, mxid))
    return senders


async def _storm(senders: list[Sender], room: str, pace: float) -> None:
    commands = ["!principles 2", "!readings intro", "!groups", "!meetings"]

    async def one(sender: Sender, index: int) -> None:
        await sender.say(room, "!join edtech", f"drill-{sender.mxid}-join")
        for n in range(COMMANDS_EACH):
            await asyncio.sleep(random.uniform(0, pace))
            await sender.say(
                room, commands[(index + n) % len(commands)], f"drill-{sender.mxid}-{n}"
            )

    await asyncio.gather(*(one(s, i) for i, s in enumerate(senders)))


def _signups(bot: BotProcess) -> list[tuple[str, str]]:
    conn = sqlite3.connect(bot.folder / "bot.sqlite3")
    try:
        return [tuple(r) for r in conn.execute("SELECT group_id, user_id FROM signups")]
    finally:
        conn.close()


async def _settle_and_check(
    observer: Person, room: str, bot: BotProcess, senders: list[Sender]
) -> None:
    commands = [event for s in senders for event in s.sent]
    assert len(commands) == SENDERS * (COMMANDS_EACH + 1)
    try:
        await observer.wait_for(
            lambda: all(observer.replies_to(room, c, bot.user_id) for c in commands),
            "a reply to every command",
            timeout=WAIT,
        )
    except AssertionError:
        missing = [c for c in commands if not observer.replies_to(room, c, bot.user_id)]
        raise AssertionError(
            f"{len(missing)} of {len(commands)} commands unanswered, e.g. {missing[:3]}; "
            f"bot log:\n{bot.log_text()[-4000:]}"
        ) from None
    sentinel = await observer.say(room, "!help")
    await observer.reply(room, sentinel, bot.user_id)
    counts = [len(observer.replies_to(room, c, bot.user_id)) for c in commands]
    assert counts.count(1) == len(commands), f"replies per command: {sorted(set(counts))}"
    assert await bot.stop() == 0
    joined = _signups(bot)
    assert sorted(joined) == sorted(("ed-tech", s.mxid) for s in senders)


async def _room(observer: Person, bot: BotProcess) -> str:
    room = await observer.create_room([bot.user_id], name="storm")
    await observer.wait_joined(room, bot.user_id)
    return room


def _bot(folder: Path, hs: LocalSynapse, account: tuple[str, str]) -> BotProcess:
    bot = BotProcess(folder, hs, account[0], invites={"allowed_servers": [hs.server_name]})
    text = bot.config.read_text()
    bot.config.write_text(text + "safety:\n  rate_burst: 1000\n  rate_per_minute: 6000\n")
    bot.login(account[1])
    return bot


async def test_five_kills_during_a_storm_lose_and_double_nothing(
    people: People, synapse: LocalSynapse, bot_account: tuple[str, str], tmp_path: Path
) -> None:
    observer = await people("observer")
    bot = _bot(tmp_path / "bot", synapse, bot_account)
    senders: list[Sender] = []
    try:
        await bot.start()
        room = await _room(observer, bot)
        senders = await _senders(synapse, observer, room, SENDERS)
        storm = asyncio.create_task(_storm(senders, room, pace=1.0 * SCALE))
        for _ in range(5):
            await asyncio.sleep(random.uniform(0.3, 1.2))  # a random moment of the storm
            bot.kill()
            await bot.start()
        await storm
        await _settle_and_check(observer, room, bot, senders)
    finally:
        bot.kill()
        for sender in senders:
            await sender.client.close()


async def test_homeserver_restart_during_a_storm_loses_and_doubles_nothing(
    tmp_path: Path, bot_account: tuple[str, str]
) -> None:
    hs = LocalSynapse(tmp_path / "synapse")
    await asyncio.to_thread(hs.start)
    senders: list[Sender] = []
    observer: Person | None = None
    bot: BotProcess | None = None
    try:
        password = secrets.token_urlsafe(9)
        observer_id = await hs.aregister_user("observer", password)
        observer = await Person(hs, observer_id, password, tmp_path / "observer").start()
        bot_password = secrets.token_urlsafe(9)
        bot_id = await hs.aregister_user("natm-bot", bot_password)
        bot = _bot(tmp_path / "bot", hs, (bot_id, bot_password))
        await bot.start()
        room = await _room(observer, bot)
        senders = await _senders(hs, observer, room, SENDERS)
        storm = asyncio.create_task(_storm(senders, room, pace=1.5 * SCALE))
        await asyncio.sleep(1.5)
        await asyncio.to_thread(hs.restart)
        await storm
        await _settle_and_check(observer, room, bot, senders)
        assert bot.log_text().count("homeserver unreachable") >= 1
    finally:
        if bot is not None:
            bot.kill()
        for sender in senders:
            await sender.client.close()
        if observer is not None:
            await observer.stop()
        await asyncio.to_thread(hs.stop)

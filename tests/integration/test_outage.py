"""The homeserver goes away, the bot's device is logged out, the operator stops the bot."""

from __future__ import annotations

import asyncio
import json
import secrets
import signal
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from nio import RoomMessageNotice

from natm_bot.testing.devserver import LocalSynapse
from tests.integration.people import WAIT, BotProcess, Person, devices_of
from tests.integration.proxy import CountingProxy

PRINCIPLE_1 = "Data extraction is illegitimate."
OUTAGE_S = 20.0
# "A few requests a second at most" while the homeserver is away.
MAX_PER_SECOND = 5
MAX_DURING_OUTAGE = 40

ProxyTo = Callable[[str], CountingProxy]


@pytest.fixture
def proxy_to() -> Iterator[ProxyTo]:
    """A factory of counting proxies in front of a homeserver; all stopped at the end."""
    started: list[CountingProxy] = []

    def make(upstream: str) -> CountingProxy:
        proxy = CountingProxy(upstream).start()
        started.append(proxy)
        return proxy

    yield make
    for proxy in started:
        proxy.stop()


async def _pause(person: Person) -> None:
    """Stop the person's background sync (their client would retry into the outage)."""
    task = person._sync
    person._sync = None
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _resume(person: Person) -> None:
    """Sync again from where the person left off, as a client does when back online."""
    person.client.synced.clear()
    person._sync = asyncio.create_task(person.client.sync_forever(timeout=1000))
    try:
        await asyncio.wait_for(person.client.synced.wait(), WAIT)
    except TimeoutError:
        raise AssertionError("the person's client did not sync again after the outage") from None


def _running_pid(bot: BotProcess) -> int:
    assert bot.process is not None, "the bot was never started"
    assert bot.process.poll() is None, f"the bot exited:\n{bot.log_text()[-3000:]}"
    return bot.process.pid


async def test_homeserver_down_for_20_seconds(
    own_synapse: LocalSynapse, proxy_to: ProxyTo, tmp_path: Path
) -> None:
    hs = own_synapse
    proxy = proxy_to(hs.url)
    bot_password, alice_password = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    bot_user = hs.register_user(f"natm-bot-{secrets.token_hex(3)}", bot_password)
    alice_user = hs.register_user(f"alice-{secrets.token_hex(3)}", alice_password)
    bot = BotProcess(
        tmp_path / "bot",
        hs,
        bot_user,
        homeserver=proxy.url,
        invites={"allowed_servers": [hs.server_name]},
    )
    alice = Person(hs, alice_user, alice_password, tmp_path / "alice")
    try:
        bot.login(bot_password)
        started = time.monotonic()
        await bot.start()
        print(f"bot connected {time.monotonic() - started:.1f} s after it was started")
        await alice.start()
        room = await alice.create_room([bot.user_id], encrypted=True)
        await alice.wait_joined(room, bot.user_id)
        before = await alice.ask(room, "!principles", bot.user_id)
        assert PRINCIPLE_1 in before.source["content"]["body"]
        pid = _running_pid(bot)
        offset = len(bot.log_text())

        await _pause(alice)
        down = time.monotonic()
        await asyncio.to_thread(hs.stop)
        stopped = time.monotonic()
        await asyncio.sleep(OUTAGE_S)  # the outage itself: wall time must pass
        await asyncio.to_thread(hs.start)
        back = time.monotonic()
        await _resume(alice)

        command = await alice.say(room, "!principles")
        await bot.wait_log("connected to", offset, timeout=45)
        reconnected = time.monotonic()
        await alice.wait_for(
            lambda: alice.replies_to(room, command, bot.user_id),
            "the bot's reply after the outage",
            timeout=45,
        )
        sentinel = await alice.say(room, "!help principles")
        await alice.reply(room, sentinel, bot.user_id)

        replies = alice.replies_to(room, command, bot.user_id)
        assert len(replies) == 1, f"{len(replies)} replies to one command"
        assert isinstance(replies[0], RoomMessageNotice), type(replies[0])
        assert PRINCIPLE_1 in replies[0].source["content"]["body"]
        assert _running_pid(bot) == pid, "the bot process was replaced"

        log = bot.log_text()[offset:]
        assert log.count("homeserver unreachable") == 1, log
        assert log.index("homeserver unreachable") < log.index("connected to"), log

        per_second = proxy.per_second(down, back)
        total = len(proxy.hits_between(down, back))
        print(
            f"outage: stop took {stopped - down:.1f} s, start took {back - stopped - OUTAGE_S:.1f}"
            f" s; {back - down:.1f} s without a homeserver; bot reconnected"
            f" {reconnected - back:.1f} s after it was back\n"
            f"requests through the proxy during the outage: {total}, per second: {per_second}"
        )
        assert max(per_second) <= MAX_PER_SECOND, per_second
        assert total <= MAX_DURING_OUTAGE, per_second
    finally:
        bot.kill()
        await alice.stop()


async def test_revoked_device_exits_with_code_3(
    synapse: LocalSynapse, bot_account: tuple[str, str], proxy_to: ProxyTo, tmp_path: Path
) -> None:
    bot_user, password = bot_account
    proxy = proxy_to(synapse.url)
    bot = BotProcess(tmp_path / "bot", synapse, bot_user, homeserver=proxy.url)
    try:
        bot.login(password)
        await bot.start()
        credentials = json.loads((bot.folder / "store" / "credentials.json").read_text())
        device = credentials["device_id"]
        offset = len(bot.log_text())
        admin = await asyncio.to_thread(synapse.admin_token)
        path = (
            f"/_synapse/admin/v2/users/{urllib.parse.quote(bot_user)}"
            f"/devices/{urllib.parse.quote(device)}"
        )

        logged_out = time.monotonic()
        await synapse.aadmin_request("DELETE", path, admin)
        try:
            code = await bot.wait_exit(timeout=60)
        except TimeoutError:
            raise AssertionError(
                f"the bot still runs 60 s after its device was logged out:\n"
                f"{bot.log_text()[offset:][-3000:]}"
            ) from None
        exited = time.monotonic()

        log = bot.log_text()[offset:]
        hits = proxy.hits_between(logged_out, exited)
        print(
            f"exit {code} {exited - logged_out:.1f} s after the logout; "
            f"{len(hits)} requests and {len(log.splitlines())} log lines meanwhile"
        )
        assert code == 3, log
        assert "M_UNKNOWN_TOKEN" in log or "log in again" in log, log
        assert len(hits) <= 10, [(h.method, h.path, h.status) for h in hits]
        assert len(log.splitlines()) <= 20, log
        devices = [d["device_id"] for d in devices_of(synapse, bot_user)]
        assert device not in devices
    finally:
        bot.kill()


async def test_sigterm_stops_the_bot_cleanly(bot_process: BotProcess) -> None:
    await bot_process.start()
    assert bot_process.process is not None
    offset = len(bot_process.log_text())
    loop = asyncio.get_running_loop()
    sent = loop.time()
    bot_process.process.send_signal(signal.SIGTERM)
    try:
        code = await bot_process.wait_exit(timeout=10)
    except TimeoutError:
        raise AssertionError(
            f"the bot still runs 10 s after SIGTERM:\n{bot_process.log_text()[offset:]}"
        ) from None
    took = loop.time() - sent
    print(f"SIGTERM to exit: {took:.2f} s")
    log = bot_process.log_text()[offset:]
    assert code == 0, log
    assert took < 10
    assert "shutting down" in log
    assert "Traceback" not in log, log

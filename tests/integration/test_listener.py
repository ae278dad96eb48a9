"""The HTTP listener of `natm-bot run`: health, readiness as the homeserver comes and goes, and
metrics that count commands without ever holding an id or a word anyone typed."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from natm_bot.testing.devserver import LocalSynapse
from tests.integration.conftest import BotFactory
from tests.integration.people import BotProcess, Person

pytestmark = pytest.mark.slow

LISTENING = re.compile(r"health and metrics on (http://127\.0\.0\.1:\d+)")
HTTP = {"http": {"listen": "127.0.0.1:0"}}  # any free port; the log says which
Labels = tuple[tuple[str, str], ...]


def _get(url: str) -> tuple[int, str]:
    """Status and body of a GET to the listener."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


async def _listener_of(bot: BotProcess) -> str:
    """The listener's base URL, from the bot's log."""
    await bot.wait_log("health and metrics on")
    found = LISTENING.search(bot.log_text())
    assert found, bot.log_text()[-2000:]
    return found.group(1)


async def _until(url: str, status: int, timeout: float) -> tuple[float, str]:
    """Poll `url` until it answers `status`; (seconds it took, body)."""
    started = time.monotonic()
    while True:
        code, body = await asyncio.to_thread(_get, url)
        if code == status:
            return time.monotonic() - started, body
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{url} still answers {code} after {timeout:.0f} s: {body}")
        await asyncio.sleep(0.5)  # polling a server in another process


def _samples(text: str) -> dict[tuple[str, Labels], float]:
    """Every sample of a Prometheus scrape, by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _command(command: str, outcome: str) -> tuple[str, Labels]:
    return "natm_bot_commands_total", (("command", command), ("outcome", outcome))


async def test_metrics_count_commands_and_hold_no_ids_or_text(
    make_bot: BotFactory, people: Callable[[str], Awaitable[Person]]
) -> None:
    bot = make_bot(sections=HTTP)
    await bot.start()
    base = await _listener_of(bot)
    alice = await people("alice")
    room = await alice.create_room([bot.user_id], encrypted=True)
    await alice.wait_joined(room, bot.user_id)
    assert _get(f"{base}/healthz") == (200, "ok\n")
    await _until(f"{base}/readyz", 200, timeout=30)
    before = _samples(_get(f"{base}/metrics")[1])

    typed = ["!principles", "!join ed-tech", "!join", "!frobnicate quietly-secret-words"]
    for body in typed:
        await alice.ask(room, body, bot.user_id)
    status, text = await asyncio.to_thread(_get, f"{base}/metrics")
    after = _samples(text)

    def moved(key: tuple[str, Labels]) -> float:
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert status == 200
    assert moved(_command("principles", "ok")) == 1
    assert moved(_command("join", "ok")) == 1
    assert moved(_command("join", "usage")) == 1
    assert moved(_command("(unknown)", "unknown")) == 1
    assert moved(("natm_bot_reply_latency_seconds_count", ())) == 4
    assert after[("natm_bot_rooms_joined", ())] >= 1
    assert after[("natm_bot_sync_lag_seconds", ())] < 40
    for secret in (room, alice.mxid, bot.user_id, "@", "!", "ed-tech", "frobnicate", "quietly"):
        assert secret not in text, secret
    print(f"/metrics after {len(typed)} commands: {len(text)} bytes, {len(after)} samples")


def _listening_sockets(pid: int) -> int:
    """How many listening TCP sockets the process holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd) if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    listening = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            listening += fields[3] == "0A" and fields[9] in inodes  # 0A: LISTEN
    return listening


async def test_nothing_listens_unless_configured(bot_process: BotProcess) -> None:
    await bot_process.start()
    assert bot_process.process is not None
    await bot_process.wait_log("connected to")
    assert "health and metrics on" not in bot_process.log_text()
    assert _listening_sockets(bot_process.process.pid) == 0


async def test_readyz_follows_the_homeserver(own_synapse: LocalSynapse, tmp_path: Path) -> None:
    hs = own_synapse
    password = secrets.token_urlsafe(12)
    bot_user = hs.register_user(f"natm-bot-{secrets.token_hex(3)}", password)
    bot = BotProcess(tmp_path / "bot", hs, bot_user, sections=HTTP)
    try:
        bot.login(password)
        await bot.start()
        base = await _listener_of(bot)
        took, _ = await _until(f"{base}/readyz", 200, timeout=30)
        assert bot.process is not None
        assert _listening_sockets(bot.process.pid) == 1

        await asyncio.to_thread(hs.stop)
        down, why = await _until(f"{base}/readyz", 503, timeout=30)
        assert "homeserver" in why, why
        assert await asyncio.to_thread(_get, f"{base}/healthz") == (200, "ok\n")
        await asyncio.to_thread(hs.start)
        up, _ = await _until(f"{base}/readyz", 200, timeout=90)
        print(
            f"/readyz: ready {took:.1f} s after start, 503 {down:.1f} s after the "
            f"homeserver stopped ({why.strip()}), 200 again {up:.1f} s after it was back"
        )
    finally:
        bot.kill()

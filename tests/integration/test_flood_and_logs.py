"""Abuse on a real homeserver: a flood does not drown others out; logs keep no secrets."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

from tests.integration.conftest import BotFactory
from tests.integration.people import BotProcess, Person

People = Callable[[str], Awaitable[Person]]


async def test_flood_gets_one_notice_and_others_are_answered_promptly(
    people: People, bot_process: BotProcess
) -> None:
    flooder, bystander = await people("flooder"), await people("bystander")
    await bot_process.start()
    room = await flooder.create_room([bot_process.user_id, bystander.mxid])
    await bystander.client.join(room)
    await flooder.wait_joined(room, bot_process.user_id)
    await bystander.wait_joined(room, bystander.mxid)
    await flooder.wait_joined(room, bystander.mxid)

    started = time.monotonic()
    await bystander.ask(room, "!principles 1", bot_process.user_id)
    normal = time.monotonic() - started

    async def flood() -> None:
        for n in range(100):
            await flooder.say(room, f"!principles {n % 5 + 1}")
            await asyncio.sleep(0.1)  # 100 commands spread over about 10 seconds

    flooding = asyncio.create_task(flood())
    await asyncio.sleep(3)  # the bystander speaks in the middle of the flood
    started = time.monotonic()
    await bystander.ask(room, "!principles 2", bot_process.user_id)
    during = time.monotonic() - started
    await flooding
    sentinel = await bystander.ask(room, "!help", bot_process.user_id)
    assert sentinel is not None
    print(f"bystander round trip: {normal * 1000:.0f} ms alone, {during * 1000:.0f} ms in a flood")
    assert during < normal + 2.0
    notices = [
        e
        for e in bystander.events[room]
        if e.sender == bot_process.user_id and "slow down" in e.source["content"].get("body", "")
    ]
    assert len(notices) == 1


async def test_logs_hold_no_message_text_or_secrets(
    people: People, make_bot: BotFactory, bot_account: tuple[str, str]
) -> None:
    alice = await people("alice")
    bot = make_bot(log_level="DEBUG")
    await bot.start()
    room = await alice.create_room([bot.user_id], encrypted=True)
    await alice.wait_joined(room, bot.user_id)
    await alice.ask(room, "!readings zebracorn-marker-7431", bot.user_id)
    await alice.ask(room, "!pricniples and-another-marker-5519", bot.user_id)
    assert await bot.stop() == 0
    log = bot.log_text()
    credentials = json.loads((bot.folder / "store" / "credentials.json").read_text())
    assert "DEBUG natm_bot" in log  # the most talkative level was on
    for secret in (
        "zebracorn-marker-7431",
        "and-another-marker-5519",
        credentials["access_token"],
        credentials["pickle_key"],
        bot_account[1],
    ):
        assert secret not in log

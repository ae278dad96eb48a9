"""Restarts and crashes: every command answered exactly once, one device for life."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Awaitable, Callable

from natm_bot.testing.devserver import LocalSynapse
from tests.integration.conftest import BotFactory
from tests.integration.people import BotProcess, Person, devices_of

People = Callable[[str], Awaitable[Person]]


async def _room(alice: Person, bot: BotProcess, encrypted: bool = False) -> str:
    room = await alice.create_room([bot.user_id], encrypted=encrypted)
    await alice.wait_joined(room, bot.user_id)
    return room


async def _settle(alice: Person, room: str, bot: BotProcess) -> None:
    """Once this is answered, everything sent before it in the room has been answered."""
    sentinel = await alice.say(room, "!help")
    await alice.reply(room, sentinel, bot.user_id)


async def test_commands_sent_while_down_are_answered_once_after_restart(
    people: People, bot_process: BotProcess, synapse: LocalSynapse
) -> None:
    alice = await people("alice")
    await bot_process.start()
    room = await _room(alice, bot_process, encrypted=True)
    before = await alice.say(room, "!principles 1")
    await alice.reply(room, before, bot_process.user_id)
    assert await bot_process.stop() == 0

    offline = [await alice.say(room, f"!principles {n}") for n in (2, 3, 4)]
    await bot_process.start()
    for command in offline:
        await alice.reply(room, command, bot_process.user_id)
    await _settle(alice, room, bot_process)
    for command in [before, *offline]:
        assert len(alice.replies_to(room, command, bot_process.user_id)) == 1

    for _ in range(2):  # three restarts in all
        assert await bot_process.stop() == 0
        await bot_process.start()
    await _settle(alice, room, bot_process)
    for command in [before, *offline]:
        assert len(alice.replies_to(room, command, bot_process.user_id)) == 1
    assert len(devices_of(synapse, bot_process.user_id)) == 1


async def test_kill_between_sending_and_recording_gives_one_reply(
    people: People, bot_process: BotProcess
) -> None:
    alice = await people("alice")
    await bot_process.start(env={"NATM_BOT_FAULT": "kill-after-send"})
    room = await _room(alice, bot_process, encrypted=True)
    command = await alice.say(room, "!principles 2")
    await alice.reply(room, command, bot_process.user_id)
    assert await bot_process.wait_exit() == -9  # SIGKILL, after sending, before recording
    database = sqlite3.connect(bot_process.folder / "bot.sqlite3")
    try:
        waiting = [row[0] for row in database.execute("SELECT event_id FROM inbox")]
    finally:
        database.close()
    assert waiting == [command]  # not recorded as answered: it will be handled again

    await bot_process.start()  # the command is still in the inbox: it is sent again
    await _settle(alice, room, bot_process)
    assert len(alice.replies_to(room, command, bot_process.user_id)) == 1


async def test_commands_older_than_the_limit_are_skipped_and_logged(
    people: People, make_bot: BotFactory, synapse: LocalSynapse
) -> None:
    alice = await people("alice")
    bot = make_bot(max_command_age="1s")
    await bot.start()
    room = await _room(alice, bot)
    assert await bot.stop() == 0
    stale = await alice.say(room, "!principles 5")
    await asyncio.sleep(2)  # the command must age past max_command_age while the bot is down
    await bot.start()
    fresh = await alice.say(room, "!principles 1")
    await alice.reply(room, fresh, bot.user_id)
    assert alice.replies_to(room, stale, bot.user_id) == []
    assert f"skipped command {stale}" in bot.log_text()


async def test_store_missing_or_credentials_damaged_refuses_to_start(
    bot_process: BotProcess,
) -> None:
    store = bot_process.folder / "store"
    credentials = json.loads((store / "credentials.json").read_text())
    crypto = store / f"{bot_process.user_id}_{credentials['device_id']}.db"
    assert crypto.exists()
    crypto.rename(crypto.with_suffix(".moved"))
    result = bot_process.cli("run")
    assert result.returncode == 1
    assert "encryption store" in result.stderr and "missing" in result.stderr


async def test_more_commands_than_one_sync_carries_are_all_answered(
    people: People, make_bot: BotFactory
) -> None:
    alice = await people("alice")
    bot = make_bot()
    text = bot.config.read_text()
    bot.config.write_text(text + "safety:\n  rate_burst: 1000\n  rate_per_minute: 6000\n")
    await bot.start()
    room = await _room(alice, bot)
    assert await bot.stop() == 0
    offline = [await alice.say(room, f"!principles {n % 5 + 1}") for n in range(130)]
    await bot.start()  # its first sync is limited to 100 events: the rest is paged back
    await alice.wait_for(
        lambda: all(alice.replies_to(room, c, bot.user_id) for c in offline),
        "a reply to each of 130 commands",
        timeout=120,
    )
    await _settle(alice, room, bot)
    assert [len(alice.replies_to(room, c, bot.user_id)) for c in offline] == [1] * 130

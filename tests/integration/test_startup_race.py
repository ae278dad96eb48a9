"""Invited at start-up: the bot, just started (fresh or onto its saved state), is invited to a
new room, and the commands typed the moment it has joined are each answered exactly once."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable

from tests.integration.conftest import BotFactory
from tests.integration.people import BotProcess, Person

People = Callable[[str], Awaitable[Person]]
ROUNDS = 10  # per way of starting: twenty starts in all
SECOND_AFTER_S = 1.5  # the second command comes as a person types it, a moment later


async def _round(alice: Person, bot: BotProcess, index: int) -> list[str]:
    """Start the bot, invite it at once, type two commands: those left unanswered. Rounds
    take turns: invited while the bot is still starting or just after its first sync, into
    a plain or an encrypted room."""
    if index % 2:
        await bot.start()  # invited just after its first sync
    else:
        bot.spawn()  # invited while it is still starting
    room = await alice.create_room([bot.user_id], encrypted=index % 4 < 2)
    await alice.wait_joined(room, bot.user_id)
    first = await alice.say(room, "!principles 1")
    await asyncio.sleep(SECOND_AFTER_S)  # a person typing the next command, not a wait
    second = await alice.say(room, "!principles 2")
    sentinel = await alice.say(room, "!help principles")
    lost = []
    try:
        await alice.reply(room, sentinel, bot.user_id)
    except AssertionError:
        lost.append("sentinel")
    for name, command in (("first", first), ("second", second)):
        count = len(alice.replies_to(room, command, bot.user_id))
        if count != 1:
            lost.append(f"{name}: {count} replies")
    assert await bot.stop() == 0
    return lost


async def test_commands_typed_at_once_after_a_fresh_start_are_answered(
    people: People, make_bot: BotFactory
) -> None:
    alice = await people("alice")
    failures = {}
    for index in range(ROUNDS):
        bot = make_bot()  # a new store: the bot has never synced
        lost = await _round(alice, bot, index)
        if lost:
            failures[index] = lost
    assert failures == {}, f"{len(failures)} of {ROUNDS} rounds lost a command: {failures}"


async def test_commands_typed_at_once_after_a_restart_are_answered(
    people: People, bot_process: BotProcess
) -> None:
    alice = await people("alice")
    failures = {}
    for index in range(ROUNDS):
        lost = await _round(alice, bot_process, index)
        if lost:
            failures[index] = lost
    assert failures == {}, f"{len(failures)} of {ROUNDS} rounds lost a command: {failures}"


async def test_a_quick_restart_is_not_handed_the_previous_run_s_sync_answers(
    people: People, bot_process: BotProcess
) -> None:
    """Synapse keeps each sync answer two minutes for an identical request; a bot started
    again at once on the same device, its database new, must not be handed its previous
    run's answers: a room joined long ago offered as an invitation again, old commands
    read again as new."""
    alice = await people("alice")
    await bot_process.start()
    room = await alice.create_room([bot_process.user_id])
    await alice.wait_joined(room, bot_process.user_id)
    command = await alice.say(room, "!principles 1")
    await alice.reply(room, command, bot_process.user_id)
    assert await bot_process.stop() == 0
    for path in bot_process.folder.glob("bot.sqlite3*"):
        path.unlink()  # a new database: the bot no longer remembers what it answered

    offset = len(bot_process.log_text())
    await bot_process.start()
    sentinel = await alice.say(room, "!help principles")
    await alice.reply(room, sentinel, bot_process.user_id)
    assert f"joined {room}" not in bot_process.log_text()[offset:]
    database = sqlite3.connect(bot_process.folder / "bot.sqlite3")
    try:
        handled = {row[0] for row in database.execute("SELECT event_id FROM processed_events")}
    finally:
        database.close()
    assert sentinel in handled
    assert command not in handled  # answered by the previous run, not read again
    assert await bot_process.stop() == 0

"""The real bot through many housekeeping cycles while people keep using it, and periodic
jobs that fail once and run again on schedule."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from nio import Event

from tests.integration.conftest import BotFactory
from tests.integration.people import BotProcess, Person

People = Callable[[str], Awaitable[Person]]

# Compressed timers (the `housekeeping:` settings exist for exactly this).
FAST = {
    "housekeeping": {"interval": "1s", "safety_sweep": "2s"},
    "safety": {"rate_burst": 1000, "rate_per_minute": 6000},  # a script types faster than people
}
CYCLES = 20
HOUSEKEEPING = ("privacy-prune", "wal-checkpoint")  # the jobs every `housekeeping.interval`
COMMANDS = ["!principles 2", "!groups", "!meetings", "!readings", "!help", "!mygroups"]


def _announcements(person: Person, room: str, bot: str, title: str) -> list[Event]:
    return [
        e
        for e in person.events[room]
        if e.sender == bot
        and f"{title} is starting now" in e.source.get("content", {}).get("body", "")
    ]


async def _announced(person: Person, room: str, bot: BotProcess, title: str) -> None:
    await person.wait_for(
        lambda: _announcements(person, room, bot.user_id, title), f"announcing {title}"
    )


def _count(text: str, pattern: str) -> int:
    return len(re.findall(pattern, text))


async def _plan(organiser: Person, room: str, bot: BotProcess, title: str) -> None:
    due = (datetime.now(UTC) + timedelta(seconds=4)).replace(microsecond=0)
    plan = f'!meeting add title="{title}" when="{due:%Y-%m-%d %H:%M:%S}" tz=UTC reminders=0'
    answer = await organiser.ask(room, plan, bot.user_id)
    assert "Planned" in answer.source["content"]["body"], answer.source


async def test_twenty_housekeeping_cycles_under_load_answer_everything_once(
    people: People, make_bot: BotFactory
) -> None:
    organiser, member = await people("organiser"), await people("member")
    bot = make_bot(admins=(organiser.mxid,), log_level="DEBUG", sections=FAST)
    await bot.start()
    room = await organiser.create_room([bot.user_id, member.mxid], encrypted=True)
    await member.client.join(room)
    await organiser.wait_joined(room, bot.user_id)
    await member.wait_joined(room, member.mxid)

    asked: list[str] = []
    titles: list[str] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CYCLES * 1.0 + 8
    for turn in itertools.count():
        if loop.time() > deadline and turn >= 30:
            break
        command = COMMANDS[turn % len(COMMANDS)]
        if turn % 4 == 1:
            command = "!join algo" if turn % 8 == 1 else "!leave algo"
        event_id = await member.say(room, command)
        asked.append(event_id)
        await member.reply(room, event_id, bot.user_id)
        await asyncio.sleep(0.2)  # pacing, as people type; not synchronisation
        if turn % 10 == 0:
            titles.append(f"Soak check {len(titles) + 1}")
            await _plan(organiser, room, bot, titles[-1])

    for title in titles:
        await _announced(organiser, room, bot, title)
    await organiser.ask(room, "!help", bot.user_id)  # everything before it has been answered
    assert [len(member.replies_to(room, e, bot.user_id)) for e in asked] == [1] * len(asked)
    for title in titles:
        assert len(_announcements(organiser, room, bot.user_id, title)) == 1, title
    log = bot.log_text()
    for job in HOUSEKEEPING:
        assert _count(log, rf"{job} ran in") >= CYCLES, log[-2000:]
    assert " ERROR " not in log, [line for line in log.splitlines() if " ERROR " in line]


async def test_periodic_jobs_that_fail_once_run_again_on_schedule(
    people: People, make_bot: BotFactory
) -> None:
    organiser = await people("organiser")
    bot = make_bot(admins=(organiser.mxid,), log_level="DEBUG", sections=FAST)
    jobs = (*HOUSEKEEPING, "announcer", "crypto-keys", "room-state")
    await bot.start(env={"NATM_BOT_FAULT": ",".join(f"fail-once:{job}" for job in jobs)})
    room = await organiser.create_room([bot.user_id], encrypted=True)
    await organiser.wait_joined(room, bot.user_id)
    for job in jobs:
        await bot.wait_log(f"{job} works again after 1 failed runs")
    await _plan(organiser, room, bot, "After the drill")
    await _announced(organiser, room, bot, "After the drill")
    await organiser.ask(room, "!principles 1", bot.user_id)  # encrypted replies still work
    log = bot.log_text()
    for job in jobs:
        assert _count(log, rf"{job} failed \(ref [0-9a-f]{{8}}\)") == 1, job
        failed_at = log.index(f"{job} failed (ref")
        assert log.index(f"{job} ran in", failed_at) > failed_at  # the next run happened

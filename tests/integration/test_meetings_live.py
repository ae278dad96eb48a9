"""A meeting planned a few seconds ahead is announced in its room, once, on time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from tests.integration.conftest import BotFactory
from tests.integration.people import Person

People = Callable[[str], Awaitable[Person]]


async def test_meeting_is_announced_once_within_two_seconds(
    people: People, make_bot: BotFactory
) -> None:
    organiser = await people("organiser")
    bot = make_bot(admins=(organiser.mxid,))
    await bot.start()
    room = await organiser.create_room([bot.user_id], encrypted=True)
    await organiser.wait_joined(room, bot.user_id)
    due = (datetime.now(UTC) + timedelta(seconds=8)).replace(microsecond=0)
    plan = f'!meeting add title="Quick sync" when="{due:%Y-%m-%d %H:%M:%S}" tz=UTC reminders=0'
    answer = await organiser.ask(room, plan, bot.user_id)
    assert answer.source["content"]["body"].startswith("Planned #1 Quick sync"), answer.source

    def announcements() -> list[dict[str, object]]:
        return [
            e.source
            for e in organiser.events[room]
            if e.sender == bot.user_id
            and "is starting now" in e.source.get("content", {}).get("body", "")
        ]

    await organiser.wait_for(announcements, "the announcement", timeout=30)
    [event] = announcements()
    sent_at = datetime.fromtimestamp(int(str(event["origin_server_ts"])) / 1000, UTC)
    delay = (sent_at - due).total_seconds()
    print(f"announcement delay: {delay:.3f}s")
    assert 0 <= delay <= 2, f"announced {delay:.3f}s after its time"

    # A restart must not announce it again.
    assert await bot.stop() == 0
    await bot.start()
    await organiser.ask(room, "!meetings", bot.user_id)
    await asyncio.sleep(3)  # give a wrongly repeated announcement time to show up
    assert len(announcements()) == 1

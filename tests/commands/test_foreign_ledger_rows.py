"""Rows in the announcement ledger whose source nothing could have written (an old or
hand-edited database) are never taken for a meeting's, and the sweep goes on around them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from natm_bot.core.clock import ManualClock
from natm_bot.core.jobs import AnnouncementSource
from natm_bot.testing.harness import ChatHarness, make_config
from tests.conftest import ADMIN

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
AT = int(datetime(2027, 3, 1, 9, 10, tzinfo=UTC).timestamp())
# Near misses of `m:1` (and plain junk), each already "sent" for the meeting's first date.
MALFORMED = ["m:01", "m:1 ", "M:1", "m:+1", "1", "", "m:", "x:1", "c:", "m:1:1", "\x00m:1"]


async def test_a_malformed_source_in_the_ledger_does_not_stop_the_sweep(tmp_path: Path) -> None:
    async with ChatHarness(make_config(tmp_path, admins=[ADMIN]), ManualClock(START)) as bot:
        rows = [(text, AT, "sent", 0) for text in MALFORMED]
        await bot.app.db.executemany(
            "INSERT INTO announcements (source, occurrence, offset_minutes, channel, status,"
            " recorded_at) VALUES (?, ?, 0, 'rooms', ?, ?)",
            rows,
        )
        await bot.app.db.executemany(
            "INSERT INTO announcement_rooms (source, occurrence, offset_minutes, channel, room,"
            " status, recorded_at) VALUES (?, ?, 0, 'rooms', '!lobby:localhost', ?, ?)",
            rows,
        )
        planned = await bot.ask(
            '!meeting add title=Call when="2027-03-01 09:10" tz=UTC reminders=0', sender=ADMIN
        )
        assert planned.startswith("Planned #1")
        seen = await bot.advance(minutes=30)
        assert [s.body.splitlines()[0] for s in seen] == [
            "📣 Call is starting now!"
        ]  # once, on time
        ledger = bot.app.meetings.ledger
        assert await ledger.statuses(AnnouncementSource.meeting(1)) == [(AT, 0, "rooms", "sent")]
        details = await bot.ask("!meeting 1", sender=ADMIN)
        recent = details.split("Recent announcements")[1]
        assert recent.count("sent in !lobby:localhost") == 1

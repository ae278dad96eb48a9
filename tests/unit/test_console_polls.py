"""Polls tried in the console: whoever speaks in a room is one of its members, the poll is
printed as a client without polls shows it, and a vote counts."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from natm_bot.app import App
from natm_bot.core.clock import ManualClock
from natm_bot.frontends.console import Console, ConsoleTransport
from natm_bot.testing.harness import make_config

START = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)


async def test_a_poll_in_the_console_is_shown_and_counts_the_people_who_speak(
    tmp_path: Path,
) -> None:
    out = io.StringIO()
    transport = ConsoleTransport(out)
    app = App(make_config(tmp_path), transport, clock=ManualClock(START))
    await app.start()
    try:
        console = Console(app, transport, out)
        await console.meta("/as @ana:localhost")
        await console.chat("!help")  # Ana is in the lobby now
        await console.meta("/as @you:localhost")
        await console.meta("/pl 50")
        await console.chat(
            '!poll add kind=choice question="Next campaign?" options="Data; AI" '
            'closes="2027-01-15 18:00" tz=UTC'
        )
        await console.meta("/as @ana:localhost")
        await console.chat("!vote 1 AI")
        await console.chat("!poll 1")
    finally:
        await app.close()
    said = out.getvalue()
    assert "natm-bot (poll):\nNext campaign? (poll #1)\n" in said
    assert "Vote with !vote 1 1 if your app does not show polls." in said
    assert "Your vote in poll #1 is counted: AI." in said
    assert "Voted so far: 1 of 2." in said

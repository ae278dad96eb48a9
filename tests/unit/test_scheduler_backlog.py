"""A sweep that outlasts the gap to the next announcement must not lose the next wake-up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from natm_bot.app import App
from natm_bot.core.clock import SystemClock
from natm_bot.core.messages import EventId, Outgoing
from natm_bot.testing.harness import make_config
from natm_bot.transport.memory import MemoryTransport


class SlowTransport(MemoryTransport):
    """A homeserver that takes 0.3 s per message; `done` is set after `expected` sends."""

    def __init__(self, expected: int) -> None:
        super().__init__()
        self.expected = expected
        self.done = asyncio.Event()

    async def send(self, out: Outgoing) -> EventId:
        """Send slowly."""
        await asyncio.sleep(0.3)  # the homeserver's time, not synchronisation
        event = await super().send(out)
        if len(self.sent) >= self.expected:
            self.done.set()
        return event


async def test_an_announcement_due_during_a_long_sweep_still_goes_out(tmp_path: Path) -> None:
    transport = SlowTransport(expected=6)
    app = App(make_config(tmp_path), transport, clock=SystemClock())
    await app.start()
    try:
        first = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
        for n in range(6):  # five due together (1.5 s of sending), one a second later
            when = first + timedelta(seconds=0 if n < 5 else 1)
            await app.meetings.create(
                f'title="Call {n}" when="{when:%Y-%m-%d %H:%M:%S}" tz=UTC reminders=0',
                asker="@organiser:localhost",
                room="!room:localhost",
            )
        await app.start_scheduler()
        # Without the fix the sixth waits for the 5-minute safety sweep.
        await asyncio.wait_for(transport.done.wait(), timeout=15)
        assert len(transport.sent) == 6
    finally:
        await app.close()

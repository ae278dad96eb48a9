"""The room polls are tried in: the bot on a fake clock, with people in the lobby."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from natm_bot.config.settings import Config
from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import RoomId
from natm_bot.testing.harness import LOBBY, ChatHarness
from tests.conftest import ADMIN


@asynccontextmanager
async def poll_room(config: Config, start: datetime, *people: str) -> AsyncIterator[ChatHarness]:
    """The bot started at `start`, with the admin and `people` members of the lobby (who may
    vote in a poll opened there)."""
    async with ChatHarness(config, ManualClock(start)) as harness:
        harness.transport.add_members(RoomId(LOBBY), ADMIN, *people)
        yield harness

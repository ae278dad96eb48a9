"""Fixtures shared by every test: the real app over a real SQLite file in a temp folder."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings

from natm_bot.testing.harness import ChatHarness, make_config

ADMIN = "@admin:localhost"
SLOW_FOLDERS = {"integration"}

# Each property test tries its full number of examples in `make test` (and so before
# anything lands); the daily loop, `make fast`, sets NATM_BOT_EXAMPLES=0.25 and tries a
# quarter of them (at least 10): feedback on every change within a minute, the whole search
# on every push.
EXAMPLES_SHARE = float(os.environ.get("NATM_BOT_EXAMPLES", "1"))


def examples(count: int) -> int:
    """How many examples a property written for `count` of them tries in this run."""
    return max(10, round(count * EXAMPLES_SHARE))


settings.register_profile("natm-bot", max_examples=examples(100))
settings.load_profile("natm-bot")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that start a homeserver or the bot as a process are slow, by their folder; they
    run first, so that on several workers the quick ones fill in at the end rather than one
    long test running alone."""
    for item in items:
        if SLOW_FOLDERS & set(item.path.parts):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: not SLOW_FOLDERS & set(item.path.parts))


ALICE = "@alice:localhost"
BOB = "@bob:localhost"


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    """A started bot with one admin, its database in a fresh temp folder. A property test
    takes it once for all its examples and calls `await bot.reset()` at the start of each."""
    async with ChatHarness(make_config(tmp_path, admins=[ADMIN])) as harness:
        yield harness

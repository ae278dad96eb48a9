"""Fixtures shared by every test: the real app over a real SQLite file in a temp folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from natm_bot.testing.harness import ChatHarness, make_config

ADMIN = "@admin:localhost"
ALICE = "@alice:localhost"
BOB = "@bob:localhost"


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    """A started bot with one admin, its database in a fresh temp folder."""
    async with ChatHarness(make_config(tmp_path, admins=[ADMIN])) as harness:
        yield harness

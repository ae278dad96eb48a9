"""The bot's work reaches the Prometheus metrics: commands by name and outcome, replies,
rate limits, syncs and readiness; nothing a person typed ever does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from natm_bot.app import App
from natm_bot.config.http import HttpSection
from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import EventId, Message, RoomId, UserId
from natm_bot.testing.harness import make_config
from natm_bot.transport.memory import MemoryTransport
from natm_bot.web.health import Readiness
from natm_bot.web.metrics import Metrics

ROOM = RoomId("!lobby:example.org")
ALICE = UserId("@alice:example.org")
NOW = datetime(2030, 5, 6, 12, 0, tzinfo=UTC)


class Ticking:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[tuple[App, Metrics]]:
    metrics = Metrics()
    config = make_config(tmp_path, rate_limited=True)
    app = App(config, MemoryTransport(), clock=ManualClock(NOW), observer=metrics)
    await app.start()
    try:
        yield app, metrics
    finally:
        await app.close()


def _count(metrics: Metrics, command: str, outcome: str) -> float:
    labels = {"command": command, "outcome": outcome}
    return metrics.registry.get_sample_value("natm_bot_commands_total", labels) or 0.0


async def _say(app: App, body: str, n: int, typed: datetime = NOW) -> None:
    await app.process(Message(ROOM, ALICE, body, EventId(f"$e{n}"), timestamp=typed))


async def test_commands_are_counted_by_name_and_outcome(app: tuple[App, Metrics]) -> None:
    bot, metrics = app
    await _say(bot, "!principles", 1, typed=NOW - timedelta(seconds=2))
    await _say(bot, "!join", 2)
    await _say(bot, "!join no-such-group-at-all", 3)
    await _say(bot, "!frobnicate the secret words", 4)
    await _say(bot, "just talking", 5)

    assert _count(metrics, "principles", "ok") == 1
    assert _count(metrics, "join", "usage") == 2
    assert _count(metrics, "(unknown)", "unknown") == 1
    registry = metrics.registry
    assert registry.get_sample_value("natm_bot_reply_latency_seconds_count") == 4
    assert registry.get_sample_value("natm_bot_reply_latency_seconds_sum") == 2.0
    text = metrics.render().decode()
    for typed in ("frobnicate", "secret", "no-such-group", "talking", "@", "!"):
        assert typed not in text, typed


async def test_a_flood_counts_one_person_and_every_command(app: tuple[App, Metrics]) -> None:
    bot, metrics = app
    burst = bot.config.safety.rate_burst
    for n in range(burst + 3):
        await _say(bot, "!principles", n)
    assert _count(metrics, "principles", "ok") == burst
    assert _count(metrics, "principles", "rate-limited") == 3
    assert metrics.registry.get_sample_value("natm_bot_rate_limited_people_total") == 1


async def test_readiness_follows_the_syncs_and_the_database(tmp_path: Path) -> None:
    ticking = Ticking()
    metrics = Metrics(now=ticking)
    database_state: list[str | None] = [None]

    async def database() -> str | None:
        return database_state[0]

    readiness = Readiness(metrics, database, stale_after=70)
    assert await readiness.problem() == "not synced with the homeserver yet"
    metrics.synced(rooms=3)
    assert await readiness.problem() is None
    assert metrics.registry.get_sample_value("natm_bot_rooms_joined") == 3
    ticking.at += 12
    metrics.sync_failed()
    assert await readiness.problem() == "cannot sync with the homeserver (last sync 12 s ago)"
    assert metrics.registry.get_sample_value("natm_bot_sync_lag_seconds") == 12
    metrics.synced(rooms=3)
    ticking.at += 71
    assert await readiness.problem() == "last sync with the homeserver 71 s ago"
    metrics.synced(rooms=3)
    database_state[0] = "read-only"
    assert await readiness.problem() == "the database cannot save: it is read-only"


async def test_every_announcement_outcome_shows_from_the_start() -> None:
    metrics = Metrics()
    for outcome in ("sent", "late", "missed", "failed"):
        labels = {"outcome": outcome}
        assert metrics.registry.get_sample_value("natm_bot_announcements_total", labels) == 0
    metrics.announced("late")
    late = {"outcome": "late"}
    assert metrics.registry.get_sample_value("natm_bot_announcements_total", late) == 1


def test_the_listen_address_defaults_to_this_machine() -> None:
    assert HttpSection().listen == "127.0.0.1:9090"
    assert (HttpSection(listen="9191").host, HttpSection(listen="9191").port) == (
        "127.0.0.1",
        9191,
    )
    assert HttpSection(listen="[::1]:9092").host == "::1"

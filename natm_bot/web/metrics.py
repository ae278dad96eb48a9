"""The Observer that keeps Prometheus metrics, in a registry of its own.

Labels are names from fixed sets (a command's registered name, an outcome, a kind of storage
fault): never a user id, a room id or message text.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import get_args

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from natm_bot.core.observer import AnnouncementOutcome, CommandOutcome

# Seconds from a command being typed to its replies being sent.
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


class Metrics:
    """Counts and timings of the bot's work, and when it last synced."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._now = now
        self._started = now()
        self.last_sync: float | None = None  # time.monotonic() of the last sync that worked
        self.sync_failing = False  # the last sync failed
        registry = self.registry
        self._commands = Counter(
            "natm_bot_commands",
            "Commands handled, by command and outcome",
            ["command", "outcome"],
            registry=registry,
        )
        self._latency = Histogram(
            "natm_bot_reply_latency_seconds",
            "Seconds from a command being typed to its replies being sent",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._announcements = Counter(
            "natm_bot_announcements",
            "Announcements settled, by outcome (sent on time, late, missed, failed)",
            ["outcome"],
            registry=registry,
        )
        self._storage_errors = Counter(
            "natm_bot_storage_errors",
            "Times the database could not do what it was asked, by kind",
            ["kind"],
            registry=registry,
        )
        self._instruments(registry)

    def _instruments(self, registry: CollectorRegistry) -> None:
        """The rooms and sync gauges and the rate-limit counter; every announcement outcome
        shown from the start, at 0."""
        self._rooms = Gauge("natm_bot_rooms_joined", "Rooms the bot is in", registry=registry)
        self._rate_limited = Counter(
            "natm_bot_rate_limited_people",
            "Times someone was told to slow down (once per flood of commands)",
            registry=registry,
        )
        lag = Gauge(
            "natm_bot_sync_lag_seconds",
            "Seconds since the last sync with the homeserver that worked (since start, before)",
            registry=registry,
        )
        lag.set_function(self.sync_lag)
        for outcome in get_args(AnnouncementOutcome):
            self._announcements.labels(outcome=outcome)

    def sync_lag(self) -> float:
        """Seconds since the last sync that worked (since start, when none has yet)."""
        return self._now() - (self._started if self.last_sync is None else self.last_sync)

    def render(self) -> bytes:
        """Every metric, in Prometheus' text format."""
        return generate_latest(self.registry)

    # ----- the Observer ----------------------------------------------------------------------

    def command(self, name: str, outcome: CommandOutcome) -> None:
        """A command was handled."""
        self._commands.labels(command=name, outcome=outcome).inc()

    def replied(self, seconds: float) -> None:
        """The replies to a command were sent, this long after it was typed."""
        self._latency.observe(seconds)

    def rate_limited(self) -> None:
        """Someone was told to slow down."""
        self._rate_limited.inc()

    def synced(self, rooms: int) -> None:
        """A sync worked."""
        self.last_sync = self._now()
        self.sync_failing = False
        self._rooms.set(rooms)

    def sync_failed(self) -> None:
        """A sync failed."""
        self.sync_failing = True

    def announced(self, outcome: AnnouncementOutcome) -> None:
        """An announcement was settled."""
        self._announcements.labels(outcome=outcome).inc()

    def storage_error(self, kind: str) -> None:
        """The database could not do what it was asked."""
        self._storage_errors.labels(kind=kind).inc()

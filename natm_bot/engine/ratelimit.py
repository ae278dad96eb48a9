"""Per-person token buckets: a burst, then a steady rate, and one "slow down" notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

MAX_TRACKED = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: datetime
    warned: bool = False


class RateLimiter:
    """Decides, per person, whether a command is answered, ignored, or earns a warning."""

    def __init__(self, burst: int, per_minute: int) -> None:
        self.burst = burst
        self.rate = per_minute / 60.0
        self._buckets: dict[str, _Bucket] = {}

    def check(self, user: str, now: datetime) -> str:
        """`ok` to answer, `warn` for the one notice, `drop` to ignore silently."""
        bucket = self._buckets.get(user)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED:
                self._forget_idle(now)
            bucket = self._buckets[user] = _Bucket(float(self.burst), now)
        # Times only move forward: an older time (a command typed earlier, handled now)
        # refills nothing, so no timestamp can buy more than the steady rate.
        elapsed = max(0.0, (now - bucket.updated).total_seconds())
        bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
        bucket.updated = max(bucket.updated, now)
        if bucket.tokens >= self.burst:
            bucket.warned = False  # they slowed down: a later flood earns a new notice
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return "ok"
        if bucket.warned:
            return "drop"
        bucket.warned = True
        return "warn"

    def _forget_idle(self, now: datetime) -> None:
        """Drop buckets that have refilled: they behave exactly like new ones."""
        full = [
            user
            for user, b in self._buckets.items()
            if b.tokens + (now - b.updated).total_seconds() * self.rate >= self.burst
        ]
        for user in full:
            del self._buckets[user]

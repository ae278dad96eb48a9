"""Waiting between attempts at the homeserver, and which failures are worth another try."""

from __future__ import annotations

import asyncio
import random

from aiohttp import ClientError

# Failures of the connection, not refusals: the same request may succeed later.
TRANSIENT = (ClientError, OSError, asyncio.TimeoutError)


class Backoff:
    """Exponential waits with jitter: 1 s doubling to a ceiling, reset on success."""

    def __init__(self, first: float = 1.0, ceiling: float = 30.0) -> None:
        self.first = first
        self.ceiling = ceiling
        self.failures = 0

    def next_delay(self) -> float:
        """The wait before the next attempt (and count this failure)."""
        delay = min(self.ceiling, self.first * 2**self.failures)
        self.failures += 1
        return float(delay * random.uniform(0.8, 1.2))

    async def wait(self) -> None:
        """Sleep for the next delay."""
        await asyncio.sleep(self.next_delay())

    def reset(self) -> None:
        """Start again from the first delay."""
        self.failures = 0

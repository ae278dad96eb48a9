"""Whether the bot is ready to serve: synced with its homeserver lately, database writable."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from natm_bot.web.metrics import Metrics

# None when the database can save now, else what is wrong with it ("read-only", "full"…).
DatabaseCheck = Callable[[], Awaitable[str | None]]
DATABASE_CHECK_S = 3.0  # a database that does not answer within this is not ready


class Readiness:
    """Tells what keeps the bot from serving, if anything."""

    def __init__(self, metrics: Metrics, database: DatabaseCheck, stale_after: float) -> None:
        self._metrics = metrics
        self._database = database
        self._stale_after = stale_after

    async def problem(self) -> str | None:
        """None when ready, else a short reason."""
        return self._sync_problem() or await self._database_problem()

    def _sync_problem(self) -> str | None:
        metrics = self._metrics
        if metrics.last_sync is None:
            return "not synced with the homeserver yet"
        lag = metrics.sync_lag()
        if metrics.sync_failing:
            return f"cannot sync with the homeserver (last sync {lag:.0f} s ago)"
        if lag > self._stale_after:
            return f"last sync with the homeserver {lag:.0f} s ago"
        return None

    async def _database_problem(self) -> str | None:
        try:
            async with asyncio.timeout(DATABASE_CHECK_S):
                state = await self._database()
        except TimeoutError:
            state = f"not answering within {DATABASE_CHECK_S:.0f} s"
        return f"the database cannot save: it is {state}" if state else None

"""APScheduler as the alarm clock of the announcer: it wakes the sweep at each due time.

The database is the source of truth and the announcer decides what is due; APScheduler only
times the wake-ups. It is created inside the running loop, in UTC, with an in-memory job
store; a late job still runs (misfire_grace_time=None), and a periodic sweep catches up with
anything a stalled loop could have delayed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from natm_bot.core.clock import Clock
from natm_bot.core.supervision import Job

log = logging.getLogger(__name__)

# After a failed sweep (the database locked or full…), try again this soon rather than at
# the due time that is already past, which would spin.
RETRY_AFTER_FAILURE = timedelta(seconds=15)


class Scheduler:
    """Owns the AsyncIOScheduler and keeps one wake-up job at the next due time.

    `sweep` sends what is due (loading the queue first when needed); `next_due` tells when
    the next item is due; `maintenance` is the periodic housekeeping. Call `arm` whenever the
    next due time may have moved."""

    def __init__(
        self,
        sweep: Callable[[], Awaitable[int]],
        next_due: Callable[[], datetime | None],
        clock: Clock,
        maintenance: Callable[[], Awaitable[None]] | None = None,
        *,
        safety_sweep: timedelta = timedelta(minutes=5),
        maintenance_every: timedelta = timedelta(minutes=10),
    ) -> None:
        self._sweep = sweep
        self._next_due = next_due
        self.clock = clock
        self.maintenance = maintenance
        self.safety_sweep = safety_sweep
        self.maintenance_every = maintenance_every
        self._scheduler: AsyncIOScheduler | None = None
        self.sweeps = Job("announcer")
        self.housekeeping = Job("housekeeping")

    async def start(self) -> None:
        """Sweep what is due (late or missed) now, then keep time."""
        self._scheduler = AsyncIOScheduler(
            timezone="UTC",
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        self._scheduler.start()
        self._scheduler.add_job(
            self._wake,
            "interval",
            seconds=self.safety_sweep.total_seconds(),
            id="safety-sweep",
            replace_existing=True,
        )
        if self.maintenance is not None:
            self._scheduler.add_job(
                self._maintain,
                "interval",
                seconds=self.maintenance_every.total_seconds(),
                id="maintenance",
                replace_existing=True,
            )
        await self._wake()

    async def _maintain(self) -> None:
        assert self.maintenance is not None
        await self.housekeeping.run(self.maintenance)

    def arm(self) -> None:
        """(Re)set the wake-up job to the next due announcement (not sooner than a short
        pause after a failed sweep)."""
        if self._scheduler is None:
            return
        due = self._next_due()
        soon = self.clock.now() + min(RETRY_AFTER_FAILURE, self.safety_sweep)
        if due is not None and due < soon and not self.sweeps.healthy:
            due = soon
        if due is None:
            if self._scheduler.get_job("wake"):
                self._scheduler.remove_job("wake")
            return
        # Re-armed from inside a running wake-up when a sweep outlasts the gap to the next
        # due time: a second instance must be allowed, or APScheduler drops it and nothing
        # wakes until the safety sweep. The sweep's own lock keeps sweeps one at a time.
        self._scheduler.add_job(
            self._wake, "date", run_date=due, id="wake", replace_existing=True, max_instances=2
        )

    async def _wake(self) -> None:
        await self.sweeps.run(self._sweep)
        self.arm()

    def stop(self) -> None:
        """Stop timing (jobs live in memory and are rebuilt from the database at start)."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

"""The app's job registry over APScheduler 3: the alarm clock of every feature's timed work.

The database is the source of truth and each job decides what is due; APScheduler only times
the wake-ups. It is created inside the running loop (at `start`), in UTC, with an in-memory
job store. A late wake-up still runs, once (`misfire_grace_time=None`, `coalesce=True`): the
default grace of one second would drop a run behind a stalled loop with only a log line.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from natm_bot.core.clock import Clock
from natm_bot.core.jobs import Every, Rearm, Trigger, WhenDue, Work
from natm_bot.core.supervision import Job

log = logging.getLogger(__name__)

# After a failed run (the database locked or full…), a `WhenDue` job is woken again this soon
# rather than at the due time that is already past, which would spin.
RETRY_AFTER_FAILURE = timedelta(seconds=15)
# A job runs one at a time by the registry's own guard (`run`), not by APScheduler's
# `max_instances`, which logs a WARNING for every tick that finds the job still running (every
# two seconds while the database waits on another program's lock).
JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 3}


@dataclass
class _Entry:
    """One registered job: its trigger, its work and its supervision."""

    trigger: Trigger
    work: Work
    supervised: Job
    rearm: Rearm = field(default=lambda: None)
    running: bool = False  # a run is under way: another tick waits for none
    again: bool = False  # a wake-up came during a run: run once more after it


class Scheduler:
    """The job registry: features `register` their jobs, the app `start`s and `stop`s it."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        self._runs: set[asyncio.Task[object]] = set()  # the runs under way
        self._scheduler: AsyncIOScheduler | None = None

    @property
    def names(self) -> list[str]:
        """The registered jobs, in the order they were registered."""
        return list(self._entries)

    def job(self, name: str) -> Job:
        """The supervision of one job (its failures in a row)."""
        return self._entries[name].supervised

    def register(self, name: str, trigger: Trigger, work: Work) -> Rearm:
        """Add a supervised job (before or after the start); for a `WhenDue` job, the
        callable that re-reads its next due time."""
        if name in self._entries:
            raise ValueError(f"a job called {name!r} is already registered")
        entry = _Entry(trigger, work, Job(name))
        self._entries[name] = entry
        if isinstance(trigger, WhenDue):
            entry.rearm = lambda: self._arm(name)
        if self._scheduler is not None:
            self._add(name, entry)
        return entry.rearm

    async def start(self) -> None:
        """Start timing (inside the running loop); `WhenDue` jobs run at once, to take up
        what fell due while the bot was not running."""
        if self._scheduler is not None:
            return
        self._scheduler = AsyncIOScheduler(timezone="UTC", job_defaults=JOB_DEFAULTS)
        self._scheduler.start()
        for name, entry in self._entries.items():
            self._add(name, entry)
        for name, entry in list(self._entries.items()):
            if isinstance(entry.trigger, WhenDue):
                await self._wake(name)

    def _add(self, name: str, entry: _Entry) -> None:
        assert self._scheduler is not None
        trigger = entry.trigger
        every = trigger.interval if isinstance(trigger, Every) else trigger.safety
        runner = self._wake if isinstance(trigger, WhenDue) else self.run
        self._scheduler.add_job(
            runner,
            "interval",
            args=(name,),
            seconds=every.total_seconds(),
            id=f"{name}:every",
            replace_existing=True,
        )

    async def run(self, name: str) -> bool:
        """Run one job now, supervised, unless a run of it is under way; whether it works."""
        entry = self._entries[name]
        if entry.running:
            log.debug("job %s is still running; this tick is left out", name)
            return entry.supervised.healthy
        entry.running = True
        task = asyncio.current_task()
        if task is not None:
            self._runs.add(task)
        try:
            await entry.supervised.run(entry.work)
        finally:
            entry.running = False
            self._runs.discard(task)
        return entry.supervised.healthy

    async def _wake(self, name: str) -> None:
        """A wake-up of a `WhenDue` job: one that comes during a run is kept, and run once
        the run under way ends (what fell due meanwhile is then seen), never beside it."""
        entry = self._entries[name]
        if entry.running:
            entry.again = True
            return
        await self.run(name)
        while entry.again:
            entry.again = False
            await self.run(name)
        self._arm(name)

    def _arm(self, name: str) -> None:
        """(Re)set a `WhenDue` job's wake-up at its next due time (not sooner than a short
        pause after a failed run)."""
        entry = self._entries[name]
        if self._scheduler is None or not isinstance(entry.trigger, WhenDue):
            return
        due = entry.trigger.next_due()
        soon = self.clock.now() + min(RETRY_AFTER_FAILURE, entry.trigger.safety)
        if due is not None and due < soon and not entry.supervised.healthy:
            due = soon
        wake_id = f"{name}:wake"
        if due is None:
            if self._scheduler.get_job(wake_id):
                self._scheduler.remove_job(wake_id)
            return
        # Re-armed from inside a running wake-up when the work outlasts the gap to the next
        # due time: a second instance must be allowed, or APScheduler drops it and nothing
        # wakes until the safety sweep. The work keeps itself one at a time where it must.
        self._scheduler.add_job(
            self._wake,
            "date",
            args=(name,),
            run_date=due,
            id=wake_id,
            replace_existing=True,
            max_instances=2,
        )

    def stop(self) -> None:
        """Stop timing; the jobs stay registered, and a new start times them again."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    async def close(self, patience: float = 10.0) -> None:
        """Stop timing and let the runs under way end (what they use, the database, is
        closed next); one still running after `patience` seconds is cancelled."""
        self.stop()
        running = [task for task in self._runs if task is not asyncio.current_task()]
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=patience)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

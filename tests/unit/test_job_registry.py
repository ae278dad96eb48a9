"""The app's job registry: features register timed work, which runs on its trigger, is
supervised (a failure is logged once and the job runs again), and is timed by APScheduler."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from natm_bot.app import App
from natm_bot.config.settings import HousekeepingSection
from natm_bot.core.clock import ManualClock, SystemClock
from natm_bot.core.jobs import Every, WhenDue
from natm_bot.engine.scheduler import Scheduler
from natm_bot.testing.harness import make_config
from natm_bot.transport.memory import MemoryTransport

QUICK = timedelta(milliseconds=50)
WAIT = 10  # seconds before a test gives up waiting for a run (not a timing assertion)


class Runs:
    """Work that notes when it ran (by the clock it is given), failing its first runs."""

    def __init__(self, clock: Callable[[], datetime], fail_first: int = 0) -> None:
        self.at: list[datetime] = []
        self._clock = clock
        self._fail_first = fail_first
        self._ran = asyncio.Event()

    async def work(self) -> None:
        """One run."""
        self.at.append(self._clock())
        self._ran.set()
        if len(self.at) <= self._fail_first:
            raise RuntimeError(f"run {len(self.at)} breaks")

    async def reach(self, count: int) -> None:
        """Wait until the work has run `count` times."""
        async with asyncio.timeout(WAIT):
            while len(self.at) < count:
                self._ran.clear()
                await self._ran.wait()


class Ran(logging.Handler):
    """Sets `done` once every named job has logged a run that worked."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.waiting = set(names)
        self.done = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        """Note a run that worked."""
        self.waiting.discard(record.getMessage().partition(" ran in ")[0])
        if not self.waiting:
            self.done.set()


async def test_a_periodic_job_runs_again_after_a_failure_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    jobs = Scheduler(SystemClock())
    runs = Runs(SystemClock().now, fail_first=2)
    jobs.register("flaky", Every(QUICK), runs.work)
    with caplog.at_level(logging.DEBUG):
        await jobs.start()
        try:
            await runs.reach(4)
        finally:
            jobs.stop()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1  # one line per streak of failures, not one per run
    assert re.fullmatch(r"flaky failed \(ref [0-9a-f]{8}\): run 1 breaks; .*", errors[0].message)
    assert "flaky works again after 2 failed runs" in caplog.text
    assert jobs.job("flaky").healthy


async def test_a_due_job_runs_at_start_then_when_due_by_the_injected_clock() -> None:
    clock = ManualClock(datetime.now(UTC))
    jobs = Scheduler(clock)
    runs = Runs(clock.now)
    due: list[datetime] = []

    async def remind() -> None:
        await runs.work()
        due.clear()  # done: nothing more is due

    rearm = jobs.register(
        "reminders", WhenDue(lambda: due[0] if due else None, safety=timedelta(hours=1)), remind
    )
    await jobs.start()
    try:
        assert len(runs.at) == 1  # at the start: what fell due while the bot was down
        clock.advance(timedelta(minutes=5))
        due.append(datetime.now(UTC) + QUICK)
        rearm()  # the feature's next due time moved
        await runs.reach(2)
    finally:
        jobs.stop()
    assert runs.at[1] - runs.at[0] == timedelta(minutes=5)  # the work reads the injected clock


async def test_a_due_job_that_fails_is_woken_again_before_its_safety_sweep() -> None:
    clock = SystemClock()
    jobs = Scheduler(clock)
    runs = Runs(clock.now, fail_first=1)
    jobs.register("poll-closing", WhenDue(clock.now, safety=QUICK), runs.work)
    await jobs.start()
    try:
        await runs.reach(2)
    finally:
        jobs.stop()
    assert jobs.job("poll-closing").healthy


def test_a_name_is_registered_once() -> None:
    jobs = Scheduler(SystemClock())
    jobs.register("prune", Every(QUICK), Runs(SystemClock().now).work)
    with pytest.raises(ValueError, match="already registered"):
        jobs.register("prune", Every(QUICK), Runs(SystemClock().now).work)


async def test_features_register_their_jobs_and_the_app_times_them(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    config = config.model_copy(
        update={"housekeeping": HousekeepingSection(interval=1, safety_sweep=1)}
    )
    app = App(config, MemoryTransport(), clock=SystemClock())
    # Housekeeping is no longer the meetings feature's: privacy and storage register their own.
    assert set(app.jobs.names) == {
        "actions",
        "announcer",
        "minutes",
        "onboarding",
        "polls",
        "privacy-prune",
        "statements",
        "wal-checkpoint",
    }
    ran = Ran(app.jobs.names)
    supervision = logging.getLogger("natm_bot.core.supervision")
    supervision.addHandler(ran)
    level = supervision.level
    supervision.setLevel(logging.DEBUG)
    await app.start()
    try:
        await app.start_scheduler()
        async with asyncio.timeout(WAIT):  # on the compressed interval of a soak run
            await ran.done.wait()
    finally:
        supervision.removeHandler(ran)
        supervision.setLevel(level)
        await app.close()


async def test_a_job_outlasting_its_interval_runs_one_at_a_time_and_warns_nobody(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Work held up (a database waiting on another program's lock) for several intervals:
    the ticks that find it running are left out quietly, never run beside it, and the log
    gets no line per tick."""
    release = asyncio.Event()
    running = 0
    overlap: list[int] = []
    runs = Runs(SystemClock().now)

    async def slow() -> None:
        nonlocal running
        running += 1
        overlap.append(running)
        await runs.work()
        await release.wait()
        running -= 1

    scheduler = Scheduler(SystemClock())
    scheduler.register("slow", Every(QUICK), slow)
    await scheduler.start()
    try:
        with caplog.at_level(logging.DEBUG):
            await runs.reach(1)
            await asyncio.sleep(QUICK.total_seconds() * 8)  # eight ticks while it runs
            release.set()
            await runs.reach(2)
    finally:
        scheduler.stop()
    assert max(overlap) == 1
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == [], [r.getMessage() for r in loud]


async def test_a_wake_up_during_a_run_runs_once_more_after_it() -> None:
    """A `WhenDue` job woken while it runs (its next due time moved) runs again once the run
    ends, so what fell due meanwhile is not left to the safety sweep."""
    clock = SystemClock()
    release = asyncio.Event()
    runs = Runs(clock.now)

    async def work() -> None:
        await runs.work()
        if len(runs.at) == 2:  # the start's run, then the wake-up's
            await release.wait()

    scheduler = Scheduler(clock)
    rearm = scheduler.register("due", WhenDue(lambda: None, timedelta(hours=1)), work)
    await scheduler.start()
    try:
        await runs.reach(1)
        woken = asyncio.create_task(scheduler._wake("due"))
        await runs.reach(2)
        await scheduler._wake("due")  # comes during the run: kept for after it
        await scheduler._wake("due")  # and a second one is the same one
        assert len(runs.at) == 2
        release.set()
        await woken
        rearm()
    finally:
        scheduler.stop()
    assert len(runs.at) == 3


async def test_closing_lets_a_run_under_way_end_before_what_it_uses_is_closed() -> None:
    jobs = Scheduler(SystemClock())
    began, ended = asyncio.Event(), asyncio.Event()

    async def work() -> None:
        began.set()
        await asyncio.sleep(0.05)  # a send or a write still under way
        ended.set()

    jobs.register("polls", Every(timedelta(hours=1)), work)
    await jobs.start()
    run = asyncio.create_task(jobs.run("polls"))
    await began.wait()
    await jobs.close()
    assert ended.is_set()
    assert await run


async def test_a_run_that_outlasts_the_patience_of_closing_is_cancelled() -> None:
    jobs = Scheduler(SystemClock())
    began, ended = asyncio.Event(), asyncio.Event()

    async def work() -> None:
        began.set()
        await asyncio.sleep(3600)  # stuck: a homeserver that never answers
        ended.set()

    jobs.register("stuck", Every(timedelta(hours=1)), work)
    await jobs.start()
    run = asyncio.create_task(jobs.run("stuck"))
    await began.wait()
    await jobs.close(patience=0.05)
    assert run.cancelled() or run.done()
    assert not ended.is_set()

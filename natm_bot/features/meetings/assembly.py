"""The meetings feature put together: its service, its announcer and the scheduler that
wakes the announcer, over one meetings store and one announcement ledger."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from natm_bot.config.settings import Config
from natm_bot.core.clock import Clock
from natm_bot.core.observer import SILENT, Observer
from natm_bot.features.meetings.announcer import Announcer, Languages
from natm_bot.features.meetings.planning import ResolveGroup
from natm_bot.features.meetings.scheduler import Scheduler
from natm_bot.features.meetings.service import MeetingService
from natm_bot.storage import Database
from natm_bot.storage.announcements import AnnouncementLedger
from natm_bot.storage.meetings import MeetingStore
from natm_bot.storage.state import State
from natm_bot.transport import Transport


@dataclass(frozen=True)
class Meetings:
    """The parts of the meetings feature the app keeps."""

    service: MeetingService
    announcer: Announcer
    scheduler: Scheduler


def build_meetings(
    db: Database,
    clock: Clock,
    transport: Transport,
    config: Config,
    *,
    resolve_group: ResolveGroup,
    maintenance: Callable[[], Awaitable[None]],
    languages: Languages,
    observer: Observer = SILENT,
) -> Meetings:
    """The service, announcer and scheduler, wired so that every change to a meeting
    reschedules its announcements and re-arms the wake-up."""
    store = MeetingStore(db, clock)
    ledger = AnnouncementLedger(db, clock)
    announcer = Announcer(
        store,
        ledger,
        State(db),
        transport,
        clock,
        settings=config.meetings,
        bot=config.bot,
        fixed=config.announcements,
        languages=languages,
        observer=observer,
    )
    service = MeetingService(
        store,
        ledger,
        clock,
        config.meetings,
        resolve_group=resolve_group,
        on_change=announcer.reschedule,
        prefix=config.bot.prefix,
    )
    scheduler = _scheduler(announcer, clock, config, maintenance)
    announcer.on_change = scheduler.arm
    return Meetings(service, announcer, scheduler)


def _scheduler(
    announcer: Announcer,
    clock: Clock,
    config: Config,
    maintenance: Callable[[], Awaitable[None]],
) -> Scheduler:
    """The alarm clock that wakes the announcer's sweep and runs the housekeeping."""
    timers = config.housekeeping
    return Scheduler(
        announcer.wake,
        announcer.next_due,
        clock,
        maintenance,
        safety_sweep=timedelta(seconds=timers.safety_sweep),
        maintenance_every=timedelta(seconds=timers.interval),
    )

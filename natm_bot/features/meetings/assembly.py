"""The meetings feature put together: its service and its announcer over one meetings store
and one announcement ledger, the announcer's sweep registered as a timed job."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from natm_bot.config.settings import Config
from natm_bot.core.clock import Clock
from natm_bot.core.jobs import JobRegistry, WhenDue
from natm_bot.core.observer import SILENT, Observer
from natm_bot.features.meetings.agenda import AgendaService
from natm_bot.features.meetings.announcer import Announcer, Languages
from natm_bot.features.meetings.minutes import Languages as MinutesLanguages
from natm_bot.features.meetings.minutes import MinutesDesk
from natm_bot.features.meetings.minutes_model import Adopt
from natm_bot.features.meetings.minutes_posting import MinutesPoster
from natm_bot.features.meetings.planning import ResolveGroup
from natm_bot.features.meetings.reactions import ReactionAnswers
from natm_bot.features.meetings.service import MeetingService
from natm_bot.storage import Database
from natm_bot.storage.agenda import AgendaStore
from natm_bot.storage.announcements import AnnouncementLedger
from natm_bot.storage.meetings import MeetingStore
from natm_bot.storage.minutes import MinutesStore
from natm_bot.storage.rsvp_reactions import ReactionStore
from natm_bot.storage.state import State
from natm_bot.transport import Transport


class Meetings(NamedTuple):
    """The parts of the meetings feature the app keeps."""

    service: MeetingService
    announcer: Announcer
    reactions: ReactionAnswers


def build_meetings(
    db: Database,
    clock: Clock,
    transport: Transport,
    config: Config,
    *,
    resolve_group: ResolveGroup,
    jobs: JobRegistry,
    languages: Languages,
    observer: Observer = SILENT,
) -> Meetings:
    """The service and the announcer, wired so that every change to a meeting reschedules
    its announcements and re-arms the announcer's wake-up in `jobs`."""
    store = MeetingStore(db, clock)
    ledger = AnnouncementLedger(db, clock)
    announcer = Announcer(
        store, ledger, State(db), transport, clock,
        settings=config.meetings, bot=config.bot, fixed=config.announcements,
        languages=languages, observer=observer,
    )  # fmt: skip
    announcer.agenda = AgendaStore(db)
    service = MeetingService(
        store,
        ledger,
        clock,
        config.meetings,
        resolve_group=resolve_group,
        on_change=announcer.reschedule,
        prefix=config.bot.prefix,
    )
    due = WhenDue(announcer.next_due, timedelta(seconds=config.housekeeping.safety_sweep))
    announcer.on_change = jobs.register("announcer", due, announcer.wake)
    reactions = ReactionAnswers(store, ledger, ReactionStore(db))
    return Meetings(service, announcer, reactions)


class MinutesParts(NamedTuple):
    """The agenda, the minutes desk and the posting of minutes, as the app keeps them."""

    agenda: AgendaService
    desk: MinutesDesk
    poster: MinutesPoster


def build_minutes(
    db: Database,
    clock: Clock,
    transport: Transport,
    config: Config,
    *,
    jobs: JobRegistry,
    languages: MinutesLanguages,
    adopt: Adopt | None,
) -> MinutesParts:
    """Agendas and minutes over the meetings' store, the posting registered as the
    `minutes` job."""
    meetings = MeetingStore(db, clock)
    ledger = AnnouncementLedger(db, clock)
    desk = MinutesDesk(meetings, MinutesStore(db), ledger, transport, clock, languages)
    agenda = AgendaService(AgendaStore(db), clock, transport.members)
    poster = MinutesPoster(desk, agenda.store, languages, adopt)
    due = WhenDue(poster.next_due, timedelta(seconds=config.housekeeping.safety_sweep))
    poster.rearm = desk.rearm = jobs.register("minutes", due, poster.sweep)
    return MinutesParts(agenda, desk, poster)

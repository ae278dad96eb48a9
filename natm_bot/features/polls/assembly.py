"""The polls feature put together: its service and its closing job over one store, the job
registered with the app's job registry."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from natm_bot.config.settings import Config
from natm_bot.core.clock import Clock
from natm_bot.core.jobs import JobRegistry, WhenDue
from natm_bot.features.polls.closing import PollCloser, PollTransport, Settled
from natm_bot.features.polls.posting import OrganisationName, PersonLanguage, PollDesk
from natm_bot.features.polls.service import Digest, Electorates, PollService, ZoneOf
from natm_bot.storage import Database
from natm_bot.storage.polls import PollStore


class Polls(NamedTuple):
    """The parts of the polls feature the app keeps."""

    service: PollService
    closer: PollCloser
    desk: PollDesk


def build_polls(
    db: Database,
    clock: Clock,
    transport: PollTransport,
    config: Config,
    *,
    electorates: Electorates,
    digest: Digest,
    zone_of: ZoneOf,
    languages: PersonLanguage,
    organisation_name: OrganisationName,
    settled: Settled,
    jobs: JobRegistry,
) -> Polls:
    """The service and the closing job, wired so that every change to a poll re-reads the
    job's next due time."""
    store = PollStore(db, clock)
    service = PollService(store, clock, electorates, digest, zone_of)
    closer = PollCloser(
        service,
        store,
        transport,
        clock,
        languages=languages,
        reminders=config.polls.reminders,
        prefix=config.bot.prefix,
        settled=settled,
    )
    service.on_change = closer.changed
    due = WhenDue(closer.next_due, timedelta(seconds=config.housekeeping.safety_sweep))
    closer.rearm = jobs.register("polls", due, closer.sweep)
    desk = PollDesk(service, transport, languages, organisation_name, config.bot.prefix)
    return Polls(service, closer, desk)

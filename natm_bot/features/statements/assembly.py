"""Statements wired: the store, the milestones announced in the configured rooms, and the
`statements` job (finishing announcements a crash left) registered with the app's jobs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from natm_bot.config.settings import Config
from natm_bot.core.clock import Clock
from natm_bot.core.jobs import JobRegistry, WhenDue
from natm_bot.features.statements.milestones import Milestones, Sender
from natm_bot.features.statements.service import DelegateOf, OrganisationOf, Statements
from natm_bot.storage import Database
from natm_bot.storage.statements import StatementStore


def build_statements(
    db: Database,
    clock: Clock,
    transport: Sender,
    config: Config,
    *,
    digest: Callable[[str], str],
    delegate_of: DelegateOf,
    organisation: OrganisationOf,
    jobs: JobRegistry,
) -> Statements:
    """The statements feature over the app's parts, its job registered."""
    store = StatementStore(db, clock)
    section = config.statements
    statements = Statements(
        store, clock, reconfirm=section.reconfirm, digest=digest,
        delegate_of=delegate_of, organisation=organisation,
    )  # fmt: skip
    milestones = Milestones(
        store, transport, rooms=section.rooms, milestones=section.milestones,
        language=config.bot.language, prefix=config.bot.prefix,
    )  # fmt: skip
    statements.reached = milestones
    safety = timedelta(seconds=config.housekeeping.safety_sweep)
    jobs.register("statements", WhenDue(milestones.next_due, safety), milestones.sweep)
    return statements

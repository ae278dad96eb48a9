"""The welcome of newcomers wired: its store, its texts' sources, and the `onboarding` job
registered with the app's job registry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from natm_bot.config.content import Content
from natm_bot.config.settings import Config
from natm_bot.core.clock import Clock
from natm_bot.core.jobs import JobRegistry, WhenDue
from natm_bot.features.onboarding.service import Languages, Onboarding, Parts, Transport
from natm_bot.storage import Database
from natm_bot.storage.groups import Group
from natm_bot.storage.onboarding import OnboardingStore


def build_onboarding(
    db: Database,
    clock: Clock,
    transport: Transport,
    config: Config,
    *,
    content: Content,
    languages: Languages,
    digest: Callable[[str], str],
    groups: Callable[[], Awaitable[list[Group]]],
    jobs: JobRegistry,
) -> Onboarding:
    """The onboarding feature over the app's parts, its job registered."""

    async def open_groups() -> list[Group]:
        return [group for group in await groups() if group.open]

    bot_user = config.matrix.user_id if config.matrix else "@bot:localhost"
    parts = Parts(
        content, open_groups, languages, config.bot.language, config.bot.prefix, bot_user
    )
    onboarding = Onboarding(
        OnboardingStore(db, clock), clock, config.onboarding, transport, digest, parts
    )
    due = WhenDue(onboarding.next_due, timedelta(seconds=config.housekeeping.safety_sweep))
    onboarding.rearm = jobs.register("onboarding", due, onboarding.sweep)
    return onboarding

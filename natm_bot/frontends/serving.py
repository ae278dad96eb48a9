"""`natm-bot run`: the App on Matrix, with its HTTP listener and the public page beside it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from natm_bot.app import App
from natm_bot.config.settings import Config
from natm_bot.core.clock import SystemClock
from natm_bot.core.observer import SILENT, Observer
from natm_bot.storage.events import EventLedger

if TYPE_CHECKING:  # the Matrix and HTTP libraries load only when the bot runs on Matrix
    from natm_bot.matrix.runner import BotRunner
    from natm_bot.web.listener import Listener
    from natm_bot.web.site import PublicSite


class Runner(Protocol):
    """`natm-bot run`: serves until stopped; the exit code."""

    async def run(self) -> int:
        """Serve until stopped."""


class WithListener:
    """The bot on Matrix with its HTTP listener beside it, for as long as the bot runs."""

    def __init__(self, runner: BotRunner, listener: Listener) -> None:
        self.runner = runner
        self.listener = listener

    async def run(self) -> int:
        """Listen, then serve until stopped."""
        await self.listener.start()
        try:
            return await self.runner.run()
        finally:
            await self.listener.stop()


def public_site(app: App) -> PublicSite:
    """The public page and calendar feeds over this bot's features."""
    from urllib.parse import urlsplit

    from natm_bot.features.meetings.ical import calendar_domain
    from natm_bot.features.meetings.minutes_public import PublicMinutes
    from natm_bot.web.site import PublicSite, SiteSettings, Sources, public_room_ids

    config, section = app.config, app.config.http
    url = section.public_url if section else None
    settings = SiteSettings(
        default_language=config.bot.language,
        zones=tuple(config.bot.display_timezones),
        rooms=tuple(section.public_rooms if section else ()),
        domain=calendar_domain(config),
        base_path=urlsplit(url).path.rstrip("/") if url else "",
        prefix=config.bot.prefix,
        public_url=section.feed_base if section else None,
        welcomes=bool(config.onboarding.rooms),
    )
    sources = Sources(
        app.content,
        app.groups,
        app.members,
        app.meetings,
        app.clock,
        app.polls,
        public_room_ids(app.transport.room_id, settings.rooms),
        PublicMinutes(app.minutes),
        app.statements,
    )
    return PublicSite(sources, settings)


def matrix_runner(config: Config) -> Runner:
    """`natm-bot run`: the App on the stored Matrix device, ready to serve, with the HTTP
    listener when `http:` is configured."""
    # Imported here: the Matrix and HTTP libraries load only when the bot runs on Matrix.
    from natm_bot.matrix.runner import BotRunner, connect
    from natm_bot.matrix.sync import SYNC_TIMEOUT_MS
    from natm_bot.web.health import Readiness
    from natm_bot.web.listener import Listener
    from natm_bot.web.metrics import Metrics

    connection = connect(config)
    clock = SystemClock()
    metrics = Metrics() if config.http is not None else None
    observer: Observer = metrics or SILENT
    app = App(config, connection.transport, clock=clock, observer=observer)
    runner = BotRunner(connection, app, EventLedger(app.db, clock), clock, observer)
    app.caught_up = runner.caught_up  # polls are counted once every earlier vote is in
    if config.http is None or metrics is None:
        return runner

    async def database() -> str | None:
        return runner.intake.fault or await app.db.can_write()

    # A sync returns at least every SYNC_TIMEOUT_MS while the homeserver answers.
    readiness = Readiness(metrics, database, stale_after=2 * SYNC_TIMEOUT_MS / 1000 + 10)
    site = public_site(app) if config.http.public else None
    return WithListener(runner, Listener(config.http, metrics, readiness, site))

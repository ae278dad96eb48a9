"""`natm-bot run` on Matrix: the sync loop and the workers around a bot, until stopped."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass
from datetime import datetime, timedelta

from nio import AsyncClient

from natm_bot.config.settings import Config
from natm_bot.core.clock import Clock
from natm_bot.core.observer import SILENT, Observer
from natm_bot.matrix.bot import Bot
from natm_bot.matrix.crypto import Crypto
from natm_bot.matrix.events import CommandReader
from natm_bot.matrix.intake import Intake
from natm_bot.matrix.invites import Invites
from natm_bot.matrix.sealed import SealedEvents
from natm_bot.matrix.sending import MatrixTransport
from natm_bot.matrix.session import Credentials, FatalError, matrix_section, restore
from natm_bot.matrix.sync import SyncLoop
from natm_bot.matrix.workers import Workers
from natm_bot.storage.events import EventLedger

log = logging.getLogger(__name__)

EXIT_FATAL = 3
# A batch taken in this long after a moment holds every event the homeserver had by then.
CAUGHT_UP_AFTER = timedelta(seconds=1)


@dataclass(frozen=True)
class Connection:
    """A client logged in as the bot's device, with its encryption and its transport."""

    config: Config
    client: AsyncClient
    credentials: Credentials
    crypto: Crypto
    transport: MatrixTransport


def connect(config: Config) -> Connection:
    """The stored device, restored; SessionError when it cannot be used."""
    matrix = matrix_section(config)
    client, credentials = restore(config)
    crypto = Crypto(client)
    transport = MatrixTransport(client, crypto, encryption=matrix.encryption)
    return Connection(config, client, credentials, crypto, transport)


class BotRunner:
    """One bot process on Matrix: the bot, its sync loop and its answering workers."""

    def __init__(
        self,
        connection: Connection,
        bot: Bot,
        ledger: EventLedger,
        clock: Clock,
        observer: Observer = SILENT,
    ) -> None:
        matrix = matrix_section(connection.config)
        client = connection.client
        self.connection = connection
        self.clock = clock
        self.bot = bot
        self.ledger = ledger
        self.intake = Intake(ledger)
        self.workers = Workers(bot, self.intake)
        max_age = timedelta(seconds=matrix.max_command_age)
        reader = CommandReader(
            client.user_id, bot.is_command, clock, max_age, bot.is_note, bot.is_answer
        )
        invites = Invites(client, matrix.invites)
        self.sealed = SealedEvents(client, clock, max_age)
        self.sync = SyncLoop(
            connection.transport,
            connection.crypto,
            reader,
            invites,
            self.intake,
            self.sealed,
            observer,
        )
        self.sync.unreadable = bot.unreadable
        self.stopping = asyncio.Event()

    async def caught_up(self, moment: datetime) -> bool:
        """Whether everything sent up to `moment` has been read and handled: a batch taken in
        well after it, and nothing from before it waiting in the inbox."""
        taken, idle = self.sync.batch_at, self.sync.idle_since
        after = moment + CAUGHT_UP_AFTER
        if taken is None:
            return False  # not even the first batch since the start is in
        if taken < after and (idle is None or self.clock.now() < after):
            return False  # a batch from after it, or a quiet homeserver since, is needed
        return not await self.ledger.waiting_until(moment)

    async def run(self) -> int:
        """Serve until SIGTERM/SIGINT (exit 0) or a fatal error (exit 3)."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stopping.set)
        await self.bot.start()
        try:
            return await self._serve()
        except FatalError:
            return EXIT_FATAL
        finally:
            self.sync.cancel()
            await self.connection.transport.close()
            await self.bot.close()

    async def _serve(self) -> int:
        self.sync.token = await self.ledger.sync_token()
        self.sealed.restore(await self.ledger.sealed())
        for message in await self.ledger.pending():
            self.workers.enqueue(message)
        self.workers.start()
        sync = asyncio.create_task(
            self.sync.run(self.workers.enqueue, self.bot.start_scheduler, self.workers.answered)
        )
        stop = asyncio.create_task(self.stopping.wait())
        await asyncio.wait({sync, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        failure = sync.exception() if sync.done() and not sync.cancelled() else None
        if failure is not None:
            log.error("%s", failure)
        log.info("shutting down")
        sync.cancel()
        await self.workers.drain()
        if failure is not None:
            raise failure
        return 0

"""The answering workers: what came in from one room (commands, poll answers) handled in
order, rooms side by side."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Sequence

from natm_bot.core.messages import Incoming, PollAnswer
from natm_bot.core.supervision import drills
from natm_bot.core.trace import TRACE
from natm_bot.matrix.bot import Bot
from natm_bot.matrix.intake import Intake
from natm_bot.transport import SendFailed

log = logging.getLogger(__name__)

WORKERS = 4
SHUTDOWN_GRACE_S = 5


class Workers:
    """A few queues of commands, each answered by its own task through the bot."""

    def __init__(self, bot: Bot, intake: Intake, count: int = WORKERS) -> None:
        self.bot = bot
        self.intake = intake
        self.queues: list[asyncio.Queue[Incoming]] = [asyncio.Queue() for _ in range(count)]
        self._tasks: list[asyncio.Task[None]] = []
        self._kill_after_send = "kill-after-send" in drills()
        self._open: dict[str, asyncio.Future[None]] = {}  # by event id, until handled

    def start(self) -> None:
        """Start one task per queue."""
        self._tasks = [asyncio.create_task(self._work(queue)) for queue in self.queues]

    def enqueue(self, message: Incoming) -> None:
        """Commands of one room go to one worker, so they are answered in order."""
        if message.event_id not in self._open:
            self._open[message.event_id] = asyncio.get_running_loop().create_future()
        self.queues[hash(message.room_id) % len(self.queues)].put_nowait(message)

    async def answered(self, event_ids: Sequence[str], timeout: float) -> None:
        """Until these commands are handled (answered, or given up), at most `timeout` s."""
        waiting = [self._open[e] for e in event_ids if e in self._open]
        if waiting:
            await asyncio.wait(waiting, timeout=timeout)

    def _handled(self, message: Incoming) -> None:
        future = self._open.pop(message.event_id, None)
        if future is not None and not future.done():
            future.set_result(None)

    async def drain(self) -> None:
        """Let workers finish what they hold, briefly; unanswered commands stay in the inbox."""
        for queue in self.queues:
            while not queue.empty():
                self._handled(queue.get_nowait())
                queue.task_done()
        # Workers loop forever; wait only for the commands they are answering right now.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(queue.join() for queue in self.queues)), SHUTDOWN_GRACE_S
            )
        for task in self._tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _work(self, queue: asyncio.Queue[Incoming]) -> None:
        while True:
            message = await queue.get()
            try:
                await self._answer(message)
            except asyncio.CancelledError:
                raise
            except SendFailed as exc:
                log.warning("could not answer %s: %s", message.event_id, exc)
                await self.intake.done(message)
            except Exception:
                log.exception("answering %s failed; kept for the next start", message.event_id)
            finally:
                self._handled(message)
                queue.task_done()

    async def _answer(self, message: Incoming) -> None:
        TRACE.mark(message.event_id, "queue")
        outgoing = await self.bot.process(message)
        if isinstance(message, PollAnswer):
            log.info(
                "received a poll response %s in %s for %s",
                message.event_id,
                message.room_id,
                message.poll_event,
            )
        log.debug(
            "answered %s in %s with %d messages", message.event_id, message.room_id, len(outgoing)
        )
        if self._kill_after_send:
            # Fault drill: die between "sent" and "recorded", as a power cut would.
            os.kill(os.getpid(), signal.SIGKILL)
        await self.intake.done(message)
        TRACE.end(message.event_id)
        # Someone was forgotten: purge the WAL now (else the next housekeeping does), but
        # not while the database cannot save.
        if self.intake.fault is None:
            await self.bot.checkpoint_if_due()

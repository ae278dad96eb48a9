"""Periodic work that keeps running: a failure is logged once, with a reference, and the job
runs again on its schedule; when it works again, that is logged once too.

Fault drills (as an operator would rehearse them, and as the tests do) set the environment
variable NATM_BOT_FAULT to a comma-separated list; `fail-once:<job>` makes the first run of
that job fail, so that what follows a failure can be watched in the real process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger(__name__)

FAULT_ENV = "NATM_BOT_FAULT"
T = TypeVar("T")


class InjectedFault(Exception):
    """A failure asked for by a fault drill."""


def drills() -> set[str]:
    """The fault drills asked for in the environment (`kill-after-send`,
    `kill-after-milestone`, `fail-once:…`)."""
    return {part.strip() for part in os.environ.get(FAULT_ENV, "").split(",") if part.strip()}


class Job:
    """One named periodic job and whether its last run failed."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.failures = 0  # failed runs in a row
        self._drill = f"fail-once:{name}" in drills()

    @property
    def healthy(self) -> bool:
        """The last run worked (or none has run yet)."""
        return self.failures == 0

    async def run(self, work: Callable[[], Awaitable[T]]) -> T | None:
        """Run `work` once; None when it failed (logged once per streak of failures)."""
        started = time.monotonic()
        try:
            if self._drill:
                self._drill = False
                raise InjectedFault(f"fault drill: the first run of {self.name} fails")
            result = await work()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.failed(exc)
            return None
        if not self.healthy:
            log.info("%s works again after %d failed runs", self.name, self.failures)
            self.failures = 0
        log.debug("%s ran in %.0f ms", self.name, (time.monotonic() - started) * 1000)
        return result

    def failed(self, exc: Exception) -> None:
        """Count a failed run (logged once per streak, with a reference)."""
        self.failures += 1
        if self.failures == 1:
            ref = secrets.token_hex(4)
            log.error(
                "%s failed (ref %s): %s; it runs again on schedule",
                self.name,
                ref,
                exc,
                exc_info=not isinstance(exc, InjectedFault),
            )
        else:
            log.debug("%s failed again (%d in a row): %s", self.name, self.failures, exc)

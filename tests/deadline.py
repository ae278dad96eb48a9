"""A time limit for a block of test code that even a loop that never yields cannot outstay."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Overtime(BaseException):
    """The block ran past its limit. A BaseException, so that no `except Exception` in the
    bot (which turns errors into "something went wrong") can swallow it."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail instead of hanging the test run when the block takes longer than `seconds`."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise Overtime(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

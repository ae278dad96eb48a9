"""What the HTTP listener does with requests its parser refuses: a 10,000-character URL, a
huge header, a hundred and more headers, bytes that are not HTTP. Each gets a proper status
with the security headers, and the log one WARNING a minute at most, without the request."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from natm_bot.config.http import HttpSection
from natm_bot.core.clock import ManualClock
from natm_bot.web.health import Readiness
from natm_bot.web.listener import Listener
from natm_bot.web.metrics import Metrics
from natm_bot.web.refusals import SECURITY_HEADERS

MARK = "qz7marker"
LONG_URL = b"GET /healthz?" + MARK.encode() * 1250 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
LONG_HEADER = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + MARK.encode() * 3000 + b"\r\n\r\n"
MANY_HEADERS = (
    b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
    + b"".join(b"X-%s-%d: a\r\n" % (MARK.encode(), i) for i in range(300))
    + b"\r\n"
)
NOT_HTTP = b"\x16\x03\x01" + MARK.encode() + b"\r\n\r\n"
PLAIN = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


@asynccontextmanager
async def listening(clock: ManualClock) -> AsyncIterator[tuple[str, int]]:
    """A listener on 127.0.0.1 (any free port) in this event loop."""
    metrics = Metrics()

    async def writable() -> str | None:
        return None

    listener = Listener(
        HttpSection(listen="127.0.0.1:0"),
        metrics,
        Readiness(metrics, writable, stale_after=60),
        clock=clock,
    )
    await listener.start()
    host, port = listener.urls[0].removeprefix("http://").split(":")
    try:
        yield host, int(port)
    finally:
        await listener.stop()


async def exchange(address: tuple[str, int], request: bytes) -> tuple[int, dict[str, str]]:
    """Send raw bytes; the status and headers of the answer."""
    reader, writer = await asyncio.open_connection(*address)
    try:
        writer.write(request)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers = dict(line.split(": ", 1) for line in head[1:])
    return status, headers


async def test_oversized_requests_get_414_or_431_with_the_headers_and_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = ManualClock(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    caplog.set_level(logging.DEBUG)
    async with listening(clock) as address:
        cases = [(LONG_URL, 414), (LONG_HEADER, 431), (MANY_HEADERS, 431), (NOT_HTTP, 400)]
        for request, expected in cases:
            status, headers = await exchange(address, request)
            assert status == expected, request[:40]
            for name, value in SECURITY_HEADERS.items():
                assert headers.get(name) == value, (expected, name)
        assert (await exchange(address, PLAIN))[0] == 200
        clock.advance(timedelta(seconds=61))
        assert (await exchange(address, LONG_URL))[0] == 414
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelname for r in problems] == ["WARNING", "WARNING"], caplog.text
    first, second = (r.getMessage() for r in problems)
    assert "414 Request-URI Too Long" in first
    assert "3 more since the last such line" in second
    assert MARK not in caplog.text
    assert not any(r.exc_info for r in caplog.records)

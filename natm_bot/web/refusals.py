"""Requests the HTTP parser refuses (a URL or a header too long, too many headers, not HTTP at
all): a proper status with the security headers, and the log told in one WARNING a minute at
most, never with the request's text.

aiohttp answers these itself with a bare 400 and logs each at ERROR with a traceback that
quotes the start of the request, so anyone could fill the log. Its protocol class has one
method for them, `handle_error`; `Refusing` overrides it for the parser's errors and leaves
the handler's own failures (500) to aiohttp. tests/unit/test_listener_limits.py fails loudly
when an aiohttp release changes that path."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong

from natm_bot.core.clock import Clock

log = logging.getLogger(__name__)

# Sent with every answer: nothing may be loaded from elsewhere, framed, or told where the
# reader came from; the one script is our own file.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

# The longest request line (method, URL, version) and header line the listener reads. They
# differ so that the parser's error, which names only the limit it met, says which it was.
MAX_REQUEST_LINE = 8190
MAX_HEADER_LINE = 16380
MAX_HEADERS = 100

LOG_EVERY = timedelta(minutes=1)


class RefusalLog:
    """At most one WARNING per `LOG_EVERY` about refused requests; the others are counted
    and the count told with the next line."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._last_logged: datetime | None = None
        self._unlogged = 0

    def refused(self, status: HTTPStatus) -> None:
        """Note one refusal; log it when no line was written in the last minute."""
        now = self._clock.now()
        if self._last_logged is not None and now - self._last_logged < LOG_EVERY:
            self._unlogged += 1
            return
        earlier, self._unlogged, self._last_logged = self._unlogged, 0, now
        log.warning(
            "refused an HTTP request the listener cannot read (%d %s); %d more since the "
            "last such line; at most one such line a minute",
            status.value,
            status.phrase,
            earlier,
        )


def status_of(error: HttpProcessingError) -> HTTPStatus:
    """The status a parser error deserves: 414 for a long URL, 431 for long or too many
    headers, 400 for anything else that is not HTTP."""
    if isinstance(error, LineTooLong):
        limit = error.args[1] if len(error.args) > 1 else None
        if limit == MAX_REQUEST_LINE:
            return HTTPStatus.REQUEST_URI_TOO_LONG
        return HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
    if "too many headers" in str(error.message).lower():
        return HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
    return HTTPStatus.BAD_REQUEST


def refusal(status: HTTPStatus) -> web.Response:
    """The answer to a request refused before it was read: the status and the headers."""
    response = web.Response(
        status=status.value, text=f"{status.value} {status.phrase}\n", headers=SECURITY_HEADERS
    )
    response.force_close()
    return response


class Refusing(web.RequestHandler):
    """aiohttp's protocol, answering what its parser refuses as `refusal` does."""

    def __init__(self, manager: web.Server, refusals: RefusalLog, **settings: Any) -> None:
        super().__init__(manager, **settings)
        self.refusals = refusals

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """A parser's error answered and logged here; any other left to aiohttp."""
        if not isinstance(exc, HttpProcessingError):
            return super().handle_error(request, status, exc, message)
        if request.writer.output_size > 0:  # as aiohttp: too late for an answer
            raise ConnectionError("a response was already sent")
        answer = status_of(exc)
        self.refusals.refused(answer)
        return refusal(answer)

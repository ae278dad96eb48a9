"""The HTTP listener: `/healthz`, `/readyz` and `/metrics`, on the address in `http.listen`."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST

from natm_bot.config.http import HttpSection
from natm_bot.core.clock import Clock, SystemClock
from natm_bot.web.health import Readiness
from natm_bot.web.metrics import Metrics
from natm_bot.web.refusals import (
    MAX_HEADER_LINE,
    MAX_HEADERS,
    MAX_REQUEST_LINE,
    SECURITY_HEADERS,
    RefusalLog,
    Refusing,
)
from natm_bot.web.site import PublicSite

log = logging.getLogger(__name__)


@web.middleware
async def secured(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every answer with the security headers, errors included."""
    try:
        response = await handler(request)
    except web.HTTPException as error:
        error.headers.update(SECURITY_HEADERS)
        raise
    response.headers.update(SECURITY_HEADERS)
    return response


class ListenerError(Exception):
    """The listener cannot start (the port is taken, the address is not this machine's)."""


class Listener:
    """Serves the health checks and the metrics until stopped."""

    def __init__(
        self,
        section: HttpSection,
        metrics: Metrics,
        readiness: Readiness,
        site: PublicSite | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.section = section
        self._metrics = metrics
        self._readiness = readiness
        self.app = web.Application(middlewares=[secured])
        if site is not None:
            site.install(self.app)
        self._public = site is not None
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/readyz", self._readyz)
        self.app.router.add_get("/metrics", self._metrics_page)
        self._runner: web.AppRunner | None = None
        self._server: asyncio.Server | None = None
        self._refusals = RefusalLog(clock or SystemClock())

    async def start(self) -> None:
        """Listen; ListenerError when the address cannot be used."""
        # No access log: the requests say nothing worth keeping, and a log line per scrape
        # would drown what matters.
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            self._server = await asyncio.get_running_loop().create_server(
                lambda: self._protocol(runner), self.section.host, self.section.port
            )
        except OSError as exc:
            await runner.cleanup()
            raise ListenerError(f"cannot listen on {self.section.listen}: {exc}") from None
        self._runner = runner
        for url in self.urls:
            log.info("health and metrics on %s (/healthz, /readyz, /metrics)", url)
            if self._public:
                log.info("public page and calendar feeds on %s/", url)

    def _protocol(self, runner: web.AppRunner) -> Refusing:
        """aiohttp's protocol for one connection, with our limits and our answer to what its
        parser refuses (the runner's own sites would use aiohttp's bare 400)."""
        assert runner.server is not None
        return Refusing(
            runner.server,
            self._refusals,
            loop=asyncio.get_running_loop(),
            access_log=None,
            max_line_size=MAX_REQUEST_LINE,
            max_field_size=MAX_HEADER_LINE,
            max_headers=MAX_HEADERS,
        )

    @property
    def urls(self) -> list[str]:
        """Where the listener can be reached (`http://127.0.0.1:9090`), once started."""
        found = []
        for socket in self._server.sockets if self._server else []:
            host, port = socket.getsockname()[:2]
            shown = f"[{host}]" if ":" in host else host
            found.append(f"http://{shown}:{port}")
        return found

    async def stop(self) -> None:
        """Stop listening."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        if server is not None:
            await server.wait_closed()

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _readyz(self, request: web.Request) -> web.Response:
        problem = await self._readiness.problem()
        if problem is None:
            return web.Response(text="ready\n")
        return web.Response(status=503, text=f"not ready: {problem}\n")

    async def _metrics_page(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self._metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

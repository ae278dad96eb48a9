"""The HTTP listener: `/healthz`, `/readyz` and `/metrics`, on the address in `http.listen`."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST

from natm_bot.config.settings import HttpSection
from natm_bot.web.health import Readiness
from natm_bot.web.metrics import Metrics
from natm_bot.web.site import PublicSite

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

    async def start(self) -> None:
        """Listen; ListenerError when the address cannot be used."""
        # No access log: the requests say nothing worth keeping, and a log line per scrape
        # would drown what matters.
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.section.host, self.section.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise ListenerError(f"cannot listen on {self.section.listen}: {exc}") from None
        self._runner = runner
        for url in self.urls:
            log.info("health and metrics on %s (/healthz, /readyz, /metrics)", url)
            if self._public:
                log.info("public page and calendar feeds on %s/", url)

    @property
    def urls(self) -> list[str]:
        """Where the listener can be reached (`http://127.0.0.1:9090`), once started."""
        found = []
        for address in self._runner.addresses if self._runner else []:
            host, port = address[0], address[1]
            shown = f"[{host}]" if ":" in host else host
            found.append(f"http://{shown}:{port}")
        return found

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

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
